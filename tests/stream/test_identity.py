import uuid

import pytest

from facerec.stream.identity import CONFIRM, IdentityVote, Person, Recognition, TrackVerdict

ADA = Person(uuid.uuid4(), "Ada")
GRACE = Person(uuid.uuid4(), "Grace")


def votes(vote: IdentityVote, *people: Person | None, score: float = 0.6) -> list[bool]:
    return [vote.add(Recognition(person, None if person is None else score)) for person in people]


def test_a_person_is_identified_once_two_recognitions_agree() -> None:
    vote = IdentityVote()
    assert votes(vote, ADA) == [False]
    assert vote.current.verdict is TrackVerdict.PENDING
    assert votes(vote, ADA, score=0.7) == [True]
    assert (vote.current.verdict, vote.current.person) == (TrackVerdict.MATCH, ADA)
    assert vote.current.score == pytest.approx(0.65)


def test_nobody_is_decided_the_same_way() -> None:
    vote = IdentityVote()
    votes(vote, None, None)
    assert vote.current.verdict is TrackVerdict.UNKNOWN
    assert vote.current.person is None
    assert vote.current.score is None


def test_disagreeing_recognitions_decide_nothing_until_one_leads() -> None:
    vote = IdentityVote()
    assert votes(vote, ADA, GRACE, None, GRACE) == [False, False, False, True]
    assert vote.current.person == GRACE


def test_one_stray_recognition_does_not_flip_the_verdict() -> None:
    vote = IdentityVote()
    votes(vote, ADA, ADA)
    assert votes(vote, GRACE, None, GRACE, ADA) == [False] * 4
    assert vote.current.person == ADA


def test_the_verdict_flips_on_evidence() -> None:
    """Old votes leave the window; a steady run of another answer takes over."""
    vote = IdentityVote()
    votes(vote, ADA, ADA)
    changes = votes(vote, *[GRACE] * 8)
    assert changes.count(True) == 1
    assert vote.current.person == GRACE
    assert CONFIRM <= changes.index(True) + 1 <= 4
