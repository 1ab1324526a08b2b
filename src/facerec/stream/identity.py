"""A track's identity: a vote over its recent recognitions, with hysteresis. Pure.

One recognition is a single frame's opinion; a look away, motion blur or a lookalike can make it wrong.
The track's verdict is decided once one answer (a person, or nobody) has `CONFIRM` votes and leads every
other, and it flips only when another answer leads it by `FLIP_MARGIN` votes within the window.
"""

from collections import Counter, deque
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

CONFIRM = 2  # votes that decide a new track: two recognitions, a few frames apart, agreeing
FLIP_MARGIN = 2  # votes by which another answer must lead the decided one to replace it
WINDOW = 8  # recognitions remembered: older evidence no longer counts


class TrackVerdict(StrEnum):
    PENDING = "pending"  # not enough agreeing recognitions yet
    MATCH = "match"  # a registered person
    UNKNOWN = "unknown"  # nobody registered


@dataclass(frozen=True)
class Person:
    id: UUID
    display_name: str


@dataclass(frozen=True)
class Recognition:
    """One frame's answer for a face: a person when the search verdict was a match, None when nobody was
    near enough; an ambiguous search is no answer and is not recorded."""

    person: Person | None
    score: float | None  # similarity to the person; None for nobody


@dataclass(frozen=True)
class Identity:
    verdict: TrackVerdict
    person: Person | None
    score: float | None  # mean similarity of the votes behind a match; None otherwise


PENDING = Identity(TrackVerdict.PENDING, None, None)


@dataclass
class IdentityVote:
    confirm: int = CONFIRM
    flip_margin: int = FLIP_MARGIN
    window: int = WINDOW
    current: Identity = PENDING
    _votes: deque[Recognition] = field(default_factory=deque)

    def add(self, recognition: Recognition) -> bool:
        """Count one recognition; True when the identity changed."""
        self._votes.append(recognition)
        while len(self._votes) > self.window:
            self._votes.popleft()
        tally = Counter(vote.person for vote in self._votes)
        leader, votes = tally.most_common(1)[0]
        others = max((count for person, count in tally.items() if person != leader), default=0)
        if self.current.verdict is TrackVerdict.PENDING:
            decided = votes >= self.confirm and votes > others
        else:
            decided = votes >= self.confirm and votes >= tally[self.current.person] + self.flip_margin
        if not decided:  # (the decided answer never leads itself by the margin)
            return False
        scores = [vote.score for vote in self._votes if vote.person == leader and vote.score is not None]
        verdict = TrackVerdict.UNKNOWN if leader is None else TrackVerdict.MATCH
        self.current = Identity(verdict, leader, sum(scores) / len(scores) if scores else None)
        return True
