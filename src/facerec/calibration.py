"""What a collection's own enrolled faces say about its thresholds and its labels.

Each face is scored as search scores a person (`facerec.person_score`): against the centroid of every other
person's faces (a stranger's score) and against the centroid of its own person's other faces (a genuine
score). From those: the threshold for a target FPIR over the collection's persons, the faces that do not
look like the rest of their person's (possible mislabels), and the persons whose centroids are close
(possible duplicates).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np

from facerec.domain import FaceVector
from facerec.models.faces import FloatArray
from facerec.models.far_curve import FarCurve
from facerec.person_score import centroid

# The collection's own stranger scores set a threshold only when at least this many of them reach it:
# the rule the shipped FAR curve follows (`facerec.models.far_curve`). Else the curve's threshold is used.
MIN_FALSE_ACCEPTS = 10
# A face flagged as disagreeing with its person scores below what one stranger in 100 reaches against a
# person (the curve's FAR 1e-2 point), computed per call from the curve.
DISAGREEMENT_FAR = 1e-2
# Pairs of persons reported, most alike first.
MAX_LOOKALIKES = 100


@dataclass(frozen=True)
class Recommendation:
    fpir: float
    threshold: float
    basis: str  # "collection": the collection's own stranger scores; "model": the pack's FAR curve
    false_accepts: int  # stranger scores at or above the threshold
    stranger_scores: int
    misses: int  # genuine scores below the threshold
    genuine_scores: int


@dataclass(frozen=True)
class Disagreement:
    """A face whose similarity to the centroid of its person's other faces is a stranger's."""

    person_id: UUID
    display_name: str
    face_id: UUID
    score: float


@dataclass(frozen=True)
class Lookalike:
    """Two persons whose centroids are as close as one person's faces usually are."""

    first: UUID
    second: UUID
    score: float


@dataclass(frozen=True)
class Calibration:
    persons: int  # in the collection: the N the thresholds are for
    recommendations: list[Recommendation]
    disagreement_threshold: float
    disagreements: list[Disagreement]
    lookalike_threshold: float
    lookalikes: list[Lookalike]


@dataclass(frozen=True)
class _Scores:
    stranger: FloatArray  # every face against every other person's centroid
    genuine: FloatArray  # every face against its own person's other faces' centroid
    genuine_faces: list[FaceVector]  # the face of each genuine score


def calibrate(
    faces: Sequence[FaceVector],
    *,
    persons: int,
    fpirs: Sequence[float],
    curve: FarCurve,
    lookalike_threshold: float,
) -> Calibration:
    """`faces`: a sample of the collection's faces; `persons`: how many persons the collection holds."""
    by_person: dict[UUID, list[FaceVector]] = {}
    for face in faces:
        by_person.setdefault(face.person_id, []).append(face)
    centroids = {person: centroid([face.embedding for face in own]) for person, own in by_person.items()}
    scores = _scores(by_person, centroids)
    disagreement = curve.threshold_at(DISAGREEMENT_FAR)
    return Calibration(
        persons=persons,
        recommendations=[_recommend(scores, fpir, persons, curve) for fpir in fpirs],
        disagreement_threshold=disagreement,
        disagreements=[
            Disagreement(face.person_id, face.display_name, face.id, float(score))
            for face, score in zip(scores.genuine_faces, scores.genuine, strict=True)
            if score < disagreement
        ],
        lookalike_threshold=lookalike_threshold,
        lookalikes=_lookalikes(centroids, lookalike_threshold),
    )


def _scores(by_person: dict[UUID, list[FaceVector]], centroids: dict[UUID, FloatArray]) -> _Scores:
    order = list(by_person)
    if not order:
        empty = np.zeros(0, dtype=np.float32)
        return _Scores(empty, empty, [])
    faces = [face for person in order for face in by_person[person]]
    owner = np.asarray([order.index(face.person_id) for face in faces])
    matrix = np.stack([face.embedding for face in faces]).astype(np.float32)
    against = matrix @ np.stack([centroids[person] for person in order]).T
    stranger = against[np.arange(len(order))[None, :] != owner[:, None]]
    genuine_faces, genuine = [], []
    for person in order:
        own = by_person[person]
        if len(own) < 2:
            continue
        total = np.sum([face.embedding for face in own], axis=0, dtype=np.float64)
        for face in own:
            rest = total - face.embedding
            genuine.append(float(face.embedding @ rest / np.linalg.norm(rest)))
            genuine_faces.append(face)
    return _Scores(stranger, np.asarray(genuine, dtype=np.float32), genuine_faces)


def _recommend(scores: _Scores, fpir: float, persons: int, curve: FarCurve) -> Recommendation:
    """The threshold at which a stranger matches one of `persons` with probability `fpir`: from the
    collection's own stranger scores where enough of them reach it, else from the pack's curve."""
    far = -math.expm1(math.log1p(-fpir) / max(persons, 1))
    allowed = math.floor(far * scores.stranger.size)
    if allowed >= MIN_FALSE_ACCEPTS:
        ranked = np.sort(scores.stranger)[::-1]
        threshold, basis = float(np.nextafter(ranked[allowed], np.float32(2))), "collection"
    else:
        threshold, basis = curve.threshold_for(fpir=fpir, persons=max(persons, 1)), "model"
    return Recommendation(
        fpir=fpir,
        threshold=threshold,
        basis=basis,
        false_accepts=int(np.count_nonzero(scores.stranger >= threshold)),
        stranger_scores=int(scores.stranger.size),
        misses=int(np.count_nonzero(scores.genuine < threshold)),
        genuine_scores=int(scores.genuine.size),
    )


def _lookalikes(centroids: dict[UUID, FloatArray], threshold: float) -> list[Lookalike]:
    order = list(centroids)
    if len(order) < 2:
        return []
    matrix = np.stack([centroids[person] for person in order])
    similar = matrix @ matrix.T
    first, second = np.nonzero(np.triu(similar >= threshold, k=1))
    pairs = [Lookalike(order[i], order[j], float(similar[i, j])) for i, j in zip(first, second, strict=True)]
    return sorted(pairs, key=lambda pair: pair.score, reverse=True)[:MAX_LOOKALIKES]
