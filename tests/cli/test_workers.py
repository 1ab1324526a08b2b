"""`facerec serve --workers N` as a user runs it: N processes on one port and one embedded database,
counted together by /metrics, a dead process replaced, a process that cannot start stopping everything
with its error, and a clean stop on SIGTERM.

Which process accepts a connection is the kernel's choice; the tests choose it by stopping the other
(SIGSTOP) and opening a new connection for each request."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from facerec.processes import per_process
from facerec.settings import Settings
from tests.api.helpers import image_file
from tests.cli.run import environment, facerec, free_port
from tests.photos import Photos

READY_TIMEOUT_S = 180


@dataclass
class Served:
    server: subprocess.Popen[bytes]
    base_url: str
    log: Path

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
        served = Served(server, f"http://127.0.0.1:{port}", log)
        try:
            served.wait_for_log(f"facerec serving with {processes} processes")
            yield served
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=90)


@contextmanager
def only(process: psutil.Process, served: Served) -> Iterator[httpx.Client]:
    """A client whose every request is answered by `process`: the other serving processes are stopped
    meanwhile, and each request opens a new connection."""
    others = [other for other in served.processes() if other.pid != process.pid]
    for other in others:
        other.suspend()
    try:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=served.base_url, timeout=60, limits=limits) as client:
            yield client
    finally:
        for other in others:
            other.resume()


def test_two_processes_share_the_port_the_database_and_the_metrics(tmp_path: Path, photos: Photos) -> None:
    with serving(tmp_path, 2) as served:
        first, second = served.processes()
        with only(first, served) as client:
            registered = client.post(
                "/api/face/register",
                files=image_file(photos.bytes_of(photos.tight_face)),
                data={"displayName": "Ada", "qualityCheck": "false"},
            )
            assert registered.status_code == 201, registered.text
            for _ in range(3):
                assert client.get("/healthz").status_code == 200
        with only(second, served) as client:
            fetched = client.get(f"/api/face/{registered.json()['id']}")
            assert fetched.status_code == 200, fetched.text
            assert fetched.json()["displayName"] == "Ada"
            for _ in range(4):
                assert client.get("/healthz").status_code == 200
        with httpx.Client(base_url=served.base_url, timeout=60) as client:
            metrics = client.get("/metrics").text
        assert 'facerec_http_requests_total{method="GET",route="/healthz",status="200"} 7.0' in metrics
        assert "facerec_faces_stored 1.0" in metrics
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
        with only(replacement, served) as client:
            assert client.get("/readyz").status_code == 200


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
    assert per_process(Settings(), 2).inference_workers == max(1, cores // 2)
    assert per_process(Settings(), 4 * cores).inference_workers == 1
    assert per_process(Settings(inference_workers=3), 2).inference_workers == 3
