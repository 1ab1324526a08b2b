"""Peak memory of decoding the worst legal inputs, each in a fresh process.

    python -m bench.decode [--width 4000 --height 3000] [--before SRC_DIR]

Makes each input at the given size (smooth content, so each file stays under the upload limit): 16-bit
grey and 16-bit RGB PNG, 8- and 16-bit RGBA PNG, 32-bit integer and float TIFF, CMYK JPEG, progressive
JPEG (4:4:4, the largest coefficient buffer; and 4:2:0) and a baseline JPEG for reference. Each is decoded by
`decode_image` in a new Python process; the peak RSS above the process's own before the call is compared
with the decoded 8-bit RGB size (width x height x 3); the goal is at most 3x. With --before, the same
inputs are also decoded by the facerec package in SRC_DIR (another checkout's `src`), alternating.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bench.harness import machine

# Run in a fresh interpreter: warm up on a tiny image, reset the kernel's peak-RSS mark (VmHWM) to the
# current RSS, decode the file once and report the peak above it. (ru_maxrss would not do: a child starts
# with its parent's peak.) Checkouts from before the decode budget take `max_pixels` alone.
PROBE = """
import json, re, sys
from facerec.imaging import intake
def decode(data):
    if hasattr(intake, "ImageLimits"):
        return intake.decode_image(data, intake.ImageLimits(10**9, 10**12))
    return intake.decode_image(data, max_pixels=10**9)
def status(field):
    return int(re.search(field + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
tiny = open(sys.argv[2], "rb").read()
decode(tiny)
data = open(sys.argv[1], "rb").read()
open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS")
decode(data)
print(json.dumps({"peak_kib": status("VmHWM") - before}))
"""


def gradient(width: int, height: int, channels: int, peak: int) -> np.ndarray:
    """Rows of one value each, different in every channel: files far under the upload limit."""
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    planes = np.broadcast_to(y * np.linspace(0.5, 1, channels, dtype=np.float32), (height, width, channels))
    return np.ascontiguousarray(planes * peak)


def inputs(width: int, height: int) -> dict[str, Callable[[], bytes]]:
    def png(array: np.ndarray) -> bytes:
        return bytes(cv2.imencode(".png", array)[1])

    def pillow(image: Image.Image, image_format: str, **options: object) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, image_format, **options)
        return buffer.getvalue()

    rgb8 = gradient(width, height, 3, 255).astype(np.uint8)
    return {
        "16-bit grey PNG": lambda: png(gradient(width, height, 1, 65535).astype(np.uint16)[:, :, 0]),
        "16-bit RGB PNG": lambda: png(gradient(width, height, 3, 65535).astype(np.uint16)),
        "8-bit RGBA PNG": lambda: png(gradient(width, height, 4, 255).astype(np.uint8)),
        "16-bit RGBA PNG": lambda: png(gradient(width, height, 4, 65535).astype(np.uint16)),
        "32-bit integer TIFF": lambda: pillow(
            Image.fromarray(gradient(width, height, 1, 65535).astype(np.int32)[:, :, 0], "I"),
            "TIFF",
            compression="tiff_deflate",
        ),
        "32-bit float TIFF": lambda: pillow(
            Image.fromarray(gradient(width, height, 1, 255)[:, :, 0], "F"), "TIFF", compression="tiff_deflate"
        ),
        "CMYK JPEG": lambda: pillow(Image.fromarray(rgb8).convert("CMYK"), "JPEG", quality=90),
        "progressive JPEG (4:4:4)": lambda: pillow(
            Image.fromarray(rgb8), "JPEG", quality=90, progressive=True, subsampling=0
        ),
        "progressive JPEG (4:2:0)": lambda: pillow(
            Image.fromarray(rgb8), "JPEG", quality=90, progressive=True, subsampling=2
        ),
        "baseline JPEG": lambda: pillow(Image.fromarray(rgb8), "JPEG", quality=90),
    }


def peak_mib(source: Path, tiny: Path, src_dir: str | None) -> float:
    env = dict(os.environ)
    if src_dir is not None:
        env["PYTHONPATH"] = src_dir
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(source), str(tiny)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result["peak_kib"] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--before", help="the src folder of another checkout, measured alternately")
    args = parser.parse_args()
    rgb_mib = args.width * args.height * 3 / 2**20
    print(f"# decode memory\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}")
    print(f"\n{args.width}x{args.height}: decoded 8-bit RGB is {rgb_mib:.1f} MiB; goal: peak <= 3x.\n")
    before = " before MiB | before x RGB |" if args.before else ""
    print(f"| input | file KiB |{before} peak MiB | x RGB |")
    print("|" + " --- |" * (4 + (2 if args.before else 0)))
    with tempfile.TemporaryDirectory(prefix="facerec-decode-") as folder:
        tiny = Path(folder) / "tiny.png"
        Image.new("RGB", (8, 8)).save(tiny)
        for name, make in inputs(args.width, args.height).items():
            source = Path(folder) / "input"
            source.write_bytes(make())
            cells = [f"{source.stat().st_size / 1024:.0f}"]
            if args.before:
                old = peak_mib(source, tiny, args.before)
                cells += [f"{old:.1f}", f"{old / rgb_mib:.2f}x"]
            new = peak_mib(source, tiny, None)
            cells += [f"{new:.1f}", f"{new / rgb_mib:.2f}x"]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
