"""How far a change moves the embeddings: every photo of a set embedded by this checkout and by another.

    python -m bench.drift DATASET_DIR --before SRC_DIR [--every 1]

Each checkout embeds the photos (every `--every`th image in DATASET_DIR, recursively) in its own process,
as the API does, and keeps the most prominent face. Prints the photos where either finds no usable face,
the cosine between the two main-face embeddings (mean, min, share >= 0.999 and below 0.99) and the lowest.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.harness import machine

# Run by each checkout (PYTHONPATH=its src): the main face of each photo, or the refusal's code. Checkouts
# from before DCT-scaled decoding take no `min_side` and want the pixels.
PROBE = """
import inspect, json, sys
import numpy as np
from facerec.errors import FacerecError
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.models.loader import load_engine
from facerec.settings import Settings
settings = Settings()
engine = load_engine(settings)
limits = ImageLimits(settings.max_image_pixels, settings.max_decode_bytes)
scaled = "min_side" in inspect.signature(decode_image).parameters
paths, out = json.loads(sys.argv[1]), sys.argv[2]
vectors, refused = {}, {}
for path in paths:
    data = open(path, "rb").read()
    try:
        if scaled:
            image = decode_image(data, limits, min_side=engine.options.det_size)
        else:
            image = decode_image(data, limits).pixels
        vectors[path] = engine.encode(image, all_faces=False).faces[0].embedding
    except FacerecError as error:
        refused[path] = error.code
np.savez(out, **{str(i): vectors[p] for i, p in enumerate(paths) if p in vectors})
print(json.dumps(refused))
"""

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})


def embeddings(
    paths: list[str], src_dir: str | None, folder: Path
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    env = dict(os.environ)
    if src_dir is not None:
        env["PYTHONPATH"] = src_dir
    out = folder / f"{'before' if src_dir else 'after'}.npz"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(paths), str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    refused: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    with np.load(out) as saved:
        return {paths[int(index)]: saved[index] for index in saved.files}, refused


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--before", required=True, help="the src folder of the checkout to compare with")
    parser.add_argument("--every", type=int, default=1, help="embed every n-th photo only")
    args = parser.parse_args()
    photos = sorted(str(p) for p in args.dataset.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    photos = photos[:: args.every]
    with tempfile.TemporaryDirectory(prefix="facerec-drift-") as folder:
        before, refused_before = embeddings(photos, args.before, Path(folder))
        after, refused_after = embeddings(photos, None, Path(folder))
    both = [path for path in photos if path in before and path in after]
    cosines = np.asarray([float(before[path] @ after[path]) for path in both])
    print(f"# embedding drift: {args.dataset.name}\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}\n")
    print(f"{len(photos)} photos; no usable face before {len(refused_before)}, after {len(refused_after)}")
    for name, refused in (("before", refused_before), ("after", refused_after)):
        for path, code in refused.items():
            print(f"- {name}: {Path(path).name} {code}")
    print(
        f"\nmain-face cosine after vs before: mean {cosines.mean():.4f}, min {cosines.min():.4f}; "
        f"{np.mean(cosines >= 0.999):.1%} >= 0.999, {int(np.sum(cosines < 0.99))} below 0.99"
    )
    for index in np.argsort(cosines)[:5]:
        print(f"- {Path(both[index]).name}: {cosines[index]:.4f}")


if __name__ == "__main__":
    main()
