"""Benchmark POST /api/face/encode against insightface's own FaceAnalysis, in the same run.

    python -m bench.encode [--requests 40] [--seconds 15] [--clients 1,2,4] [--configs 2x1,2x2,1x0]
                           [--before SRC_DIR]

Two sets of photos, side by side: small (faces-celeba, at most 400 px) and large (faces-deepface photos of
at least 2 megapixels). For each service configuration (inference workers x ONNX Runtime threads; 0 = all
cores) it starts `facerec serve` on a loopback port (embedded Postgres in a temporary directory), then
measures, alternating service and library so that both see the same load on a shared machine:
- latency: rounds of the next photo of each set sent to the service and to the library, in every order
  in turn with a pause after each call (whatever runs right after the library is slowed by its spinning
  threads); p50/p95 per set (the library's time includes cv2.imdecode and FaceAnalysis.get, buffalo_s,
  det 640);
  with --before, a second service runs another checkout's `src` and gets each photo too, in the same round;
- throughput: N concurrent clients for a fixed time cycling through both sets, each window followed by the
  --before service's, if any, and then one of the library's (its best of one loop and two threads sharing
  one FaceAnalysis).
Prints a markdown report.
"""

import argparse
import asyncio
import functools
import itertools
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx
import insightface
import numpy as np
from insightface.app import FaceAnalysis
from PIL import Image

from bench.harness import machine, running_service
from facerec.models.packs import PACKS
from facerec.models.store import bundled_model_dir

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_IMAGE = DATA / "faces-deepface" / "img1.jpg"
FALLBACK_IMAGE = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
SMALL_SIDE = 400
LARGE_PIXELS = 2_000_000
SET_SIZE = 10
SETTLE_S = 0.2  # pause after each timed call, so that one contender's spinning threads never slow the next
MIN_FACE_WIDTH = 40  # well above the service's MIN_FACE_SIZE, so that no photo is refused


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Config:
    workers: int
    threads: int  # 0 = all cores

    @property
    def label(self) -> str:
        return f"{self.workers} x {self.threads or 'all'}"


@dataclass(frozen=True)
class PhotoSet:
    name: str
    photos: list[bytes]


@dataclass(frozen=True)
class PairedLatency:
    service: Latency
    library: Latency
    before: Latency | None  # the --before checkout's service, in the same rounds


@dataclass(frozen=True)
class ServiceResult:
    config: Config
    latency: dict[str, PairedLatency]  # photo set -> (service, library), measured alternately
    throughput: dict[int, float]  # clients -> requests per second
    library_throughput: float  # the library's best, measured in windows alternating with the service's
    rss_mib: float
    before_throughput: dict[int, float] | None  # the --before service, in windows beside the service's
    before_rss_mib: float | None


def latency_of(samples: list[float]) -> Latency:
    ordered = sorted(samples)
    return Latency(statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000)


def photo_sets(analysis: FaceAnalysis) -> list[PhotoSet]:
    """Up to SET_SIZE photos each, the same every run: small (long side <= 400 px) and large (>= 2 MP),
    each with a face that the library finds and that is wide enough for the service to embed."""
    small = sorted((DATA / "faces-celeba" / "images").glob("*.jpg"))[::64]
    large = [
        path for path in sorted((DATA / "faces-deepface").glob("img*.jpg")) if _pixels(path) >= LARGE_PIXELS
    ]
    sets = [
        PhotoSet(f"small (<= {SMALL_SIDE} px)", _usable(analysis, small)),
        PhotoSet(f"large (>= {LARGE_PIXELS // 1_000_000} MP)", _usable(analysis, large)),
    ]
    if not all(photo_set.photos for photo_set in sets):
        raise SystemExit(f"the benchmark needs faces-celeba and faces-deepface in {DATA}")
    return sets


def _usable(analysis: FaceAnalysis, paths: list[Path]) -> list[bytes]:
    photos = []
    for path in paths:
        data = path.read_bytes()
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        faces = analysis.get(image)
        if faces and max(face.bbox[2] - face.bbox[0] for face in faces) >= MIN_FACE_WIDTH:
            photos.append(data)
    return photos[:SET_SIZE]


def _pixels(path: Path) -> int:
    with Image.open(path) as image:
        return image.width * image.height


