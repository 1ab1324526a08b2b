"""Calibrated operating points: FAR per comparison with confidence intervals, and the FAR curve of a
person's score that `threshold=auto` turns into a threshold for a gallery's size.

FAR targets are met on the face pairs (one face against one face, the 1:1 case). A search compares the
probe with each person's score (`facerec.person_score`: the centroid of their faces), whose impostor
scores are higher the more faces a person has; the curve for the service is the highest FAR over persons
of 1, 2, 4 and 8 faces, so the promised FPIR holds whatever a gallery looks like.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.accuracy.data import Photo
from bench.accuracy.persons import photos_by_person
from bench.accuracy.verification import PairScores, Rates, Scores, at_far
from facerec.models.faces import FloatArray
from facerec.person_score import centroid

CALIBRATION_FARS = (1e-3, 1e-4, 1e-5, 1e-6)
Z95 = 1.959964
# faces per person -> random choices of them per person (every person has 8 photos: one choice of 8)
FACES_PER_PERSON = {1: 5, 2: 5, 4: 5, 8: 1}
CURVE_GRID = tuple(round(0.10 + 0.01 * i, 2) for i in range(46))  # 0.10 to 0.55
RELIABLE = 10  # false accepts a curve point needs; beyond the last such point the tail is extrapolated
TAIL_FIT = (1e-3, 1e-5)  # the FAR range whose log-linear fit extends the curve


@dataclass(frozen=True)
class CalibratedPoint:
    target: float
    rates: Rates
    low: float  # 95% Wilson interval of the FAR measured at the threshold
    high: float

    @property
    def reached(self) -> bool:
        """At least one false accept is allowed; otherwise the threshold only sits above every impostor."""
        return self.rates.impostors * self.target >= 1


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    false_accepts: int
    comparisons: int

    @property
    def far(self) -> float:
        return self.false_accepts / self.comparisons


@dataclass(frozen=True)
class FarCurves:
    by_faces: dict[int, list[CurvePoint]]  # faces per person -> the curve of that centroid
    envelope: list[CurvePoint]  # the highest FAR at each threshold
    tail_slope: float  # decades of FAR per unit of threshold, fitted over TAIL_FIT
    impostor_scores: Scores  # every person-level impostor score (4 faces per person), for simulations


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion."""
    denominator = 1 + z * z / trials
    centre = (successes / trials + z * z / (2 * trials)) / denominator
    spread = z * math.sqrt(successes * (trials - successes) / trials**3 + z * z / (4 * trials * trials))
    return max(0.0, centre - spread / denominator), min(1.0, centre + spread / denominator)


def calibrate(scores: PairScores) -> list[CalibratedPoint]:
    points = []
    for target in CALIBRATION_FARS:
        measured = at_far(scores, target).rates
        points.append(CalibratedPoint(target, measured, *wilson(measured.false_accepts, measured.impostors)))
    return points


def person_impostor_scores(
    photos: Sequence[Photo], vectors: dict[str, FloatArray], faces: int, draws: int, seed: int
) -> Scores:
    """Every photo against the centroid of `faces` photos of every other person that has that many."""
    rng = np.random.default_rng(seed)
    by_person = photos_by_person(photos)
    names = sorted(name for name, paths in by_person.items() if len(paths) >= faces)
    matrix = np.stack([vectors[p.path] for p in photos]).astype(np.float64)
    identities = np.array([p.identity for p in photos])
    scores = []
    for _ in range(draws):
        chosen = [rng.permutation(by_person[name])[:faces] for name in names]
        centroids = np.stack([centroid([vectors[str(path)] for path in paths]) for paths in chosen])
        similarity = matrix @ centroids.T.astype(np.float64)
        scores.append(similarity[identities[:, None] != np.array(names)[None, :]])
    return np.concatenate(scores)


def curve(impostor: Scores) -> list[CurvePoint]:
    ordered = np.sort(impostor)
    return [
        CurvePoint(t, int(len(ordered) - np.searchsorted(ordered, t, side="left")), len(ordered))
        for t in CURVE_GRID
    ]


def tail_slope(points: Sequence[CurvePoint]) -> float:
    high, low = TAIL_FIT
    fitted = [p for p in points if low <= p.far <= high]
    slope, _ = np.polyfit([p.threshold for p in fitted], [math.log10(p.far) for p in fitted], 1)
    return float(slope)


def far_curves(photos: Sequence[Photo], vectors: dict[str, FloatArray], seed: int) -> FarCurves:
    scores = {k: person_impostor_scores(photos, vectors, k, n, seed) for k, n in FACES_PER_PERSON.items()}
    by_faces = {k: curve(s) for k, s in scores.items()}
    envelope = [max(column, key=lambda p: p.far) for column in zip(*by_faces.values(), strict=True)]
    return FarCurves(by_faces, envelope, tail_slope(envelope), scores[4])


def service_curve(curves: FarCurves) -> list[tuple[float, float]]:
    """(threshold, FAR) for `facerec.models.far_curve`: the envelope while it has RELIABLE false accepts."""
    return [(p.threshold, p.far) for p in curves.envelope if p.false_accepts >= RELIABLE]
