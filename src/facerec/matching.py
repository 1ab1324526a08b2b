"""Verdicts: what a search or a 1:1 comparison concludes from similarity scores and an operating point.

Identity is the person: one person's several faces never compete with each other.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from facerec.domain import Match, PersonMatch

# Nearest faces read per search, at least: enough to see the best face of another person than the top-1
# when one person has several stored faces.
CANDIDATES = 20


class Verdict(StrEnum):
    MATCH = "match"  # search: top-1 at or above the threshold and clearly ahead of every other person;
    # 1:1: the similarity is at or above the threshold
    AMBIGUOUS = "ambiguous"  # search only: above the threshold, but another person is within the margin
    UNKNOWN = "unknown"  # nothing at or above the threshold (1:1: not shown to be the same person)


class Scored(Protocol):
    @property
    def score(self) -> float: ...

    @property
    def person_id(self) -> UUID: ...


S = TypeVar("S", bound=Scored)


@dataclass(frozen=True)
class SearchDecision(Generic[S]):
    verdict: Verdict
    matches: list[S]  # at most top_k, at or above the threshold, best first
    runner_up: S | None  # the best candidate of another person than the top-1


def decide_search(
    candidates: Sequence[S], *, top_k: int, threshold: float, margin: float
) -> SearchDecision[S]:
    """`candidates`: faces or persons, best first, however far; usually more than `top_k`."""
    matches = [match for match in candidates[:top_k] if match.score >= threshold]
    if not matches:
        return SearchDecision(Verdict.UNKNOWN, [], None)
    top = matches[0]
    runner_up = next((other for other in candidates if other.person_id != top.person_id), None)
    close = runner_up is not None and top.score - runner_up.score < margin
    return SearchDecision(Verdict.AMBIGUOUS if close else Verdict.MATCH, matches, runner_up)


def decide_pair(similarity: float, *, threshold: float) -> Verdict:
    return Verdict.MATCH if similarity >= threshold else Verdict.UNKNOWN


def best_face(scores: Sequence[float]) -> float:
    """A person's score: their face nearest to the query (docs/ACCURACY.md, "Scoring a person")."""
    return max(scores)


PersonScore = Callable[[Sequence[float]], float]


def rank_persons(faces: Sequence[Match], *, aggregate: PersonScore = best_face) -> list[PersonMatch]:
    """Group scored faces by person, best person first. `faces` are best first, so each person's first
    face is their nearest."""
    by_person: dict[UUID, list[Match]] = {}
    for face in faces:
        by_person.setdefault(face.person_id, []).append(face)
    persons = [
        PersonMatch(
            person_id=person_id,
            display_name=own[0].display_name,
            score=aggregate([face.score for face in own]),
            face_id=own[0].id,
            face_count=len(own),
        )
        for person_id, own in by_person.items()
    ]
    return sorted(persons, key=lambda person: person.score, reverse=True)
