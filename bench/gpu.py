"""Encode latency and throughput on a GPU (DEVICE=cuda), against the library on the same GPU.

    python -m bench.gpu [--requests 100] [--seconds 15] [--threads 1,2,4,8]

Needs onnxruntime-gpu with a working CUDA provider (`pip install -e '.[gpu]'` after removing onnxruntime).
In process, no HTTP: each photo is decoded and encoded by the service's code (`decode_image`,
`FaceEngine.encode` with DEVICE=cuda), then given to FaceAnalysis on the CUDA provider (cv2 decode
included), alternating, on the small and large photo sets of `bench.encode`. Throughput: N threads sharing
one engine, cycling through both sets. Prints a markdown report.
"""

import argparse
import functools
import itertools
import time

import onnxruntime as ort

from bench.encode import (
    PhotoSet,
    latency_of,
    library_analysis,
    library_once,
    photo_sets,
    threaded_rate,
    timed,
)
from bench.harness import machine
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.models.engine import FaceEngine
from facerec.models.loader import load_engine
from facerec.models.sessions import CUDA
from facerec.settings import Settings


def service_once(engine: FaceEngine, limits: ImageLimits, data: bytes) -> None:
    engine.encode(decode_image(data, limits).pixels, all_faces=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100, help="latency rounds (one photo of each set)")
    parser.add_argument("--seconds", type=float, default=15, help="duration of each throughput window")
    parser.add_argument("--threads", default="1,2,4,8", help="threads sharing one engine, for throughput")
    args = parser.parse_args()
    if CUDA not in ort.get_available_providers():
        raise SystemExit("no CUDA provider in this ONNX Runtime: install onnxruntime-gpu (the gpu extra)")
    settings = Settings(_env_file=None, device="cuda")
    engine = load_engine(settings)
    limits = ImageLimits(settings.max_image_pixels, settings.max_decode_bytes)
    ours = functools.partial(service_once, engine, limits)
    analysis = library_analysis(cuda=True)
    theirs = functools.partial(library_once, analysis)
    sets = photo_sets(analysis)
    for photo_set in sets:
        for data in photo_set.photos:  # warm-up: CUDA kernels and cuDNN choices per shape
            ours(data)
            theirs(data)
    print(f"# GPU encode benchmark\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}")
    print(f"ONNX Runtime {ort.__version__}, providers {ort.get_available_providers()}\n")
    report_latency(sets, ours, theirs, args.requests)
    mixed = [data for pair in zip(*(s.photos for s in sets), strict=False) for data in pair]
    print("\n| threads | facerec /s | library /s | ratio |\n| --- | --- | --- | --- |")
    for threads in (int(n) for n in args.threads.split(",")):
        rate = threaded_rate(ours, mixed, threads, args.seconds)
        library_rate = threaded_rate(theirs, mixed, threads, args.seconds)
        print(f"| {threads} | {rate:.1f} | {library_rate:.1f} | {rate / library_rate:.2f}x |")


def report_latency(
    sets: list[PhotoSet], ours: "functools.partial[None]", theirs: "functools.partial[None]", rounds: int
) -> None:
    print("| photos | p50 ms | library p50 ms | ratio | p95 ms | library p95 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for photo_set in sets:
        service, library = [], []
        for data in itertools.islice(itertools.cycle(photo_set.photos), rounds):
            service.append(timed(functools.partial(ours, data)))
            library.append(timed(functools.partial(theirs, data)))
        mine, lib = latency_of(service), latency_of(library)
        print(
            f"| {photo_set.name} | {mine.p50_ms:.1f} | {lib.p50_ms:.1f} | {mine.p50_ms / lib.p50_ms:.2f}x | "
            f"{mine.p95_ms:.1f} | {lib.p95_ms:.1f} |"
        )


if __name__ == "__main__":
    main()
