"""Load benchmark: concurrent clients mixing encode, register and search against a real `facerec serve`.

    python -m bench.load [--clients 16] [--seconds 60] [--leak-requests 10000]

Phase 1 runs the mix for a fixed time while a prober measures /healthz every 50 ms (the event loop must
stay free while inference is saturated). Phase 2 sends encode requests until --leak-requests have been
served and compares the service's RSS after the first 1,000 with the RSS at the end (no leak: within 10%).
Every request goes to 127.0.0.1 only; both phases stop by themselves.
"""

import argparse
import asyncio
import io
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import insightface
import psutil
from PIL import Image

from bench.harness import machine, running_service

DEEPFACE = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces-deepface"
GROUP = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
MIX: dict[str, float] = {"encode": 0.4, "search": 0.4, "register": 0.2}
PROBE_EVERY_S = 0.05


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    health: list[float] = field(default_factory=list)


def photos() -> list[bytes]:
    found = sorted(DEEPFACE.glob("img*.jpg"))[:20] if DEEPFACE.is_dir() else []
    return [path.read_bytes() for path in found] or [GROUP.read_bytes()]


def small_photos() -> list[bytes]:
    """The same photos 400 px wide: the leak check is about memory over many requests, not decode time."""
    shrunk = []
    for data in photos():
        image = Image.open(io.BytesIO(data)).convert("RGB")
        image.thumbnail((400, 400))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        shrunk.append(buffer.getvalue())
    return shrunk


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


async def one_request(client: httpx.AsyncClient, kind: str, image: bytes, number: int) -> int:
    files = {"image": ("photo.jpg", image, "image/jpeg")}
    if kind == "register":
        data = {"displayName": f"load {number}", "mostProminent": "true"}
        response = await client.post("/api/face/register", files=files, data=data)
    else:
        response = await client.post(f"/api/face/{kind}", files=files)
    return response.status_code


async def mixed_client(client: httpx.AsyncClient, images: list[bytes], deadline: float, tally: Tally) -> None:
    chooser = random.Random(len(tally.latencies))
    kinds, weights = list(MIX), list(MIX.values())
    number = 0
    while time.perf_counter() < deadline:
        kind = chooser.choices(kinds, weights)[0]
        number += 1
        started = time.perf_counter()
        status = await one_request(client, kind, chooser.choice(images), number)
        tally.latencies[kind].append(time.perf_counter() - started)
        tally.statuses[(kind, status)] += 1


async def prober(client: httpx.AsyncClient, deadline: float, tally: Tally) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        (await client.get("/healthz")).raise_for_status()
        tally.health.append(time.perf_counter() - started)
        await asyncio.sleep(PROBE_EVERY_S)


async def mixed_load(base_url: str, clients: int, seconds: float) -> Tally:
    tally = Tally()
    images = photos()
    limits = httpx.Limits(max_connections=clients + 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            prober(client, deadline, tally),
            *(mixed_client(client, images, deadline, tally) for _ in range(clients)),
        )
    return tally


async def leak_check(base_url: str, pid: int, total: int, clients: int) -> tuple[float, float]:
    """RSS (MiB) after the first 1,000 requests and after `total`."""
    images = small_photos()
    served = 0
    rss_at_1000 = 0.0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal served, rss_at_1000
        while served < total:
            served += 1
            await one_request(client, "encode", images[served % len(images)], served)
            if served == 1000:
                rss_at_1000 = psutil.Process(pid).memory_info().rss / 2**20

    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return rss_at_1000, psutil.Process(pid).memory_info().rss / 2**20


def report(tally: Tally, args: argparse.Namespace) -> None:
    print(f"# load benchmark\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}\n")
    print(f"{args.clients} clients for {args.seconds:.0f} s, mix {MIX}; /healthz probed every 50 ms.\n")
    print("| endpoint | requests | 2xx | 503 overloaded | other | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind, samples in sorted(tally.latencies.items()):
        codes = {status: count for (name, status), count in tally.statuses.items() if name == kind}
        ok = sum(count for status, count in codes.items() if status < 300)
        busy = codes.get(503, 0)
        other = sum(codes.values()) - ok - busy
        p50, p99 = statistics.median(samples) * 1000, percentile(samples, 0.99)
        print(f"| {kind} | {len(samples)} | {ok} | {busy} | {other} | {p50:.0f} | {p99:.0f} |")
    server_errors = sum(
        count for (_, status), count in tally.statuses.items() if status >= 500 and status != 503
    )
    print(f"\n5xx other than overload refusals: {server_errors}. Statuses: {dict(tally.statuses)}")
    print(f"\n/healthz under load: {len(tally.health)} probes, p50 {percentile(tally.health, 0.5):.1f} ms, ")
    print(f"p99 {percentile(tally.health, 0.99):.1f} ms, max {max(tally.health) * 1000:.1f} ms.")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--leak-requests", type=int, default=10_000, help="0 skips the memory phase")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="facerec-load-") as folder,
        running_service(Path(folder)) as service,
    ):
        tally = asyncio.run(mixed_load(service.base_url, args.clients, args.seconds))
        report(tally, args)  # printed now, in case the memory phase is cut short
        rss = None
        if args.leak_requests >= 1000:
            rss = asyncio.run(
                leak_check(service.base_url, service.process.pid, args.leak_requests, args.clients)
            )
    if rss is not None:
        growth = (rss[1] / rss[0] - 1) * 100
        print(f"\nRSS after 1,000 requests {rss[0]:.0f} MiB; after {args.leak_requests:,} requests ", end="")
        print(f"{rss[1]:.0f} MiB ({growth:+.1f}%).")


if __name__ == "__main__":
    main()
