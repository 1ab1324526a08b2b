"""Identification: closed-set rank-k, and open-set searches with identities left out of the gallery."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.accuracy.data import Photo
from bench.accuracy.verification import Flags, Scores
from facerec.models.faces import FloatArray

RANKS = (1, 5)
OPEN_SET_SHARE = 0.3  # share of identities left out of the gallery in each open-set round
SEED = 20240601


@dataclass(frozen=True)
class Ranking:
    probes: int
    hit_rates: dict[int, float]  # rank -> share of probes whose identity is within that rank


@dataclass(frozen=True)
class OpenSetSearches:
    """One search per probe and round: the best gallery similarity, and whether it is the probe's identity."""

    top_score: Scores
    correct: Flags
    enrolled: Flags  # the probe's identity is in that round's gallery
    held_out: list[list[str]]  # identities left out, per round


@dataclass(frozen=True)
class OpenSetRates:
    false_matches: int  # non-enrolled probes whose best match is at or above the threshold
    impostor_probes: int
    found: int  # enrolled probes whose best match is their identity, at or above the threshold
    misidentified: int  # enrolled probes whose best match is someone else, at or above the threshold
    genuine_probes: int


def first_per_identity(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> dict[str, str]:
    """identity -> the path of its first embedded photo, in labels order."""
    gallery: dict[str, str] = {}
    for photo in photos:
        if photo.path in vectors:
            gallery.setdefault(photo.identity, photo.path)
    return gallery


def gallery_similarities(
    probes: Sequence[Photo], gallery: dict[str, str], vectors: dict[str, FloatArray]
) -> Scores:
    probe_matrix = np.stack([vectors[p.path] for p in probes]).astype(np.float64)
    gallery_matrix = np.stack([vectors[path] for path in gallery.values()]).astype(np.float64)
    similarities: Scores = probe_matrix @ gallery_matrix.T
    return similarities


def closed_set(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> Ranking:
    gallery = first_per_identity(photos, vectors)
    enrolled = set(gallery.values())
    probes = [p for p in photos if p.path in vectors and p.path not in enrolled]
    similarities = gallery_similarities(probes, gallery, vectors)
    names = list(gallery)
    truth = similarities[np.arange(len(probes)), [names.index(p.identity) for p in probes]]
    ranks = 1 + (similarities > truth[:, None]).sum(axis=1)
    return Ranking(len(probes), {rank: float(np.mean(ranks <= rank)) for rank in RANKS})


def held_out_groups(photos: Sequence[Photo]) -> list[list[str]]:
    """Identities shuffled with a fixed seed and split so that each is left out in exactly one round."""
    identities = sorted({p.identity for p in photos})
    shuffled = [identities[i] for i in np.random.default_rng(SEED).permutation(len(identities))]
    rounds = max(1, round(1 / OPEN_SET_SHARE))
    return [[str(name) for name in group] for group in np.array_split(np.array(shuffled), rounds)]


def open_set(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> OpenSetSearches:
    groups = held_out_groups(photos)
    top, correct, enrolled = [], [], []
    for held_out in groups:
        gallery = first_per_identity([p for p in photos if p.identity not in held_out], vectors)
        probes = [p for p in photos if p.path in vectors and p.path not in gallery.values()]
        similarities = gallery_similarities(probes, gallery, vectors)
        best = similarities.argmax(axis=1)
        names = list(gallery)
        top.append(similarities.max(axis=1))
        correct.append(np.array([names[b] == p.identity for b, p in zip(best, probes, strict=True)]))
        enrolled.append(np.array([p.identity not in held_out for p in probes]))
    return OpenSetSearches(np.concatenate(top), np.concatenate(correct), np.concatenate(enrolled), groups)


def open_set_rates(searches: OpenSetSearches, threshold: float) -> OpenSetRates:
    above = searches.top_score >= threshold
    enrolled = searches.enrolled
    return OpenSetRates(
        false_matches=int((above & ~enrolled).sum()),
        impostor_probes=int((~enrolled).sum()),
        found=int((above & enrolled & searches.correct).sum()),
        misidentified=int((above & enrolled & ~searches.correct).sum()),
        genuine_probes=int(enrolled.sum()),
    )
