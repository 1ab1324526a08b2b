"""Open-set search by gallery size, with the person score in use and the threshold `threshold=auto` picks.

Galleries as large as the photo set allows are measured: persons drawn per round (`persons.draw_round`),
every probe searched. Larger ones are simulated from a measured one: each probe also meets the persons
missing from the gallery, each scoring like a random person-level impostor score of the set (drawn
independently: what the FPIR rule assumes, so the measured sizes are the check that it holds).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.accuracy.data import Photo
from bench.accuracy.persons import (
    ROUNDS,
    TARGET_FPIR,
    PersonSearches,
    centroid_scores,
    concatenate,
    draw_round,
    false_positives,
    missed,
    search,
    threshold_at_fpir,
)
from bench.accuracy.verification import Scores
from facerec.models.faces import FloatArray
from facerec.models.far_curve import FarCurve

GALLERY_SIZES = (10, 100, 1_000)
SEED = 7


@dataclass(frozen=True)
class GalleryRun:
    persons: int
    measured: int  # persons really enrolled; the rest are simulated
    searches: PersonSearches


@dataclass(frozen=True)
class GalleryFigures:
    auto_threshold: float
    fpir_at_auto: float
    fnir_at_auto: float
    threshold_at_target: float  # where the measured FPIR is TARGET_FPIR
    fnir_at_target: float
    fpir_at_default: float
    fnir_at_default: float


def with_simulated(searches: PersonSearches, extra: int, impostor: Scores, seed: int) -> PersonSearches:
    """Each probe also meets `extra` persons scoring like random draws of `impostor`: their best one is
    drawn directly, as the quantile u^(1/extra) of the impostor distribution for a uniform u."""
    rng = np.random.default_rng(seed)
    best = np.quantile(impostor, rng.random(len(searches.top)) ** (1 / extra), method="inverted_cdf")
    top = np.maximum(searches.top, best)
    return PersonSearches(top, searches.second, searches.correct & (searches.top > best), searches.enrolled)


def gallery_run(
    photos: Sequence[Photo], vectors: dict[str, FloatArray], persons: int, measured: int, impostor: Scores
) -> GalleryRun:
    rounds = [draw_round(photos, SEED + i, persons=measured) for i in range(ROUNDS)]
    searches = concatenate([search(centroid_scores, r, vectors) for r in rounds])
    if persons > measured:
        searches = with_simulated(searches, persons - measured, impostor, SEED)
    return GalleryRun(persons, measured, searches)


def gallery_figures(run: GalleryRun, curve: FarCurve, default: float) -> GalleryFigures:
    s = run.searches
    auto = curve.threshold_for(fpir=TARGET_FPIR, persons=run.persons)
    target = threshold_at_fpir(s, TARGET_FPIR)
    return GalleryFigures(
        auto,
        false_positives(s, auto),
        missed(s, auto),
        target,
        missed(s, target),
        false_positives(s, default),
        missed(s, default),
    )
