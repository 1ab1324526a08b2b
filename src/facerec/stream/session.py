"""A stream's state between frames: its tracks, each track's identity vote, and the events they make."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from facerec.models.faces import FloatArray
from facerec.service import ThresholdChoice
from facerec.stream.analysis import FrameAnalyser, FrameAnalysis, SeenFace
from facerec.stream.identity import PENDING, Identity, IdentityVote, Recognition


class PersonSearch(Protocol):
    async def identify(
        self, collection: str, embedding: FloatArray, *, threshold: ThresholdChoice
    ) -> Recognition | None:
        """The person this face is, or None for nobody; no recognition at all when the search is
        ambiguous (two persons too close to call)."""


class EventKind(StrEnum):
    TRACK_STARTED = "track_started"
    IDENTIFIED = "identified"  # the track's verdict was decided, or flipped on evidence
    TRACK_ENDED = "track_ended"


@dataclass(frozen=True)
class TrackEvent:
    kind: EventKind
    track: int
    identity: Identity


@dataclass(frozen=True)
class TrackedFace:
    seen: SeenFace
    identity: Identity


@dataclass(frozen=True)
class FrameResult:
    faces: list[TrackedFace]
    events: list[TrackEvent]


Analyse = Callable[[Callable[[bytes], FrameAnalysis], bytes], Awaitable[FrameAnalysis]]


@dataclass
class StreamSession:
    analyser: FrameAnalyser
    search: PersonSearch
    collection: str
    threshold: ThresholdChoice = None
    _votes: dict[int, IdentityVote] = field(default_factory=dict)

    async def process(self, data: bytes, run: Analyse) -> FrameResult:
        """`run` puts the blocking analysis on an inference thread."""
        analysis = await run(self.analyser.analyse, data)
        events = [TrackEvent(EventKind.TRACK_STARTED, track.id, PENDING) for track in analysis.started]
        for track in analysis.started:
            self._votes[track.id] = IdentityVote()
        for face in analysis.faces:
            if face.embedding is None:
                continue
            recognition = await self.search.identify(
                self.collection, face.embedding, threshold=self.threshold
            )
            vote = self._votes[face.track]
            if recognition is not None and vote.add(recognition):
                events.append(TrackEvent(EventKind.IDENTIFIED, face.track, vote.current))
        faces = [TrackedFace(face, self._votes[face.track].current) for face in analysis.faces]
        return FrameResult(faces, events + self._ended([track.id for track in analysis.ended]))

    def end(self) -> list[TrackEvent]:
        """The stream is over: every track it announced ends. (The analyser is left alone: a frame may
        still be in its hands on an inference thread.)"""
        return self._ended(list(self._votes))

    def _ended(self, tracks: list[int]) -> list[TrackEvent]:
        return [TrackEvent(EventKind.TRACK_ENDED, track, self._votes.pop(track).current) for track in tracks]
