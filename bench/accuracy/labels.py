"""Label noise in a photo set: one person under two identities, and single photos under the wrong one.

CelebA has both (faces-celeba's README). Left in, they put same-person pairs among the different-person
pairs, and the tail of the impostor scores (where FAR = 1e-5 lives) measures the labels, not the model. A
label is contradicted only when the evidence is overwhelming: the median similarity of a photo (or of all
photos of an identity) to the photos of another identity at least `CONTRADICTED`, far above the highest
different-person similarity that comes from more than a single pair.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.accuracy.data import Photo
from bench.accuracy.verification import Scores
from facerec.models.faces import FloatArray

CONTRADICTED = 0.40


@dataclass(frozen=True)
class Cleaning:
    photos: list[Photo]  # with merged identities, without the mislabelled photos
    merged: list[tuple[str, str]]  # (identity, the identity it was merged into)
    dropped: list[tuple[str, str, str]]  # (path, its label, the identity it looks like)


def similarity_matrix(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> Scores:
    matrix = np.stack([vectors[p.path] for p in photos]).astype(np.float64)
    similarities: Scores = matrix @ matrix.T
    return similarities


def medians_by_identity(similarity: Scores, identities: Sequence[str]) -> dict[str, Scores]:
    """identity -> each photo's median similarity to that identity's photos (itself left out)."""
    labels = np.array(identities)
    masked = similarity.copy()
    np.fill_diagonal(masked, np.nan)
    return {name: np.nanmedian(masked[:, labels == name], axis=1) for name in sorted(set(identities))}


def merge_duplicates(
    photos: Sequence[Photo], medians: dict[str, Scores]
) -> tuple[list[Photo], list[tuple[str, str]]]:
    """Identities whose photos, taken together, match another identity's: one person under two labels."""
    labels = np.array([p.identity for p in photos])
    into: dict[str, str] = {}
    for name in sorted(medians):
        for other in sorted(medians):
            if other < name and float(np.median(medians[other][labels == name])) >= CONTRADICTED:
                into.setdefault(name, into.get(other, other))
    merged = [Photo(p.path, into.get(p.identity, p.identity)) for p in photos]
    return merged, sorted(into.items())


def clean_labels(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> Cleaning:
    embedded = [p for p in photos if p.path in vectors]
    similarity = similarity_matrix(embedded, vectors)
    merged, merges = merge_duplicates(
        embedded, medians_by_identity(similarity, [p.identity for p in embedded])
    )
    medians = medians_by_identity(similarity, [p.identity for p in merged])
    kept, dropped = [], []
    for i, photo in enumerate(merged):
        own = float(medians[photo.identity][i])
        lookalike = max((name for name in medians if name != photo.identity), key=lambda n: medians[n][i])
        if float(medians[lookalike][i]) >= max(CONTRADICTED, own):
            dropped.append((photo.path, photo.identity, lookalike))
        else:
            kept.append(photo)
    return Cleaning(kept, merges, dropped)
