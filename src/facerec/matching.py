"""Verdicts: what a search or a 1:1 comparison concludes from similarity scores and an operating point."""

from dataclasses import dataclass
from enum import StrEnum

from facerec.db.records import Match

# Nearest faces read per search, at least: enough to see the best face of another identity than the top-1
# when one person has several stored faces.
CANDIDATES = 20


class Verdict(StrEnum):
    MATCH = "match"  # search: top-1 at or above the threshold and clearly ahead of every other identity;
    # 1:1: the similarity is at or above the threshold
    AMBIGUOUS = "ambiguous"  # search only: above the threshold, but another identity is within the margin
    UNKNOWN = "unknown"  # nothing at or above the threshold (1:1: not shown to be the same person)


@dataclass(frozen=True)
class SearchDecision:
    verdict: Verdict
    matches: list[Match]  # at most top_k, at or above the threshold, best first
    runner_up: Match | None  # the best candidate of another identity than the top-1


def same_identity(a: Match, b: Match) -> bool:
    """One person may have several stored faces: identity is the display name, ignoring case."""
    return a.display_name.casefold() == b.display_name.casefold()


def decide_search(candidates: list[Match], *, top_k: int, threshold: float, margin: float) -> SearchDecision:
    """`candidates`: the nearest faces, best first, however far; usually more than `top_k`."""
    matches = [match for match in candidates[:top_k] if match.score >= threshold]
    if not matches:
        return SearchDecision(Verdict.UNKNOWN, [], None)
    top = matches[0]
    runner_up = next((other for other in candidates if not same_identity(other, top)), None)
    close = runner_up is not None and top.score - runner_up.score < margin
    return SearchDecision(Verdict.AMBIGUOUS if close else Verdict.MATCH, matches, runner_up)


def decide_pair(similarity: float, *, threshold: float) -> Verdict:
    return Verdict.MATCH if similarity >= threshold else Verdict.UNKNOWN
