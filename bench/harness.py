"""What the benchmarks share: a real `facerec serve` on a loopback port, the options of throughput windows,
and a line naming the machine."""

import argparse
import os
import platform
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

READY_TIMEOUT_S = 120


@dataclass(frozen=True)
class Service:
    process: psutil.Popen
    base_url: str


FACEREC_SERVE = ("-m", "facerec", "serve")


@contextmanager
def running_service(
    data_dir: Path, *, command: tuple[str, ...] = FACEREC_SERVE, **settings: str
) -> Iterator[Service]:
    """`facerec serve` (or another `python` command taking --port) with DATA_DIR=data_dir and `settings`
    as environment variables (DATABASE_URL only when given), yielded once /readyz answers 200, stopped on
    exit. Its log goes to data_dir."""
    with running_services([data_dir], command=command, **settings) as services:
        yield services[0]


@contextmanager
def running_services(
    data_dirs: list[Path], *, command: tuple[str, ...] = FACEREC_SERVE, **settings: str
) -> Iterator[list[Service]]:
    """One service per data directory, all started at the same moment, then waited for."""
    with ExitStack() as stack:
        services = [stack.enter_context(_started(data_dir, command, settings)) for data_dir in data_dirs]
        for service in services:
            _wait_ready(service)
        yield services


@contextmanager
def _started(data_dir: Path, command: tuple[str, ...], settings: dict[str, str]) -> Iterator[Service]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {"DATA_DIR": str(data_dir), **settings}
    with (data_dir / "service.log").open("wb") as log:
        process = psutil.Popen(
            [sys.executable, *command, "--port", str(port)], env=env, stdout=log, stderr=log
        )
        try:
            yield Service(process, f"http://127.0.0.1:{port}")
        finally:
            process.terminate()
            process.wait(60)


def _wait_ready(service: Service) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"the service exited with {service.process.returncode} before it was ready")
        try:
            if httpx.get(f"{service.base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"the service did not become ready in {READY_TIMEOUT_S} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_model() -> str:
    with Path("/proc/cpuinfo").open() as file:
        names = [line.split(":", 1)[1].strip() for line in file if line.startswith("model name")]
    return names[0] if names else "unknown CPU"


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu_model()}), {memory:.0f} GiB, Python {platform.python_version()}"


def window_options(description: str | None) -> argparse.Namespace:
    """--seconds (of each throughput window), --clients (concurrent) and --rounds (windows of each setup,
    in turn), with `description` (the script's docstring) as the help."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15, help="duration of each throughput window")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=2, help="windows of each setup, in turn")
    return parser.parse_args()
