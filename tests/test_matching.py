"""The verdict rules on hand-made scores (the API tests prove them on real photos)."""

import uuid

from facerec.db.records import Match
from facerec.matching import Verdict, decide_pair, decide_search


def match(name: str, score: float) -> Match:
    return Match(id=uuid.uuid4(), display_name=name, score=score, image_url=None)


def test_nothing_above_the_threshold_is_unknown() -> None:
    decision = decide_search([match("ada", 0.39), match("bob", 0.1)], top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.UNKNOWN
    assert decision.matches == []


def test_a_clear_lead_is_a_match() -> None:
    candidates = [match("ada", 0.7), match("ada", 0.66), match("bob", 0.5)]

    decision = decide_search(candidates, top_k=5, threshold=0.4, margin=0.06)

    assert decision.verdict is Verdict.MATCH
    assert decision.runner_up == candidates[2]  # another face of the same person is not a rival


def test_another_identity_within_the_margin_is_ambiguous() -> None:
    candidates = [match("Ada", 0.7), match("ADA", 0.69), match("bob", 0.65)]

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
