"""The tight-crop study of docs/DETECTION.md: does the engine find faces that fill the frame?

    python -m bench.detection [DEEPFACE_DIR]

On the labelled faces-deepface photos, with `FaceEngine.detect` (both passes, as the API runs it):
- normal photos: faces found, and each photo's main face (the reference for the crops);
- crops: the main face cut out at its box grown by 0%, 10% and 25% per side, resized to 112, 256, 512 and
  1024 px wide; a hit is a detection with IoU >= 0.5 against the reference box mapped into the crop;
- mixed: a 512 px tight crop with a 96 px face of the next photo pasted in its bottom-left corner; a hit
  is the big face found (IoU >= 0.5);
- face-free: plain, noise and gradient images at four sizes: any detection is a false one.
Photos are read with OpenCV (EXIF orientation applied), so any checkout's engine sees the same pixels.
"""

import argparse
import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bench.harness import machine
from facerec.models.engine import FaceEngine
from facerec.models.faces import Box, ImageArray
from facerec.models.loader import load_engine
from facerec.settings import Settings

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces-deepface"
MARGINS = (0.0, 0.10, 0.25)
WIDTHS = (112, 256, 512, 1024)
HIT_IOU = 0.5


@dataclass(frozen=True)
class Reference:
    name: str
    image: ImageArray
    box: Box  # the main face in the full photo


def references(engine: FaceEngine, folder: Path) -> tuple[list[Reference], int]:
    """Each labelled photo's main face, and the number of faces found in all of them."""
    with (folder / "labels.csv").open(newline="") as file:
        paths = [folder / row["path"] for row in csv.DictReader(file)]
    found, total = [], 0
    for path in paths:
        image = np.asarray(cv2.imread(str(path), cv2.IMREAD_COLOR), dtype=np.uint8)
        faces = engine.detect(image)
        total += len(faces)
        if faces:
            found.append(Reference(path.name, image, faces[0].box))
    return found, total


def crop(reference: Reference, margin: float, width: int) -> tuple[ImageArray, Box]:
    """The face box grown by `margin` per side (clipped to the photo), resized to `width` px wide."""
    box, (height, full_width) = reference.box, reference.image.shape[:2]
    grow_x, grow_y = box.width * margin, box.height * margin
    x1, y1 = max(0, int(box.x1 - grow_x)), max(0, int(box.y1 - grow_y))
    x2, y2 = min(full_width, int(box.x2 + grow_x)), min(height, int(box.y2 + grow_y))
    scale = width / (x2 - x1)
    cut = cv2.resize(reference.image[y1:y2, x1:x2], (width, max(1, round((y2 - y1) * scale))))
    mapped = Box((box.x1 - x1) * scale, (box.y1 - y1) * scale, (box.x2 - x1) * scale, (box.y2 - y1) * scale)
    return np.asarray(cut, dtype=np.uint8), mapped


def hit(engine: FaceEngine, image: ImageArray, expected: Box) -> bool:
    return any(face.box.iou(expected) >= HIT_IOU for face in engine.detect(image))


def mixed(reference: Reference, other: Reference) -> tuple[ImageArray, Box]:
    scene, box = crop(reference, 0.0, 512)
    small, _ = crop(other, 0.25, 96)
    rows = min(small.shape[0], scene.shape[0])
    scene[scene.shape[0] - rows :, :96] = small[:rows]
    return scene, box


def face_free() -> Iterator[ImageArray]:
    generator = np.random.default_rng(0)
    for side in (112, 256, 640, 1024):
        yield np.full((side, side, 3), 127, dtype=np.uint8)
        yield generator.integers(0, 256, (side, side, 3), dtype=np.uint8)
        ramp = np.linspace(0, 255, side, dtype=np.float32)[None, :, None]
        yield np.ascontiguousarray(np.broadcast_to(ramp, (side, side, 3)).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT_DIR)
    args = parser.parse_args()
    engine = load_engine(Settings(_env_file=None))
    started = time.perf_counter()
    refs, normal_faces = references(engine, args.folder)
    crops = {(m, w): sum(hit(engine, *crop(r, m, w)) for r in refs) for m in MARGINS for w in WIDTHS}
    mixed_hits = sum(hit(engine, *mixed(r, refs[(i + 1) % len(refs)])) for i, r in enumerate(refs))
    free = list(face_free())
    false = sum(len(engine.detect(image)) for image in free)
    seconds = time.perf_counter() - started
    print(f"# detection study\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}; {seconds:.0f} s\n")
    print(f"- normal photos: {len(refs)} with a face, {normal_faces} faces found")
    print(f"- crops found: {sum(crops.values())} / {len(crops) * len(refs)}")
    print(f"- mixed, big face found: {mixed_hits} / {len(refs)}")
    print(f"- false detections on {len(free)} face-free images: {false}\n")
    print("| margin | " + " | ".join(f"{w} px" for w in WIDTHS) + " |")
    print("|" + " --- |" * (1 + len(WIDTHS)))
    for m in MARGINS:
        print(f"| {m:.0%} | " + " | ".join(f"{crops[(m, w)]} / {len(refs)}" for w in WIDTHS) + " |")


if __name__ == "__main__":
    main()
