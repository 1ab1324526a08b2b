"""What stripping a stored photo's metadata costs, beside storing it as sent, in the same run.

    python -m bench.scrub [--image PATH] [--rounds 15]

The photo (default: a real faces-deepface photo, scaled up to about 12 megapixels like a phone's and saved
at quality 92 with a camera's EXIF, XMP, IPTC and ICC profile) is stored three ways, alternating:
- as sent (KEEP_PHOTO_METADATA=true): no work;
- upright, metadata copied out losslessly (the default for upright JPEG and PNG);
- orientation 6, re-encoded upright at quality 95 (the default for photos to turn and other formats).
Decoding is not counted: register decodes the photo anyway, and the re-encode reuses those pixels.
Prints a markdown table: median and p90 milliseconds, stored bytes.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from tests.photos import camera_jpeg

from bench.harness import machine
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.imaging.scrub import Photo, without_metadata

LIMITS = ImageLimits(max_pixels=50_000_000, max_decode_bytes=10**9)

DEFAULT_IMAGE = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces-deepface" / "img1.jpg"
PHONE_SIDE = 4000  # 4000x3000: 12 MP


def phone_photo(path: Path, orientation: int) -> bytes:
    image = Image.open(path).convert("RGB")
    scale = PHONE_SIDE / max(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    return camera_jpeg(image, orientation=orientation, quality=92)


def timed(call: Callable[[], object]) -> tuple[float, str]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, f"{len(result.data):,}" if isinstance(result, Photo) else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    upright, turned = phone_photo(args.image, 1), phone_photo(args.image, 6)
    decoded = {data: decode_image(data, LIMITS) for data in (upright, turned)}
    ways: dict[str, Callable[[], object]] = {
        "as sent (KEEP_PHOTO_METADATA=true)": lambda: Photo(upright, "image/jpeg"),
        "upright JPEG: metadata copied out losslessly": lambda: without_metadata(upright, decoded[upright]),
        "orientation 6: re-encoded upright, quality 95": lambda: without_metadata(turned, decoded[turned]),
        "(for scale: decoding it, which register does anyway)": lambda: decode_image(upright, LIMITS),
    }
    samples: dict[str, list[float]] = {name: [] for name in ways}
    sizes: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, way in ways.items():
            milliseconds, sizes[name] = timed(way)
            samples[name].append(milliseconds)
    width, height = decoded[upright].pixels.shape[1], decoded[upright].pixels.shape[0]
    print(f"{machine()}; {width}x{height} JPEG of {len(upright)} bytes, {args.rounds} rounds\n")
    print("| stored | median ms | p90 ms | stored bytes |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in samples.items():
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(f"| {name} | {statistics.median(ordered):.1f} | {p90:.1f} | {sizes[name]} |")


if __name__ == "__main__":
    main()