def library_analysis(*, cuda: bool = False) -> FaceAnalysis:
    """insightface's FaceAnalysis on the bundled buffalo_s files, det 640, on the CPU or the first GPU."""
    folder = Path(tempfile.mkdtemp(prefix="buffalo_s-"))
    for model_file in PACKS["buffalo_s"].files:
        (folder / model_file.name).symlink_to(bundled_model_dir() / model_file.name)
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if cuda else ["CPUExecutionProvider"]
    analysis = FaceAnalysis(name=str(folder), providers=providers)
    analysis.prepare(ctx_id=0 if cuda else -1, det_size=(640, 640))
    return analysis


def library_once(analysis: FaceAnalysis, data: bytes) -> None:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if not analysis.get(image):
        raise SystemExit("the library found no face in a benchmark photo")


def timed(call: Callable[[], None]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def threaded_rate(call: Callable[[bytes], None], photos: list[bytes], threads: int, seconds: float) -> float:
    """Calls per second of `threads` threads, each cycling through the photos from its own offset."""
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        for data in itertools.islice(itertools.cycle(photos), slot, None):
            if time.perf_counter() >= deadline:
                return
            call(data)
            done[slot] += 1

    workers = [threading.Thread(target=loop, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


def paired_latency(
    base_urls: list[str], analysis: FaceAnalysis, sets: list[PhotoSet], rounds: int
) -> dict[str, PairedLatency]:
    """Each round: for each set, its next photo to the service, the --before service if any, and the
    library, in the round's order (every order in turn), with a pause after each call. Whatever runs
    right after the library was measured slower (its ONNX Runtime threads spin on after each call): the
    pause and the orders give every contender the same neighbours."""
    samples: dict[str, list[list[float]]] = {s.name: [[] for _ in range(len(base_urls) + 1)] for s in sets}
    with ExitStack() as stack:
        clients = [stack.enter_context(httpx.Client(base_url=url, timeout=60)) for url in base_urls]

        def service_once(client: httpx.Client, data: bytes) -> None:
            files = {"image": ("face.jpg", data, "image/jpeg")}
            client.post("/api/face/encode", files=files).raise_for_status()

        for photo_set, client in itertools.product(sets, clients):  # connections and caches
            service_once(client, photo_set.photos[0])
        orders = list(itertools.permutations(range(len(clients) + 1)))
        for index in range(rounds):
            for photo_set in sets:
                data = photo_set.photos[index % len(photo_set.photos)]
                calls: list[Callable[[], None]] = [
                    *(functools.partial(service_once, client, data) for client in clients),
                    functools.partial(library_once, analysis, data),
                ]
                for slot in orders[index % len(orders)]:
                    samples[photo_set.name][slot].append(timed(calls[slot]))
                    time.sleep(SETTLE_S)
    return {
        name: PairedLatency(
            latency_of(timings[0]),
            latency_of(timings[-1]),
            latency_of(timings[1]) if len(base_urls) > 1 else None,
        )
        for name, timings in samples.items()
    }


async def service_throughput(
    base_urls: list[str], photos: list[bytes], clients: int, seconds: float
) -> float:
    """Requests per second of `clients` concurrent clients, dealt round-robin over the services."""
    deadline = time.perf_counter() + seconds
    done = 0

    async def client_loop(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal done
        for data in itertools.islice(itertools.cycle(photos), offset, None):
            if time.perf_counter() >= deadline:
                return
            response = await client.post(
                "/api/face/encode", files={"image": ("face.jpg", data, "image/jpeg")}
            )
            response.raise_for_status()
            done += 1

    async with AsyncExitStack() as stack:
        http = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=120)) for url in base_urls
        ]
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http[slot % len(http)], slot) for slot in range(clients)))
        return done / (time.perf_counter() - started)


