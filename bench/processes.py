"""Processes and memory: time to ready, RSS per inference worker, one process against two.

    python -m bench.processes [--seconds 15] [--clients 4] [--rounds 2]

- Time from start to ready (/readyz 200): with a fresh embedded Postgres (initdb included), and with an
  external Postgres (the models load while the pool connects).
- RSS of one process with 1, 2 and 4 inference workers after serving --clients concurrent clients: what each
  worker adds.
- Throughput of one process against `facerec serve --workers 2` (two serving processes on one port, the
  cores shared among them), each with its default settings. Windows alternate between the two for
  --rounds rounds, after a warm-up window each.
Photos: the small and large sets of `bench.encode`, cycled. Prints a markdown report.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.encode import library_analysis, photo_sets, service_throughput
from bench.harness import FACEREC_SERVE, Service, machine, running_service, running_services, window_options
from facerec.db.embedded import embedded_postgres_server
from facerec.db.migrate import upgrade_to_head

MIB = 2**20
WARM_UP_S = 3.0


@contextmanager
def timed_services(count: int, folder: Path, **settings: str) -> Iterator[tuple[list[Service], float]]:
    """`count` services started together; yields them and the seconds until the last was ready."""
    data_dirs = [Path(tempfile.mkdtemp(dir=folder)) for _ in range(count)]
    started = time.perf_counter()
    with running_services(data_dirs, command=FACEREC_SERVE, **settings) as services:
        yield services, time.perf_counter() - started


def rate(services: list[Service], photos: list[bytes], args: argparse.Namespace) -> float:
    return asyncio.run(service_throughput([s.base_url for s in services], photos, args.clients, args.seconds))


def rss_mib(services: list[Service]) -> float:
    """Of every service's process and its serving processes (`--workers`)."""
    processes = [
        p for service in services for p in (service.process, *service.process.children(recursive=True))
    ]
    return float(sum(process.memory_info().rss for process in processes)) / MIB


def main() -> None:
    args = window_options(__doc__)
    photos = [data for photo_set in photo_sets(library_analysis()) for data in photo_set.photos]
    print(f"# processes benchmark\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}\n")
    with tempfile.TemporaryDirectory(prefix="facerec-processes-") as name:
        folder = Path(name)
        started = time.perf_counter()
        with running_service(Path(tempfile.mkdtemp(dir=folder))):
            fresh_s = time.perf_counter() - started
        with embedded_postgres_server(folder / "postgres") as url:
            upgrade_to_head(url)
            external = {"DATABASE_URL": url}
            memory_and_ready(folder, external, photos, args, fresh_s)
            one_against_two(folder, external, photos, args)
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")


def memory_and_ready(
    folder: Path, external: dict[str, str], photos: list[bytes], args: argparse.Namespace, fresh_s: float
) -> None:
    print(f"Start to ready, fresh embedded Postgres (initdb included): {fresh_s:.1f} s\n")
    print("| inference workers | start to ready s (external Postgres) | RSS idle MiB | RSS after load MiB |")
    print("| --- | --- | --- | --- |")
    for workers in (1, 2, 4):
        with timed_services(1, folder, INFERENCE_WORKERS=str(workers), **external) as (services, ready_s):
            idle = rss_mib(services)
            rate(services, photos, args)
            print(f"| {workers} | {ready_s:.1f} | {idle:.0f} | {rss_mib(services):.0f} |")


def one_against_two(
    folder: Path, external: dict[str, str], photos: list[bytes], args: argparse.Namespace
) -> None:
    two_processes = (*FACEREC_SERVE, "--workers", "2")
    with (
        running_service(Path(tempfile.mkdtemp(dir=folder)), command=FACEREC_SERVE, **external) as one,
        running_service(Path(tempfile.mkdtemp(dir=folder)), command=two_processes, **external) as two,
    ):
        setups = {"1 process": one, "--workers 2": two}
        for service in setups.values():  # every serving process started and warm
            asyncio.run(service_throughput([service.base_url], photos, args.clients, WARM_UP_S))
        rates: dict[str, list[float]] = {label: [] for label in setups}
        for _ in range(args.rounds):
            for label, service in setups.items():
                rates[label].append(rate([service], photos, args))
        memory = {label: rss_mib([service]) for label, service in setups.items()}
    print(f"\n{args.clients} clients, windows of {args.seconds:.0f} s alternating, {args.rounds} each:\n")
    print("| setup | requests/s (median) | each window | RSS MiB (all processes) |")
    print("| --- | --- | --- | --- |")
    for label, values in rates.items():
        windows = ", ".join(f"{value:.2f}" for value in values)
        print(f"| {label} | {statistics.median(values):.2f} | {windows} | {memory[label]:.0f} |")


if __name__ == "__main__":
    main()
