"""The verdict rules on hand-made scores (the API tests prove them on real photos)."""

import uuid

import numpy as np
import pytest

from facerec.domain import FaceVector, Match
from facerec.matching import Verdict, decide_pair, decide_search, rank_persons
from facerec.models.faces import FloatArray

PERSONS: dict[str, uuid.UUID] = {}


def match(person: str, score: float, name: str | None = None) -> Match:
    """A face of `person` (an identity: one id per distinct string), labelled `name`."""
    person_id = PERSONS.setdefault(person, uuid.uuid4())
    return Match(
        id=uuid.uuid4(), person_id=person_id, display_name=name or person, score=score, image_url=None
    )


def test_nothing_above_the_threshold_is_unknown() -> None:
    decision = decide_search([match("ada", 0.39), match("bob", 0.1)], top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.UNKNOWN
    assert decision.matches == []


def test_a_clear_lead_is_a_match() -> None:
    candidates = [match("ada", 0.7), match("ada", 0.66), match("bob", 0.5)]

    decision = decide_search(candidates, top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.MATCH
    assert decision.runner_up == candidates[2]  # another face of the same person is not a rival


def test_another_person_within_the_margin_is_ambiguous() -> None:
    candidates = [match("ada", 0.7), match("ada", 0.69), match("bob", 0.65)]

    decision = decide_search(candidates, top_k=1, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.AMBIGUOUS
    assert decision.matches == candidates[:1]
    assert decision.runner_up == candidates[2]  # found beyond topK


def test_a_rival_below_the_threshold_still_counts() -> None:
    decision = decide_search([match("ada", 0.42), match("bob", 0.38)], top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.AMBIGUOUS


def test_a_pair_matches_at_the_threshold() -> None:
    assert decide_pair(0.4, threshold=0.4) is Verdict.MATCH
    assert decide_pair(0.399, threshold=0.4) is Verdict.UNKNOWN


def test_two_persons_of_one_name_are_rivals() -> None:
    candidates = [match("alex-1", 0.7, "Alex Kim"), match("alex-2", 0.68, "Alex Kim")]

    decision = decide_search(candidates, top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.AMBIGUOUS
    assert decision.runner_up == candidates[1]


def test_a_lead_of_exactly_the_margin_is_a_match() -> None:
    decision = decide_search([match("ada", 0.75), match("bob", 0.5)], top_k=5, threshold=0.4, margin=0.25)

    assert decision.verdict is Verdict.MATCH


def test_a_match_at_exactly_the_threshold_counts() -> None:
    decision = decide_search([match("ada", 0.4), match("bob", 0.1)], top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.MATCH


def test_persons_are_ranked_by_their_centroid_and_name_their_nearest_face() -> None:
    probe = unit([1.0, 0.0, 0.0])
    ada = [face("ada", [1.0, 0.2, 0.0]), face("ada", [1.0, -0.2, 0.0])]  # centroid exactly the probe
    bob = [face("bob", [1.0, 0.05, 0.0]), face("bob", [0.0, 1.0, 0.0])]  # one close face, one far

    persons = rank_persons(probe, [*bob, *ada])

    assert [person.person_id for person in persons] == [PERSONS["ada"], PERSONS["bob"]]
    assert persons[0].score == pytest.approx(1.0)
    assert persons[1].score < float(probe @ bob[0].embedding)  # not the best face: the centroid
    assert persons[1].face_id == bob[0].id
    assert [person.face_count for person in persons] == [2, 2]
    assert [person.display_name for person in persons] == ["ada", "bob"]


def unit(values: list[float]) -> FloatArray:
    vector = np.asarray(values, dtype=np.float32)
    return np.asarray(vector / np.linalg.norm(vector), dtype=np.float32)


def face(person: str, values: list[float]) -> FaceVector:
    person_id = PERSONS.setdefault(person, uuid.uuid4())
    return FaceVector(id=uuid.uuid4(), person_id=person_id, display_name=person, embedding=unit(values))


def test_with_only_the_top_persons_faces_there_is_no_runner_up() -> None:
    decision = decide_search([match("ada", 0.7), match("ada", 0.6)], top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.MATCH
    assert decision.runner_up is None
