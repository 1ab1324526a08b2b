"""Real photos for the tests: insightface's bundled samples, variants made from them, and the labelled
faces-deepface set beside the project when it is there."""

import io
import os
from dataclasses import dataclass
from pathlib import Path

import insightface
from PIL import Image

INSIGHTFACE_IMAGES = Path(insightface.__file__).parent / "data" / "images"
DEEPFACE_DIR = Path(
    os.environ.get("FACEREC_DEEPFACE_DIR", Path(__file__).parents[2] / "shared" / "data" / "faces-deepface")
)


@dataclass(frozen=True)
class Photos:
    group: Path = INSIGHTFACE_IMAGES / "t1.jpg"  # six people
    tight_face: Path = INSIGHTFACE_IMAGES / "Tom_Hanks_54745.png"  # an aligned 112x112 face crop

    def bytes_of(self, path: Path) -> bytes:
        return path.read_bytes()

    def open(self, path: Path) -> Image.Image:
        return Image.open(path).convert("RGB")


def encoded(image: Image.Image, image_format: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def deepface_labels() -> dict[str, str] | None:
    """path -> identity for faces-deepface, or None where the set is absent."""
    labels = DEEPFACE_DIR / "labels.csv"
    if not labels.is_file():
        return None
    rows = labels.read_text().splitlines()[1:]
    return dict(row.split(",", 1) for row in rows if row)
