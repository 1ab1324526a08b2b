"""Search verdicts: how the ambiguity margin splits matches above the threshold into match and ambiguous.

Each photo searches a gallery of every other photo of the enrolled identities (several faces per identity,
as in the service), in the open-set rounds of `identification.held_out_groups`. The rival of a search is
the best face of another identity than the top-1's, wherever it ranks.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.accuracy.data import Photo
from bench.accuracy.verification import Flags, Scores
from facerec.models.faces import FloatArray

MARGINS = (0.0, 0.03, 0.05, 0.06, 0.08, 0.10, 0.15, 0.20, 0.30)
NO_RIVAL = -1.0


@dataclass(frozen=True)
class VerdictSearches:
    top_score: Scores
    rival_score: Scores  # NO_RIVAL when the gallery holds one identity only
    correct: Flags  # the top-1's identity is the probe's
    enrolled: Flags  # the probe's identity is in that round's gallery

    @property
    def gap(self) -> Scores:
        gap: Scores = self.top_score - self.rival_score
        return gap


@dataclass(frozen=True)
class MarginRates:
    threshold: float
    margin: float
    genuine_matches: int  # enrolled probes, own identity on top, at or above the threshold
    genuine_made_ambiguous: int  # ... of which the margin turns ambiguous
    errors: int  # searches above the threshold with the wrong identity on top, or a stranger's
    errors_caught: int  # ... of which the margin turns ambiguous


def verdict_searches(
    photos: Sequence[Photo], vectors: dict[str, FloatArray], groups: Sequence[Sequence[str]]
) -> VerdictSearches:
    embedded = [p for p in photos if p.path in vectors]
    matrix = np.stack([vectors[p.path] for p in embedded]).astype(np.float64)
    similarity = matrix @ matrix.T
    identities = np.array([p.identity for p in embedded])
    top, rival, correct, enrolled = [], [], [], []
    for held_out in groups:
        in_gallery = ~np.isin(identities, list(held_out))
        for i, probe in enumerate(embedded):
            candidates = in_gallery.copy()
            candidates[i] = False
            scores = np.where(candidates, similarity[i], -np.inf)
            best = int(np.argmax(scores))
            others = candidates & (identities != identities[best])
            top.append(scores[best])
            rival.append(float(similarity[i][others].max()) if others.any() else NO_RIVAL)
            correct.append(identities[best] == probe.identity)
            enrolled.append(probe.identity not in held_out)
    return VerdictSearches(np.array(top), np.array(rival), np.array(correct), np.array(enrolled))


def margin_rates(searches: VerdictSearches, threshold: float, margin: float) -> MarginRates:
    above = searches.top_score >= threshold
    close = searches.gap < margin
    right = above & searches.enrolled & searches.correct
    wrong = above & ~(searches.enrolled & searches.correct)
    return MarginRates(
        threshold,
        margin,
        genuine_matches=int(right.sum()),
        genuine_made_ambiguous=int((right & close).sum()),
        errors=int(wrong.sum()),
        errors_caught=int((wrong & close).sum()),
    )


def margin_table(searches: VerdictSearches, thresholds: Sequence[float], chosen: float) -> str:
    header = " | ".join(f"@ {t:.2f}: genuine → ambiguous | @ {t:.2f}: errors caught" for t in thresholds)
    lines = [
        "### Search verdicts: the ambiguity margin",
        "",
        f"| margin | {header} |",
        "|---:|" + "---:|---:|" * len(thresholds),
    ]
    for margin in MARGINS:
        cells = []
        for threshold in thresholds:
            r = margin_rates(searches, threshold, margin)
            cells.append(f"{r.genuine_made_ambiguous}/{r.genuine_matches} | {r.errors_caught}/{r.errors}")
        name = f"**{margin:.2f}** (chosen)" if margin == chosen else f"{margin:.2f}"
        lines.append(f"| {name} | {' | '.join(cells)} |")
    right = searches.gap[searches.enrolled & searches.correct]
    wrong = searches.gap[~(searches.enrolled & searches.correct)]
    lines += [
        "",
        f"{len(searches.top_score)} searches. *genuine → ambiguous*: enrolled probes with their own identity "
        "on top at or above the threshold that the margin turns `ambiguous` (the cost). *errors caught*: "
        "searches at or above the threshold with a stranger or the wrong identity on top that the margin "
        "turns `ambiguous` instead of a false `match` (the gain). Lead of the top-1 over the best other "
        f"identity: right identity on top: min {right.min():.3f}, p5 {np.percentile(right, 5):.3f}, median "
        f"{np.median(right):.3f}; stranger or wrong identity on top: median {np.median(wrong):.3f}, p95 "
        f"{np.percentile(wrong, 95):.3f}, max {wrong.max():.3f}.",
    ]
    return "\n".join(lines)
