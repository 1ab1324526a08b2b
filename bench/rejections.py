"""How far a "not this person" feedback reaches: `python -m bench.rejections DATASET_DIR`.

A rejection stores the probe's embedding; a later probe within `REJECTION_SIMILARITY` of it no longer
matches the rejected person. For each candidate similarity this measures, on a labelled set (labels
cleaned as `bench.accuracy` cleans them):
- the same photo sent again (re-compressed at JPEG quality 70 and scaled by 1.5): share still rejected;
- another photo of the same person: share rejected too (the feedback generalising);
- a photo of anybody else: share rejected (collateral: the rejected person would be hidden from them).
"""

import argparse
import io
import random
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from bench.accuracy.data import embed_all, read_photos
from bench.accuracy.labels import clean_labels
from facerec.errors import FacerecError
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.models.loader import load_engine
from facerec.settings import Settings

CANDIDATES = (0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
RESENT = 200  # photos sent again, at random


def resent(path: Path) -> bytes:
    image = Image.open(path).convert("RGB")
    image = image.resize((image.width * 3 // 2, image.height * 3 // 2), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def main() -> None:
    warnings.filterwarnings("ignore", "`estimate` is deprecated", FutureWarning)
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", type=Path)
    dataset = parser.parse_args().dataset
    settings = Settings(_env_file=None)
    engine = load_engine(settings)
    limits = ImageLimits(settings.max_image_pixels, settings.max_decode_bytes)
    photos = read_photos(dataset)
    print(f"embedding {len(photos)} photos", file=sys.stderr, flush=True)
    vectors = embed_all(engine, dataset, [p.path for p in photos], limits).vectors
    kept = clean_labels(photos, vectors).photos
    matrix = np.stack([vectors[p.path] for p in kept])
    similarity = matrix @ matrix.T
    labels = np.asarray([p.identity for p in kept])
    same = labels[:, None] == labels[None, :]
    upper = np.triu(np.ones_like(same), k=1).astype(bool)
    genuine, impostor = similarity[same & upper], similarity[~same & upper]
    sample = random.Random(13).sample(range(len(kept)), RESENT)
    again = []
    for index in sample:
        try:
            image = decode_image(resent(dataset / kept[index].path), limits)
            again.append(
                float(engine.encode(image.pixels, all_faces=False).faces[0].embedding @ matrix[index])
            )
        except FacerecError:
            continue
    resend = np.asarray(again)
    print(
        f"{datetime.now(UTC):%Y-%m-%d}, {dataset.name}: {len(kept)} photos, {genuine.size} same-person and "
        f"{impostor.size} different-person pairs, {resend.size} photos sent again"
    )
    print(
        f"highest different-person similarity: {impostor.max():.3f}; lowest same photo sent again: "
        f"{resend.min():.3f}\n"
    )
    print(
        "| rejection similarity | same photo sent again: rejected | same person, other photo: rejected "
        "| anybody else: rejected |"
    )
    print("|---:|---:|---:|---:|")
    for threshold in CANDIDATES:
        print(
            f"| {threshold:.2f} | {np.mean(resend >= threshold):.1%} | {np.mean(genuine >= threshold):.2%} "
            f"| {int(np.sum(impostor >= threshold))} / {impostor.size} |"
        )


if __name__ == "__main__":
    main()
