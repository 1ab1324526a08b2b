"""Live video benchmark: frames per second through `WS /api/stream` against the same frames sent as HTTP
encodes (allFaces=true: the same detection and embedding of every face), and what the tracker saves.

    python -m bench.stream [--frames 60] [--rounds 3] [--probe-seconds 20]

A real `facerec serve` (embedded Postgres) gets 640x480 JPEG frames made from photos: one face moving,
or three faces side by side. Each client sends a frame and waits for its answer (nothing is dropped), so
frames/s is what the service sustains. Streams and HTTP alternate within each round (the machine is
shared and noisy); the median round is reported. Then /healthz is probed every 50 ms while four streams
run beside two HTTP encode clients, alternating with six HTTP encode clients as the baseline: its p50/p99
and the count of 5xx answers. `--niceness 0 10` runs that probe on two services side by side, one per
INFERENCE_NICENESS, in turn.
"""

import argparse
import asyncio
import io
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import insightface
from PIL import Image
from websockets.asyncio.client import connect

from bench.harness import machine, running_service
from bench.load import percentile

DEEPFACE = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces-deepface"
FALLBACK = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
CANVAS = (640, 480)
PROBE_EVERY_S = 0.05


@dataclass(frozen=True)
class Run:
    frames: int
    seconds: float
    faces: int  # faces answered, over all frames
    recognitions: int  # faces searched (streams only)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds


def portraits(count: int) -> list[Image.Image]:
    paths = sorted(DEEPFACE.glob("img*.jpg"))[: count * 4 : 4] if DEEPFACE.is_dir() else []
    return [Image.open(path).convert("RGB") for path in paths] or [Image.open(FALLBACK).convert("RGB")]


def video(people: int, frames: int) -> list[bytes]:
    """`people` photos side by side, each about 200 px high, drifting right and back across the canvas."""
    photos = portraits(people)
    slot = CANVAS[0] // people
    video = []
    for index in range(frames):
        shift = round(40 * abs((index % 40) - 20) / 20)
        canvas = Image.new("RGB", CANVAS, (96, 96, 96))
        for place, photo in enumerate(photos):
            height = 200 + (index % 20)
            width = min(slot - 50, round(photo.width * height / photo.height))
            scaled = photo.resize((width, height), Image.Resampling.BILINEAR)
            canvas.paste(scaled, (place * slot + shift, 120 + shift))
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=85)
        video.append(buffer.getvalue())
    return video


async def stream_client(base: str, frames: list[bytes]) -> Run:
    faces = recognitions = 0
    async with connect(f"ws://{base}/api/stream", max_size=None) as stream:
        started = time.perf_counter()
        for seq, frame in enumerate(frames, start=1):
            await stream.send(frame)
            while True:
                message = json.loads(await stream.recv())
                if message["type"] == "frame" and message["seq"] == seq:
                    faces += len(message["faces"])
                    recognitions += sum(face["recognised"] for face in message["faces"])
                    break
                if message["type"] == "error":
                    raise SystemExit(f"stream error: {message}")
        return Run(len(frames), time.perf_counter() - started, faces, recognitions)


async def http_client(base: str, frames: list[bytes]) -> Run:
    faces = 0
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=120) as http:
        started = time.perf_counter()
        for frame in frames:
            response = await http.post(
                "/api/face/encode", files={"image": ("f.jpg", frame, "image/jpeg")}, data={"allFaces": "true"}
            )
            response.raise_for_status()
            faces += len(response.json()["faces"])
        return Run(len(frames), time.perf_counter() - started, faces, faces)


Client = Callable[[str, list[bytes]], Awaitable[Run]]


async def together(client: Client, base: str, frames: list[bytes], clients: int) -> list[Run]:
    return list(await asyncio.gather(*(client(base, frames) for _ in range(clients))))


async def throughput(base: str, frames: int, rounds: int) -> None:
    print("| faces | clients | via | frames/s per client | frames/s total | faces/frame | searches/frame |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for people in (1, 3):
        clip = video(people, frames)
        for clients in (1, 3):
            results: dict[str, list[list[Run]]] = {"stream": [], "HTTP encode": []}
            for _ in range(rounds):  # alternating, so both see the same background load
                results["stream"].append(await together(stream_client, base, clip, clients))
                results["HTTP encode"].append(await together(http_client, base, clip, clients))
            for via, runs in results.items():
                totals = [sum(run.fps for run in group) for group in runs]
                median = runs[totals.index(statistics.median_low(totals))]
                frames_seen = sum(run.frames for run in median)
                print(
                    f"| {people} | {clients} | {via} | {statistics.mean(run.fps for run in median):.1f} "
                    f"| {sum(run.fps for run in median):.1f} "
                    f"| {sum(run.faces for run in median) / frames_seen:.2f} "
                    f"| {sum(run.recognitions for run in median) / frames_seen:.2f} |"
                )


async def healthz_under(base: str, seconds: float, streams: int, encoders: int) -> str:
    """/healthz probed every 50 ms while `streams` stream clients and `encoders` HTTP encode clients
    run: its p50 and p99 and the number of 5xx answers, as a table row."""
    clip = video(3, 40)
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    failures = 0

    async def keep(client: Client) -> None:
        while time.monotonic() < stop:
            await client(base, clip)

    async def probe() -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await http.get("/healthz")
                latencies.append(time.perf_counter() - started)
                failures += response.status_code >= 500
                await asyncio.sleep(PROBE_EVERY_S)

    workers = [keep(stream_client) for _ in range(streams)] + [keep(http_client) for _ in range(encoders)]
    await asyncio.gather(probe(), *workers)
    return (
        f"| {streams} streams + {encoders} HTTP encode clients | {statistics.median(latencies) * 1000:.1f} "
        f"| {percentile(latencies, 0.99):.1f} | {len(latencies)} | {failures} |"
    )


async def healthz(bases: dict[int, str], seconds: float, rounds: int) -> None:
    """Four streams beside two HTTP clients, alternating with six HTTP clients (the same number of
    clients, no stream) as the baseline; each on a service per inference niceness, in turn."""
    print("\n| inference niceness | load | /healthz p50 ms | p99 ms | probes | 5xx |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for _ in range(rounds):
        for niceness, base in bases.items():
            for streams, encoders in ((4, 2), (0, 6)):
                row = await healthz_under(base, seconds, streams=streams, encoders=encoders)
                print(f"| {niceness} {row}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probe-seconds", type=float, default=20)
    parser.add_argument("--probe-only", action="store_true", help="skip the frames/s table")
    parser.add_argument(
        "--niceness",
        type=int,
        nargs="+",
        default=[10],
        help="INFERENCE_NICENESS of the services the /healthz probe compares (one service each)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    with ExitStack() as stack:
        bases = {}
        for niceness in args.niceness:
            data = stack.enter_context(tempfile.TemporaryDirectory())
            service = stack.enter_context(
                running_service(
                    Path(data),
                    STREAM_MAX_FPS="1000",
                    STREAM_MAX_CONCURRENT="8",
                    INFERENCE_NICENESS=str(niceness),
                )
            )
            bases[niceness] = service.base_url.removeprefix("http://")
        if not args.probe_only:
            asyncio.run(throughput(bases[args.niceness[0]], args.frames, args.rounds))
        asyncio.run(healthz(bases, args.probe_seconds, args.rounds))


if __name__ == "__main__":
    main()