def bench_service(
    config: Config, analysis: FaceAnalysis, sets: list[PhotoSet], args: argparse.Namespace
) -> ServiceResult:
    clients = [int(n) for n in args.clients.split(",")]
    mixed = [data for pair in zip(*(s.photos for s in sets), strict=False) for data in pair]
    workers, threads = str(config.workers), str(config.threads)
    with ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="facerec-bench-"))
        service = stack.enter_context(
            running_service(Path(data_dir), INFERENCE_WORKERS=workers, INTRA_OP_THREADS=threads)
        )
        services = [service]
        if args.before:
            before_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="facerec-bench-"))
            services.append(
                stack.enter_context(
                    running_service(
                        Path(before_dir),
                        PYTHONPATH=args.before,
                        INFERENCE_WORKERS=workers,
                        INTRA_OP_THREADS=threads,
                    )
                )
            )
        latency = paired_latency([s.base_url for s in services], analysis, sets, args.requests)
        throughput: list[dict[int, float]] = [{} for _ in services]
        library_rates: list[float] = []
        for n in clients:  # each service's window is followed by the next one's, then a library window
            for slot, measured in enumerate(services):
                throughput[slot][n] = asyncio.run(
                    service_throughput([measured.base_url], mixed, n, args.seconds)
                )
            library = functools.partial(library_once, analysis)
            library_rates.append(max(threaded_rate(library, mixed, t, args.seconds) for t in (1, 2)))
        rss = [measured.process.memory_info().rss / 2**20 for measured in services]
    return ServiceResult(
        config,
        latency,
        throughput[0],
        statistics.median(library_rates),
        rss[0],
        throughput[1] if args.before else None,
        rss[1] if args.before else None,
    )


def parse_configs(text: str) -> list[Config]:
    configs = []
    for item in text.split(","):
        workers, threads = item.split("x")
        configs.append(Config(int(workers), int(threads)))
    return configs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40, help="latency rounds (one photo of each set)")
    parser.add_argument("--seconds", type=float, default=15, help="duration of each throughput window")
    parser.add_argument("--clients", default="1,2,4", help="concurrent clients for throughput")
    parser.add_argument(
        "--configs", default="2x1,2x2,1x0", help="workers x ONNX Runtime threads to try (0 = all cores)"
    )
    parser.add_argument(
        "--before", help="the src folder of another checkout, served and measured alternately"
    )
    args = parser.parse_args()
    analysis = library_analysis()
    sets = photo_sets(analysis)
    results = [bench_service(config, analysis, sets, args) for config in parse_configs(args.configs)]
    report(results, args, sets)


def report(results: list[ServiceResult], args: argparse.Namespace, sets: list[PhotoSet]) -> None:
    print(f"# encode benchmark\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}")
    print(f"\nLatency: {args.requests} rounds; in each, every set's next photo goes to the service (and the")
    print("--before service) and to the library (FaceAnalysis buffalo_s, det 640, cv2 decode included), in")
    print(f"every order in turn, with {SETTLE_S} s pauses.")
    print(
        f"Throughput: windows of {args.seconds:.0f} s over both sets, each followed by a library window (its"
    )
    print(f"best of one loop and two threads). Load average at the end: {os.getloadavg()[0]:.1f}.\n")
    before = " before p50 ms | before p50 ratio |" if args.before else ""
    head = f"| workers x threads | photos | p50 ms | library p50 ms | p50 ratio |{before}"
    print(f"{head} p95 ms | library p95 ms |")
    print("|" + " --- |" * (7 + (2 if args.before else 0)))
    for r in results:
        for photo_set in sets:
            paired = r.latency[photo_set.name]
            ratio = paired.service.p50_ms / paired.library.p50_ms
            old = paired.before
            old_cells = f" {old.p50_ms:.1f} | {old.p50_ms / paired.library.p50_ms:.2f}x |" if old else ""
            print(
                f"| {r.config.label} | {photo_set.name} | {paired.service.p50_ms:.1f} | "
                f"{paired.library.p50_ms:.1f} | {ratio:.2f}x |{old_cells} {paired.service.p95_ms:.1f} | "
                f"{paired.library.p95_ms:.1f} |"
            )
    clients = list(results[0].throughput)
    rates_header = " | ".join(f"{n} client{'s' if n > 1 else ''} /s" for n in clients)
    print(f"\n| workers x threads | {rates_header} | library /s | throughput ratio | RSS MiB |")
    print("|" + " --- |" * (4 + len(clients)))
    for r in results:
        rows = [(r.config.label, r.throughput, r.rss_mib)]
        if r.before_throughput is not None and r.before_rss_mib is not None:
            rows.append((f"{r.config.label}, before", r.before_throughput, r.before_rss_mib))
        for label, throughput, rss in rows:
            rates = " | ".join(f"{throughput[n]:.2f}" for n in clients)
            rate_ratio = max(throughput.values()) / r.library_throughput
            print(f"| {label} | {rates} | {r.library_throughput:.2f} | {rate_ratio:.2f}x | {rss:.0f} |")


if __name__ == "__main__":
    main()
