"""Verdicts: what a search or a 1:1 comparison concludes from similarity scores and an operating point.

Identity is the person: one person's several faces never compete with each other.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from facerec.domain import FaceVector, PersonMatch
from facerec.models.faces import FloatArray
from facerec.person_score import person_score

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


def rank_persons(probe: FloatArray, faces: Sequence[FaceVector]) -> list[PersonMatch]:
    """Score each person on all their faces (`person_score`: the similarity to their centroid), best person
    first; each names their face nearest to the probe."""
    by_person: dict[UUID, list[FaceVector]] = {}
    for face in faces:
        by_person.setdefault(face.person_id, []).append(face)
    persons = []
    for person_id, own in by_person.items():
        vectors = [face.embedding for face in own]
        nearest = max(own, key=lambda face: float(probe @ face.embedding))
        persons.append(
            PersonMatch(
                person_id=person_id,
                display_name=nearest.display_name,
                score=person_score(probe, vectors),
                face_id=nearest.id,
                face_count=len(own),
            )
        )
    return sorted(persons, key=lambda person: person.score, reverse=True)
