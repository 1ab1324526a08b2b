"""The enrolment quality bar: which photos it refuses, and whether those are the ones that match badly.

The bar is tried on the photos as they are and on worse copies of each (blurred, shrunk, turned on its
side). A good bar refuses the copies whose embeddings drift from the person's other photos and lets the
rest through.
"""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from bench.accuracy.data import Embeddings, Photo
from facerec.errors import FacerecError
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.models.engine import FaceEngine
from facerec.models.faces import FloatArray
from facerec.models.quality import FaceQuality, QualityBar

Degrade = Callable[[Image.Image, float], Image.Image]  # photo, face size (px) -> worse photo
SHRUNK_FACES = (48, 24)  # px: face sizes of the shrunk copies, either side of the size bar


def _blur(image: Image.Image, face_size: float) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(max(1.0, face_size / 35)))


def _shrink_to(side: int) -> Degrade:
    def shrink(image: Image.Image, face_size: float) -> Image.Image:
        scale = min(1.0, side / face_size)
        return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))

    return shrink


def _turn(image: Image.Image, _: float) -> Image.Image:
    return image.rotate(90, expand=True)


DEGRADATIONS: dict[str, Degrade] = {
    "blurred (sigma = face size / 35)": _blur,
    **{f"shrunk (face about {side} px)": _shrink_to(side) for side in SHRUNK_FACES},
    "turned on its side (90°)": _turn,
}


@dataclass(frozen=True)
class Assessed:
    """A photo or a worse copy: refused or not, and how well it matches the person's other photos."""

    refused: bool
    genuine_similarity: float  # mean cosine similarity with the other photos of the same identity


@dataclass(frozen=True)
class BarEffect:
    kind: str
    assessed: list[Assessed]
    lost: int  # copies where no usable face was found at all
    reasons: dict[str, int]  # reason -> photos or copies refused for it


def genuine_similarity(
    vector: FloatArray, photo: Photo, photos: Sequence[Photo], vectors: dict[str, FloatArray]
) -> float:
    others = [
        vectors[p.path]
        for p in photos
        if p.identity == photo.identity and p.path != photo.path and p.path in vectors
    ]
    return float(np.mean([float(vector @ other) for other in others]))


def _effect(kind: str, results: list[tuple[FaceQuality, float]], lost: int, bar: QualityBar) -> BarEffect:
    reasons: dict[str, int] = {}
    assessed = []
    for quality, similarity in results:
        failed = bar.reasons(quality)
        for reason in failed:
            reasons[reason.value] = reasons.get(reason.value, 0) + 1
        assessed.append(Assessed(bool(failed), similarity))
    return BarEffect(kind, assessed, lost, reasons)


def bar_effects(
    engine: FaceEngine,
    dataset: Path,
    photos: Sequence[Photo],
    embeddings: Embeddings,
    bar: QualityBar,
    limits: ImageLimits,
) -> list[BarEffect]:
    vectors = embeddings.vectors
    embedded = [p for p in photos if p.path in vectors]
    originals = [
        (embeddings.qualities[p.path], genuine_similarity(vectors[p.path], p, photos, vectors))
        for p in embedded
    ]
    effects = [_effect("photos as they are", originals, 0, bar)]
    for kind, degrade in DEGRADATIONS.items():
        results, lost = [], 0
        for photo in embedded:
            image = ImageOps.exif_transpose(Image.open(dataset / photo.path)).convert("RGB")
            worse = degrade(image, embeddings.qualities[photo.path].face_size)
            try:
                face = _encode(engine, worse, limits)
            except FacerecError:
                lost += 1
                continue
            results.append((face[1], genuine_similarity(face[0], photo, photos, vectors)))
        effects.append(_effect(kind, results, lost, bar))
    return effects


def _encode(engine: FaceEngine, image: Image.Image, limits: ImageLimits) -> tuple[FloatArray, FaceQuality]:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    pixels = decode_image(buffer.getvalue(), limits).pixels
    face = engine.encode(pixels, all_faces=False).faces[0]
    return face.embedding, face.quality


def _median(values: list[float]) -> str:
    return f"{np.median(values):.3f}" if values else "n/a"


def _below(values: list[float], threshold: float) -> str:
    return f"{sum(v < threshold for v in values)}/{len(values)}"


def bar_table(effects: Sequence[BarEffect], bar: QualityBar, threshold: float) -> str:
    lines = [
        "### Face quality: the enrolment bar",
        "",
        "| photos | faces found (lost) | refused | reasons | median genuine similarity: kept / refused "
        f"| below {threshold:.2f}: kept / refused |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for effect in effects:
        kept = [a.genuine_similarity for a in effect.assessed if not a.refused]
        refused = [a.genuine_similarity for a in effect.assessed if a.refused]
        reasons = ", ".join(f"{name} {count}" for name, count in sorted(effect.reasons.items())) or "none"
        lines.append(
            f"| {effect.kind} | {len(effect.assessed)} ({effect.lost}) | {len(refused)} | {reasons} "
            f"| {_median(kept)} / {_median(refused)} "
            f"| {_below(kept, threshold)} / {_below(refused, threshold)} |"
        )
    lines += [
        "",
        f"Bar: detector confidence ≥ {bar.min_det_score}, face ≥ {bar.min_face_size:.0f} px, sharpness ≥ "
        f"{bar.min_sharpness}, |yaw| ≤ {bar.max_yaw:.0f}°, |pitch| ≤ {bar.max_pitch:.0f}°, |roll| ≤ "
        f"{bar.max_roll:.0f}° (the QUALITY_* defaults). Genuine similarity: the mean cosine similarity of a "
        "photo (or copy) with the other photos of the same person. A copy may fail several checks.",
    ]
    return "\n".join(lines)


def quality_ranges(embeddings: Embeddings) -> str:
    qualities = list(embeddings.qualities.values())
    det = min(q.det_score for q in qualities)
    size = min(q.face_size for q in qualities)
    sharp = sorted(q.sharpness for q in qualities)
    yaw = max(abs(q.pose.yaw) for q in qualities)
    pitch = max(abs(q.pose.pitch) for q in qualities)
    roll = max(abs(q.pose.roll) for q in qualities)
    return (
        f"Over the photos as they are: detector confidence from {det:.2f}, face size from {size:.0f} px, "
        f"sharpness from {sharp[0]:.3f} (median {sharp[len(sharp) // 2]:.3f}), |yaw| up to {yaw:.0f}°, "
        f"|pitch| up to {pitch:.0f}°, |roll| up to {roll:.0f}°."
    )
