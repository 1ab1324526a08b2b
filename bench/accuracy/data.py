"""The labelled photo set: reading labels and pairs, and embedding every photo with the API's own code."""

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from facerec.errors import FacerecError
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.models.engine import FaceEngine
from facerec.models.faces import EncodedFace, FloatArray
from facerec.models.quality import FaceQuality

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Photo:
    path: str
    identity: str


@dataclass(frozen=True)
class Pair:
    path_a: str
    path_b: str
    same: bool
    fold: int | None


@dataclass(frozen=True)
class Failure:
    path: str
    code: str
    message: str


@dataclass(frozen=True)
class Embeddings:
    vectors: dict[str, FloatArray]  # path -> unit-norm embedding of the most prominent face
    qualities: dict[str, FaceQuality]  # path -> that face's quality scores
    faces: dict[str, list[EncodedFace]]  # path -> every recognisable face, most prominent first
    failures: list[Failure]
    seconds: float


def read_photos(dataset: Path) -> list[Photo]:
    with (dataset / "labels.csv").open(newline="") as file:
        return [Photo(row["path"], row["identity"]) for row in csv.DictReader(file)]


def unlabelled_images(dataset: Path, photos: Sequence[Photo]) -> list[str]:
    """Images in the set's folder (not below it) without a label: group photos."""
    labelled = {photo.path for photo in photos}
    found = (p for p in sorted(dataset.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES)
    return [p.name for p in found if p.name not in labelled]


def read_pairs(path: Path) -> list[Pair]:
    with path.open(newline="") as file:
        return [
            Pair(row["path_a"], row["path_b"], row["same"] == "1", fold_of(row))
            for row in csv.DictReader(file)
        ]


def fold_of(row: dict[str, str]) -> int | None:
    value = row.get("fold") or ""
    return int(value) if value.strip() else None


def labelled_pairs(photos: Sequence[Photo]) -> list[Pair]:
    return [
        Pair(a.path, b.path, a.identity == b.identity, None)
        for i, a in enumerate(photos)
        for b in photos[i + 1 :]
    ]


def embed(engine: FaceEngine, image_path: Path, limits: ImageLimits) -> list[EncodedFace]:
    """Every recognisable face, most prominent first (the first is the one the pipeline keeps)."""
    image = decode_image(image_path.read_bytes(), limits)
    return engine.encode(image.pixels, all_faces=True).faces


def embed_all(engine: FaceEngine, dataset: Path, paths: Sequence[str], limits: ImageLimits) -> Embeddings:
    started = time.perf_counter()
    faces: dict[str, list[EncodedFace]] = {}
    failures: list[Failure] = []
    for path in paths:
        try:
            faces[path] = embed(engine, dataset / path, limits)
        except FacerecError as error:
            failures.append(Failure(path, error.code, error.message))
    return Embeddings(
        {path: found[0].embedding for path, found in faces.items()},
        {path: found[0].quality for path, found in faces.items()},
        faces,
        failures,
        time.perf_counter() - started,
    )
