"""The markdown report: the run's header and one table per measurement."""

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from bench.accuracy.data import Embeddings, Photo
from bench.accuracy.identification import OPEN_SET_SHARE, RANKS, OpenSetSearches, Ranking, open_set_rates
from bench.accuracy.verification import (
    FOLDS,
    TARGET_FARS,
    OperatingPoint,
    PairScores,
    Verification,
    gaussian_far,
    rates,
)
from bench.harness import cpu_model
from facerec.models.thresholds import OperatingPoints, ThresholdName

GALLERY_SIZES = (1_000, 100_000)  # enrolled faces, for the chance that a stranger matches someone


def percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def share(count: int, total: int) -> str:
    return f"{percent(count / total)} ({count}/{total})" if total else "n/a"


def header(pack: str, dataset: Path, photos: Sequence[Photo], embeddings: Embeddings, threads: int) -> str:
    embedded = len(embeddings.vectors)
    per_photo = embeddings.seconds / max(1, len(photos))
    lines = [
        f"## {pack} on {dataset.name}",
        "",
        f"- Machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}); ONNX Runtime threads per session: "
        f"{threads or 'all'}; run {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Photos: {len(photos)} of {len({p.identity for p in photos})} identities; {embedded} embedded in "
        f"{embeddings.seconds:.1f} s ({per_photo:.2f} s per photo)",
        f"- Photos without a usable face: {len(embeddings.failures) or 'none'}",
    ]
    lines += [f"  - `{f.path}`: {f.code} ({f.message})" for f in embeddings.failures]
    return "\n".join(lines)


def point_cell(point: OperatingPoint) -> str:
    flag = "" if point.meaningful else " †"
    return f"{percent(1 - point.rates.frr)} (≥ {point.rates.threshold:.3f}){flag}"


def verification_table(verifications: Sequence[Verification]) -> str:
    fars = " | ".join(f"TAR @ FAR {target:g}" for target in TARGET_FARS)
    lines = [
        "### Verification",
        "",
        f"| pair set | genuine / impostor (skipped) | accuracy (folds) | fold thresholds | EER | {fars} |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(TARGET_FARS),
    ]
    for v in verifications:
        s = v.scores
        mean, spread = percent(float(np.mean(v.accuracies))), percent(float(np.std(v.accuracies)))
        accuracy = f"{mean} ± {spread} ({len(v.accuracies)})"
        chosen = f"{min(v.thresholds):.3f} to {max(v.thresholds):.3f}"
        eer = f"{percent(v.equal_error_rate)} (at {v.equal_error_threshold:.3f})"
        points = " | ".join(point_cell(p) for p in v.points)
        lines.append(
            f"| {s.name} | {len(s.genuine)} / {len(s.impostor)} ({s.skipped}) | {accuracy} | {chosen} "
            f"| {eer} | {points} |"
        )
    lines += [
        "",
        "Accuracy: for each fold, the threshold with the most correct decisions on the other folds, tested "
        "on this one; folds from the file's `fold` column, else genuine and impostor pairs dealt "
        f"round-robin into {FOLDS}. † fewer than 1/FAR impostor pairs: "
        "no false accept is allowed, so this is TAR at FAR = 0 (threshold just above the highest impostor "
        "score).",
    ]
    return "\n".join(lines)


