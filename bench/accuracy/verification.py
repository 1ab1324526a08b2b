"""Verification: pair similarities, FAR/FRR at a threshold, cross-validated accuracy, ROC and EER."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.accuracy.data import Pair
from facerec.models.faces import FloatArray

Scores = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
Folds = npt.NDArray[np.int64]

FOLDS = 10
TARGET_FARS = (1e-3, 1e-4)
GRID = 1000  # thresholds are reported on a 0.001 grid


@dataclass(frozen=True)
class PairScores:
    name: str
    pairs: list[Pair]  # those scored, in file order
    similarity: Scores
    same: Flags
    fold: Folds
    skipped: int  # pairs with a photo that gave no embedding

    @property
    def genuine(self) -> Scores:
        return self.similarity[self.same]

    @property
    def impostor(self) -> Scores:
        return self.similarity[~self.same]


@dataclass(frozen=True)
class Rates:
    threshold: float
    false_accepts: int
    impostors: int
    false_rejects: int
    genuines: int

    @property
    def far(self) -> float:
        return self.false_accepts / self.impostors

    @property
    def frr(self) -> float:
        return self.false_rejects / self.genuines


@dataclass(frozen=True)
class OperatingPoint:
    target_far: float
    rates: Rates

    @property
    def meaningful(self) -> bool:
        """At least one false accept is allowed: with fewer than 1/FAR impostors this is TAR at FAR = 0."""
        return self.rates.impostors * self.target_far >= 1


@dataclass(frozen=True)
class Verification:
    scores: PairScores
    accuracies: list[float]  # per test fold
    thresholds: list[float]  # chosen on the other nine folds
    equal_error_rate: float
    equal_error_threshold: float
    points: list[OperatingPoint]


def stratified_folds(same: Flags) -> Folds:
    """Genuine and impostor pairs dealt round-robin, in file order, so every fold holds both."""
    folds = np.empty(len(same), dtype=np.int64)
    folds[same] = np.arange(int(same.sum())) % FOLDS
    folds[~same] = np.arange(int((~same).sum())) % FOLDS
    return folds


def score_pairs(name: str, pairs: Sequence[Pair], vectors: dict[str, FloatArray]) -> PairScores:
    kept = [pair for pair in pairs if pair.path_a in vectors and pair.path_b in vectors]
    similarity = np.array([float(vectors[p.path_a] @ vectors[p.path_b]) for p in kept], dtype=np.float64)
    same = np.array([p.same for p in kept], dtype=np.bool_)
    if same.all() or not same.any():
        raise SystemExit(f"{name}: needs both same-person and different-person pairs with a face")
    given = [p.fold for p in kept]
    folds = stratified_folds(same) if None in given else np.array(given, dtype=np.int64)
    return PairScores(name, kept, similarity, same, folds, len(pairs) - len(kept))


def rates(scores: PairScores, threshold: float) -> Rates:
    genuine, impostor = scores.genuine, scores.impostor
    return Rates(
        threshold,
        false_accepts=int((impostor >= threshold).sum()),
        impostors=len(impostor),
        false_rejects=int((genuine < threshold).sum()),
        genuines=len(genuine),
    )


def grid_above(value: float) -> float:
    """The smallest threshold on the reporting grid that rejects `value`."""
    return (math.floor(value * GRID + 1e-9) + 1) / GRID


def at_far(scores: PairScores, target: float) -> OperatingPoint:
    """The lowest grid threshold whose false-accept rate is at most `target`."""
    impostor = np.sort(scores.impostor)[::-1]
    allowed = math.floor(target * len(impostor) + 1e-9)
    boundary = float(impostor[allowed]) if allowed < len(impostor) else -1.0
    return OperatingPoint(target, rates(scores, grid_above(boundary)))


def best_threshold(similarity: Scores, same: Flags) -> float:
    """The threshold with the most correct decisions: midpoints between neighbouring distinct scores."""
    order = np.argsort(similarity, kind="stable")
    ordered, genuine = similarity[order], same[order]
    # Accepting ordered[i:]: genuine pairs from i on are right, impostor pairs before i are right.
    genuine_from = genuine.sum() - np.concatenate(([0], np.cumsum(genuine)))
    impostor_before = np.concatenate(([0], np.cumsum(~genuine)))
    right = genuine_from + impostor_before
    edges = np.concatenate(([ordered[0] - 1e-6], (ordered[:-1] + ordered[1:]) / 2, [ordered[-1] + 1e-6]))
    splittable = np.concatenate(([True], ordered[:-1] < ordered[1:], [True]))
    best = int(np.argmax(np.where(splittable, right, -1)))
    return float(edges[best])


def cross_validate(scores: PairScores) -> tuple[list[float], list[float]]:
    accuracies, thresholds = [], []
    for fold in np.unique(scores.fold):
        test = scores.fold == fold
        threshold = best_threshold(scores.similarity[~test], scores.same[~test])
        accepted = scores.similarity[test] >= threshold
        accuracies.append(float(np.mean(accepted == scores.same[test])))
        thresholds.append(threshold)
    return accuracies, thresholds


def roc(scores: PairScores) -> tuple[Scores, Scores, Scores]:
    """False-accept and true-accept rates at every distinct score, highest threshold first."""
    thresholds = np.unique(scores.similarity)[::-1]
    genuine, impostor = np.sort(scores.genuine), np.sort(scores.impostor)
    tar = 1 - np.searchsorted(genuine, thresholds, side="left") / len(genuine)
    far = 1 - np.searchsorted(impostor, thresholds, side="left") / len(impostor)
    return thresholds, far, tar


def equal_error(scores: PairScores) -> tuple[float, float]:
    thresholds, far, tar = roc(scores)
    best = int(np.argmin(np.abs(far - (1 - tar))))
    return float((far[best] + 1 - tar[best]) / 2), float(thresholds[best])


def verify(scores: PairScores) -> Verification:
    accuracies, thresholds = cross_validate(scores)
    eer, eer_threshold = equal_error(scores)
    points = [at_far(scores, target) for target in TARGET_FARS]
    return Verification(scores, accuracies, thresholds, eer, eer_threshold, points)


def gaussian_far(scores: PairScores, threshold: float) -> float:
    """The false-accept rate if impostor scores were normal with their measured mean and sd: an
    extrapolation beyond the data (real tails are heavier), to compare thresholds the data cannot tell apart.
    """
    impostor = scores.impostor
    z = (threshold - float(impostor.mean())) / float(impostor.std())
    return 0.5 * math.erfc(z / math.sqrt(2))
