"""Benchmark POST /api/face/encode against insightface's own FaceAnalysis, in the same run.

    python -m bench.encode [--image PATH] [--requests 60] [--seconds 20] [--clients 1,2,4]

For each service configuration (inference workers x ONNX Runtime threads) it starts `facerec serve` on a
loopback port (embedded Postgres in a temporary directory), then measures, alternating service and
library so that both see the same load on a shared machine:
- latency: sequential requests, p50/p95, each followed by FaceAnalysis.get() on the same bytes
  (cv2 decode included);
- throughput: N concurrent clients for a fixed time, each window followed by one of the library's
  (its best of one loop with ONNX Runtime's default threads and two threads sharing one FaceAnalysis).
Prints a markdown report.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx
import insightface
import numpy as np
from insightface.app import FaceAnalysis

from bench.harness import machine, running_service
from facerec.models.packs import PACKS
from facerec.models.store import bundled_model_dir

DEFAULT_IMAGE = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces-deepface" / "img1.jpg"
FALLBACK_IMAGE = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
CONFIGS = ((1, 0), (2, 1), (1, 2))  # (INFERENCE_WORKERS, INTRA_OP_THREADS); 0 = all cores


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class ServiceResult:
    workers: int
    threads: int
    latency: Latency
    library_latency: Latency  # measured alternately with `latency`
    throughput: dict[int, float]  # clients -> requests per second
    library_throughput: float  # the library's best, measured in windows alternating with the service's
    rss_mib: float


def latency_of(samples: list[float]) -> Latency:
    ordered = sorted(samples)
    return Latency(statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000)


def library_analysis() -> FaceAnalysis:
    folder = Path(tempfile.mkdtemp(prefix="buffalo_s-"))
    for model_file in PACKS["buffalo_s"].files:
        (folder / model_file.name).symlink_to(bundled_model_dir() / model_file.name)
    analysis = FaceAnalysis(name=str(folder), providers=["CPUExecutionProvider"])
    analysis.prepare(ctx_id=-1, det_size=(640, 640))
    return analysis


def library_once(analysis: FaceAnalysis, data: bytes) -> None:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if not analysis.get(image):
        raise SystemExit("the library found no face in the benchmark image")


def time_calls(call: Callable[[], None], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def library_throughput(analysis: FaceAnalysis, data: bytes, seconds: float, threads: int) -> float:
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        while time.perf_counter() < deadline:
            library_once(analysis, data)
            done[slot] += 1

    workers = [threading.Thread(target=loop, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


def paired_latency(base_url: str, analysis: FaceAnalysis, data: bytes, count: int) -> tuple[Latency, Latency]:
    """(service, library) latency, the two calls alternating so that both see the same machine load."""
    files = {"image": ("face.jpg", data, "image/jpeg")}
    with httpx.Client(base_url=base_url, timeout=60) as client:

        def call() -> None:
            client.post("/api/face/encode", files=files).raise_for_status()

        time_calls(call, 3)  # connection and caches
        service: list[float] = []
        library: list[float] = []
        for _ in range(count):
            service += time_calls(call, 1)
            library += time_calls(lambda: library_once(analysis, data), 1)
        return latency_of(service), latency_of(library)


async def service_throughput(base_url: str, data: bytes, clients: int, seconds: float) -> float:
    deadline = time.perf_counter() + seconds
    done = 0

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await client.post(
                "/api/face/encode", files={"image": ("face.jpg", data, "image/jpeg")}
            )
            response.raise_for_status()
            done += 1

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        return done / (time.perf_counter() - started)


def bench_service(
    workers: int, threads: int, analysis: FaceAnalysis, data: bytes, args: argparse.Namespace
) -> ServiceResult:
    clients = [int(n) for n in args.clients.split(",")]
    with (
        tempfile.TemporaryDirectory(prefix="facerec-bench-") as data_dir,
        running_service(
            Path(data_dir), INFERENCE_WORKERS=str(workers), INTRA_OP_THREADS=str(threads)
        ) as service,
    ):
        latency, library_latency = paired_latency(service.base_url, analysis, data, args.requests)
        throughput: dict[int, float] = {}
        library_rates: list[float] = []
        for n in clients:  # each service window is followed by a library window of the same length
            throughput[n] = asyncio.run(service_throughput(service.base_url, data, n, args.seconds))
            library_rates.append(max(library_throughput(analysis, data, args.seconds, t) for t in (1, 2)))
        rss = service.process.memory_info().rss / 2**20
    library_rate = statistics.median(library_rates)
    return ServiceResult(workers, threads, latency, library_latency, throughput, library_rate, rss)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--image", type=Path, default=DEFAULT_IMAGE if DEFAULT_IMAGE.is_file() else FALLBACK_IMAGE
    )
    parser.add_argument("--requests", type=int, default=60, help="sequential requests for latency")
    parser.add_argument("--seconds", type=float, default=20, help="duration of each throughput run")
    parser.add_argument("--clients", default="1,2,4", help="concurrent clients for throughput")
    args = parser.parse_args()
    data = args.image.read_bytes()
    analysis = library_analysis()
    time_calls(lambda: library_once(analysis, data), 3)
    results = [bench_service(workers, threads, analysis, data, args) for workers, threads in CONFIGS]
    report(results, args, len(data))


def report(results: list[ServiceResult], args: argparse.Namespace, size: int) -> None:
    print(f"# encode benchmark\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}")
    print(f"\nImage `{args.image.name}` ({size} bytes). Latency: {args.requests} sequential requests, each")
    print("followed by the same work in the library (FaceAnalysis buffalo_s, det 640, cv2 decode included).")
    print(f"Throughput: windows of {args.seconds:.0f} s, each followed by a library window (its best of one")
    print(f"loop and two threads). Load average at the end: {os.getloadavg()[0]:.1f}.\n")
    clients = list(results[0].throughput)
    rates_header = " | ".join(f"{n} client{'s' if n > 1 else ''} /s" for n in clients)
    print(f"| workers x threads | p50 ms | library p50 ms | ratio | p95 ms | {rates_header} ", end="")
    print("| library /s | ratio | RSS MiB |")
    print("|" + " --- |" * (8 + len(clients)))
    for r in results:
        rates = " | ".join(f"{r.throughput[n]:.2f}" for n in clients)
        latency_ratio = r.latency.p50_ms / r.library_latency.p50_ms
        rate_ratio = max(r.throughput.values()) / r.library_throughput
        print(
            f"| {r.workers} x {r.threads or 'all'} | {r.latency.p50_ms:.1f} | "
            f"{r.library_latency.p50_ms:.1f} | {latency_ratio:.2f}x | {r.latency.p95_ms:.1f} | {rates} | "
            f"{r.library_throughput:.2f} | {rate_ratio:.2f}x | {r.rss_mib:.0f} |"
        )


if __name__ == "__main__":
    main()