def distribution_table(verifications: Sequence[Verification]) -> str:
    lines = [
        "### Similarity distributions",
        "",
        "| pair set | genuine min | genuine p5 | genuine median | impostor mean ± sd | impostor p99 "
        "| impostor max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for v in verifications:
        g, i = v.scores.genuine, v.scores.impostor
        low = " | ".join(f"{c:.3f}" for c in (g.min(), np.percentile(g, 5), np.median(g)))
        high = " | ".join(f"{c:.3f}" for c in (np.percentile(i, 99), i.max()))
        lines.append(f"| {v.scores.name} | {low} | {i.mean():.3f} ± {i.std():.3f} | {high} |")
    return "\n".join(lines)


def hardest_pairs(scores: PairScores, count: int = 5) -> str:
    order = np.argsort(scores.similarity)
    lowest_genuine = [i for i in order if scores.same[i]][:count]
    highest_impostor = [i for i in order[::-1] if not scores.same[i]][:count]
    lines = [
        f"### Hardest pairs ({scores.name})",
        "",
        "| kind | pair | similarity |",
        "|---|---|---:|",
    ]
    for kind, indices in (("genuine", lowest_genuine), ("impostor", highest_impostor)):
        for i in indices:
            pair = scores.pairs[i]
            lines.append(f"| {kind} | `{pair.path_a}`, `{pair.path_b}` | {scores.similarity[i]:.3f} |")
    return "\n".join(lines)


def threshold_table(
    scores: PairScores, searches: OpenSetSearches, thresholds: Sequence[float], candidate: float
) -> str:
    lines = [
        f"### Thresholds (verification over {scores.name}; open-set search)",
        "",
        "| threshold | FAR (false accepts) | FRR (false rejects) | open set: non-enrolled matched "
        "| open set: enrolled found | open set: wrong person |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for threshold in thresholds:
        r, o = rates(scores, threshold), open_set_rates(searches, threshold)
        name = f"**{threshold:.3f}** (candidate)" if threshold == candidate else f"{threshold:.3f}"
        lines.append(
            f"| {name} | {share(r.false_accepts, r.impostors)} | {share(r.false_rejects, r.genuines)} "
            f"| {share(o.false_matches, o.impostor_probes)} | {share(o.found, o.genuine_probes)} "
            f"| {share(o.misidentified, o.genuine_probes)} |"
        )
    groups = "; ".join(", ".join(group) for group in searches.held_out)
    lines += [
        "",
        f"Open set: {len(searches.held_out)} rounds, each leaving about {OPEN_SET_SHARE:.0%} of the "
        f"identities out of the gallery (one photo per enrolled identity, the first in labels order); every "
        f"other photo is a probe, and its best match counts when it is at or above the threshold. Left out, "
        f"by round: {groups}.",
    ]
    return "\n".join(lines)


def identification_table(ranking: Ranking, identities: int) -> str:
    ranks = " | ".join(f"rank-{rank}" for rank in RANKS)
    hits = " | ".join(percent(ranking.hit_rates[rank]) for rank in RANKS)
    return "\n".join(
        [
            "### Closed-set identification",
            "",
            f"| gallery | probes | {ranks} |",
            "|---:|---:|" + "---:|" * len(RANKS),
            f"| {identities} identities, first photo each | {ranking.probes} | {hits} |",
        ]
    )


def operating_points_table(scores: PairScores, points: OperatingPoints) -> str:
    sizes = " | ".join(f"stranger matched in {size:,} faces (extrapolated)" for size in GALLERY_SIZES)
    lines = [
        f"### Operating points ({scores.name})",
        "",
        f"| name | threshold | FAR measured | FRR measured | FAR per pair (extrapolated) | {sizes} |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(GALLERY_SIZES),
    ]
    for name in ThresholdName:
        threshold = points.value(name)
        r, far = rates(scores, threshold), gaussian_far(scores, threshold)
        strangers = " | ".join(f"{min(1.0, far * size):.1e}" for size in GALLERY_SIZES)
        lines.append(
            f"| `{name}` | {threshold:.2f} | {share(r.false_accepts, r.impostors)} "
            f"| {share(r.false_rejects, r.genuines)} | {far:.1e} | {strangers} |"
        )
    lines += [
        "",
        "Extrapolated: the impostor scores taken as normal with their measured mean and sd; a stranger's "
        "search against N faces matches someone with probability about N times the per-pair FAR. Real tails "
        "are heavier (lookalikes, relatives, poor photos), so these are lower bounds that rank the points.",
    ]
    return "\n".join(lines)
