"""`facerec serve --workers N` as a user runs it: N processes on one port and one embedded database,
each given a share of new connections, counted together by /metrics; a dead process replaced, a process
that cannot start stopping everything with its error, and a clean stop on SIGTERM.

The kernel spreads new connections over the processes' sockets by a hash of each connection's addresses,
so the tests open many connections and look at which process holds each (20 connections all to one of
two processes: one chance in half a million)."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from facerec.db.embedded import embedded_postgres_server
from facerec.processes import per_process
from facerec.settings import Settings
from tests.api.helpers import image_file
from tests.cli.run import environment, facerec, free_port
from tests.photos import Photos

READY_TIMEOUT_S = 180
CONNECTIONS = 20


@dataclass
class Served:
    server: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def processes(self) -> list[psutil.Process]:
        """The serving processes (the spawned children; not the embedded Postgres)."""
        children = psutil.Process(self.server.pid).children()
        return [child for child in children if "multiprocessing.spawn" in " ".join(child.cmdline())]

    def wait_for_log(self, pattern: str, *, after: int = 0) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not re.search(pattern, self.log.read_text()[after:]):
            assert self.server.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"no {pattern!r} in the log:\n{self.log.read_text()}"
            time.sleep(0.2)

    def answered_by(self, path: str) -> Counter[int]:
        """GET `path` on CONNECTIONS new connections, each answered 200 and kept open while the serving
        processes holding them are counted: how many each holds, by pid."""
        with ExitStack() as stack:
            for _ in range(CONNECTIONS):
                client = stack.enter_context(httpx.Client(base_url=self.base_url, timeout=60))
                response = client.get(path)
                assert response.status_code == 200, response.text
            return Counter(
                {
                    process.pid: sum(
                        connection.status == psutil.CONN_ESTABLISHED and connection.laddr.port == self.port
                        for connection in process.net_connections(kind="tcp")
                    )
                    for process in self.processes()
                }
            )


@contextmanager
def serving(tmp_path: Path, processes: int) -> Iterator[Served]:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "facerec", "serve", "--port", str(port), "--workers", str(processes)],
            cwd=tmp_path,
            env=environment(DATA_DIR=str(tmp_path / "data"), INFERENCE_WORKERS="1"),
            stderr=stderr,
        )
        served = Served(server, port, log)
        try:
            served.wait_for_log(f"facerec serving with {processes} processes")
            yield served
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=90)


def test_two_processes_share_the_port_the_database_and_the_metrics(tmp_path: Path, photos: Photos) -> None:
    with serving(tmp_path, 2) as served:
        first, second = served.processes()
        with httpx.Client(base_url=served.base_url, timeout=60) as client:
            registered = client.post(
                "/api/face/register",
                files=image_file(photos.bytes_of(photos.tight_face)),
                data={"displayName": "Ada", "qualityCheck": "false"},
            )
            assert registered.status_code == 201, registered.text
        face = f"/api/face/{registered.json()['id']}"
        holders = served.answered_by(face)  # read back through both processes
        assert set(holders) == {first.pid, second.pid}
        assert all(holders.values()), holders
        with httpx.Client(base_url=served.base_url, timeout=60) as client:
            metrics = client.get("/metrics").text
        count = 'facerec_http_requests_total{method="GET",route="/api/face/{face_id}",status="200"}'
        assert f"{count} {CONNECTIONS}.0" in metrics
        assert "facerec_faces_stored 1.0" in metrics
        # another service's processes would join the port's sockets and share its connections
        second_service = facerec(
            "serve", "--port", str(served.port), "--workers", "2", cwd=tmp_path, DATA_DIR=str(tmp_path / "b")
        )
        assert second_service.returncode == 1
        assert f"facerec: cannot listen on 127.0.0.1:{served.port}" in second_service.stderr
        server = served.server
        server.send_signal(signal.SIGTERM)
        # every process and the database stopped, then the parent ends by the signal, as one process does
        assert server.wait(timeout=90) == -signal.SIGTERM
    assert not any(process.is_running() for process in (first, second))
    log = served.log.read_text()
    assert "embedded Postgres stopped" in log
    assert log.count("Finished server process") == 2


def test_a_process_that_dies_is_replaced(tmp_path: Path) -> None:
    with serving(tmp_path, 2) as served:
        first, second = served.processes()
        seen = len(served.log.read_text())
        first.kill()
        served.wait_for_log("Application startup complete", after=seen)
        [replacement] = [process for process in served.processes() if process.pid != second.pid]
        assert replacement.pid != first.pid
        holders = served.answered_by("/readyz")
        assert set(holders) == {replacement.pid, second.pid}
        assert all(holders.values()), holders


def test_the_serving_processes_end_with_the_parent_even_when_it_is_killed(tmp_path: Path) -> None:
    with serving(tmp_path, 2) as served:
        processes = served.processes()
        served.server.kill()
        served.server.wait(timeout=30)
        _gone, alive = psutil.wait_procs(processes, timeout=60)
        assert alive == []
    with embedded_postgres_server(tmp_path / "data"):  # adopts the orphaned server, to stop it
        pass


def test_a_process_that_cannot_start_stops_the_service_with_its_error(tmp_path: Path) -> None:
    result = facerec(
        "serve",
        "--port",
        str(free_port()),
        "--workers",
        "2",
        cwd=tmp_path,
        DATA_DIR=str(tmp_path / "data"),
        MODEL_PACK="buffalo_l",
        MODEL_CACHE_DIR=str(tmp_path / "models"),
        MODEL_BASE_URL="http://127.0.0.1:9/",
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("facerec: model pack buffalo_l is not in the cache and could not be downloaded")
    assert "embedded Postgres stopped" in result.stderr
    assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()


@pytest.mark.parametrize("workers", ["0", "65", "two"])
def test_workers_is_a_count_of_processes(tmp_path: Path, workers: str) -> None:
    result = facerec("serve", "--workers", workers, cwd=tmp_path)
    assert result.returncode == 2
    assert "argument --workers: give a whole number from 1 to 64" in result.stderr


def test_the_cores_are_shared_among_the_processes_unless_set() -> None:
    cores = os.cpu_count() or 1
    shared = per_process(Settings(), 2)
    assert (shared.inference_workers, shared.intra_op_threads) == (
        max(1, cores // 2),
        min(2, max(1, cores // 2)),
    )
    crowded = per_process(Settings(), 4 * cores)
    assert (crowded.inference_workers, crowded.intra_op_threads) == (1, 1)
    chosen = per_process(Settings(inference_workers=3, intra_op_threads=0), 4 * cores)
    assert (chosen.inference_workers, chosen.intra_op_threads) == (3, 0)
