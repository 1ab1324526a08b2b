"""The real service in a subprocess, as an operator runs it: `python -m facerec serve` with its own embedded
Postgres. Schemathesis calls it over HTTP, so the service's event loop is its own."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Service:
    url: str
    process: "subprocess.Popen[bytes]"


@contextlib.contextmanager
def served(workdir: Path) -> Iterator[str]:
    """Start the service in `workdir`, wait until it is ready, yield its base URL, then stop it."""
    with running_service(workdir) as service:
        yield service.url


@contextlib.contextmanager
def running_service(workdir: Path, **settings: str) -> Iterator[Service]:
    """`served`, with `settings` as environment variables, yielding the process too."""
    port = _free_port()
    log_path = workdir / "service.log"
    env = {
        **os.environ,
        "DATA_DIR": str(workdir / "data"),
        "MODEL_CACHE_DIR": str(workdir / "models"),
        **settings,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "facerec", "serve", "--port", str(port)],
            cwd=workdir,  # away from any developer's .env
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_ready(base_url, process, log_path)
            yield Service(base_url, process)
        finally:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}:\n{_tail(log_path)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"the service was not ready after {READY_TIMEOUT_S:.0f} s:\n{_tail(log_path)}")


def _tail(log_path: Path, lines: int = 40) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
