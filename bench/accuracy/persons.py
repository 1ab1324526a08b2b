"""Search by person: how a person's score comes from their several faces, measured in open-set searches.

Each round enrols `ENROLLED_PHOTOS` photos of each of `ENROLLED_PERSONS` people; their other photos are
genuine probes, and every photo of `STRANGERS` people never enrolled is a stranger probe. Rounds differ by
the seed that draws the people and the photos. Face search ranks faces and decides by person, which is the
`max` aggregate (a person's best face).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bench.accuracy.data import Photo
from bench.accuracy.verification import Flags, Scores
from facerec.models.faces import FloatArray
from facerec.person_score import centroid

ENROLLED_PERSONS = 100
ENROLLED_PHOTOS = 4
STRANGERS = 60
ROUNDS = 10
TARGET_FPIR = 0.01

# probe x person x face similarities, and the persons' faces' embeddings -> probe x person scores
Aggregate = Callable[[Scores, Scores, Scores], Scores]


@dataclass(frozen=True)
class Round:
    gallery: dict[str, list[str]]  # person -> enrolled photo paths
    genuine: list[Photo]
    strangers: list[Photo]


@dataclass(frozen=True)
class PersonSearches:
    """One search per probe and round: the best and second-best person's score, and who is on top."""

    top: Scores
    second: Scores
    correct: Flags  # the top person is the probe's
    enrolled: Flags  # the probe's person is in that round's gallery


@dataclass(frozen=True)
class OpenSetFigures:
    rank1: float  # enrolled probes whose own person is on top, whatever the score
    correct_match: float  # enrolled probes answered `match` with their own person
    wrong_match: float  # enrolled probes answered `match` with someone else
    stranger_match: float  # stranger probes answered `match`
    threshold_at_fpir: float  # the score a stranger's top person exceeds in TARGET_FPIR of searches
    fnir: float  # enrolled probes not found above that threshold (below it, or another person on top)


def photos_by_person(photos: Sequence[Photo]) -> dict[str, list[str]]:
    by_person: dict[str, list[str]] = {}
    for photo in photos:
        by_person.setdefault(photo.identity, []).append(photo.path)
    return by_person


def eligible_persons(photos: Sequence[Photo]) -> list[str]:
    """People with more photos than are enrolled, so some are left to search with."""
    return sorted(name for name, paths in photos_by_person(photos).items() if len(paths) > ENROLLED_PHOTOS)


def draw_round(photos: Sequence[Photo], seed: int, persons: int = ENROLLED_PERSONS) -> Round:
    rng = np.random.default_rng(seed)
    by_person = photos_by_person(photos)
    eligible = eligible_persons(photos)
    chosen = [eligible[i] for i in rng.permutation(len(eligible))]
    enrolled, strangers = chosen[:persons], set(chosen[persons : persons + STRANGERS])
    gallery = {
        name: [str(p) for p in rng.permutation(by_person[name])[:ENROLLED_PHOTOS]] for name in enrolled
    }
    enrolled_paths = {path for paths in gallery.values() for path in paths}
    genuine = [p for p in photos if p.identity in gallery and p.path not in enrolled_paths]
    return Round(gallery, genuine, [p for p in photos if p.identity in strangers])


def person_scores(aggregate: Aggregate, probes: Scores, gallery: Scores) -> Scores:
    """probes: n x d; gallery: persons x faces x d (the same number of faces each)."""
    similarities = np.einsum("nd,pfd->npf", probes, gallery)
    return aggregate(similarities, gallery, probes)


def search(aggregate: Aggregate, round_: Round, vectors: dict[str, FloatArray]) -> PersonSearches:
    names = list(round_.gallery)
    gallery = np.stack([[vectors[path] for path in round_.gallery[n]] for n in names]).astype(np.float64)
    probes = [*round_.genuine, *round_.strangers]
    matrix = np.stack([vectors[p.path] for p in probes]).astype(np.float64)
    scores = person_scores(aggregate, matrix, gallery)
    order = np.argsort(-scores, axis=1)
    rows = np.arange(len(probes))
    top, second = scores[rows, order[:, 0]], scores[rows, order[:, 1]]
    correct = np.array([names[best] == p.identity for best, p in zip(order[:, 0], probes, strict=True)])
    enrolled = np.array([p.identity in round_.gallery for p in probes])
    return PersonSearches(top, second, correct, enrolled)


def concatenate(searches: Sequence[PersonSearches]) -> PersonSearches:
    return PersonSearches(
        np.concatenate([s.top for s in searches]),
        np.concatenate([s.second for s in searches]),
        np.concatenate([s.correct for s in searches]),
        np.concatenate([s.enrolled for s in searches]),
    )


def threshold_at_fpir(searches: PersonSearches, fpir: float) -> float:
    """The lowest threshold that at most `fpir` of the strangers' top scores reach."""
    ordered = np.sort(searches.top[~searches.enrolled])[::-1]
    return float(np.nextafter(ordered[int(np.floor(fpir * len(ordered) + 1e-9))], np.inf))


def missed(searches: PersonSearches, threshold: float) -> float:
    """FNIR: enrolled probes without their own person on top at or above the threshold."""
    found = (searches.top >= threshold) & searches.correct
    return float(1 - found[searches.enrolled].mean())


def false_positives(searches: PersonSearches, threshold: float) -> float:
    """FPIR: strangers whose top person is at or above the threshold."""
    return float((searches.top >= threshold)[~searches.enrolled].mean())


def figures(searches: PersonSearches, threshold: float, margin: float) -> OpenSetFigures:
    match = (searches.top >= threshold) & (searches.top - searches.second >= margin)
    genuine, strangers = searches.enrolled, ~searches.enrolled
    cut = threshold_at_fpir(searches, TARGET_FPIR)
    return OpenSetFigures(
        rank1=float(searches.correct[genuine].mean()),
        correct_match=float((match & searches.correct)[genuine].mean()),
        wrong_match=float((match & ~searches.correct)[genuine].mean()),
        stranger_match=float(match[strangers].mean()),
        threshold_at_fpir=cut,
        fnir=missed(searches, cut),
    )


def best_face(similarities: Scores, gallery: Scores, probes: Scores) -> Scores:
    """Face search: a person scores as their best face."""
    scores: Scores = similarities.max(axis=2)
    return scores


def top_two(similarities: Scores, gallery: Scores, probes: Scores) -> Scores:
    scores: Scores = np.sort(similarities, axis=2)[:, :, -2:].mean(axis=2)
    return scores


def mean_similarity(similarities: Scores, gallery: Scores, probes: Scores) -> Scores:
    scores: Scores = similarities.mean(axis=2)
    return scores


def centroid_scores(similarities: Scores, gallery: Scores, probes: Scores) -> Scores:
    """The score in use (`facerec.person_score`): similarity to the normalised mean of the person's faces."""
    centroids = np.stack([centroid(list(faces)) for faces in gallery.astype(np.float32)])
    scores: Scores = probes @ centroids.T.astype(np.float64)
    return scores


AGGREGATES: dict[str, Aggregate] = {
    "best face (face search)": best_face,
    "mean of the top 2": top_two,
    "mean similarity": mean_similarity,
    "centroid (chosen)": centroid_scores,
}


def compare(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> dict[str, PersonSearches]:
    rounds = [draw_round(photos, seed) for seed in range(ROUNDS)]
    return {
        name: concatenate([search(aggregate, r, vectors) for r in rounds])
        for name, aggregate in AGGREGATES.items()
    }
