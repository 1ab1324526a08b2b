"""The messages of `WS /api/stream`: camelCase JSON, like the rest of the API."""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field

from facerec.api.schemas import ApiModel, FaceBox, QualityOut
from facerec.models.quality import QualityBar
from facerec.models.thresholds import ThresholdName
from facerec.stream.identity import Identity, TrackVerdict
from facerec.stream.session import EventKind, TrackedFace, TrackEvent


class StreamConfig(ApiModel):
    """Client to server, any time: changes the stream's settings from the next frame on."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["config"]
    min_face_size: int | None = Field(
        None, ge=1, le=4096, description="Px: smaller faces are not recognised."
    )
    threshold: Annotated[float, Field(ge=-1, le=1)] | ThresholdName | None = Field(
        None, description="Cosine similarity, or strict, default, loose."
    )
    recognise_every: int | None = Field(None, ge=1, le=1000, description="Frames between recognitions.")


class IdentityOut(ApiModel):
    person_id: UUID | None
    display_name: str | None
    score: float | None = Field(description="Mean similarity of the recognitions behind a match.")
    verdict: TrackVerdict

    @classmethod
    def fields_of(cls, identity: Identity) -> dict[str, object]:
        person = identity.person
        return {
            "person_id": None if person is None else person.id,
            "display_name": None if person is None else person.display_name,
            "score": identity.score,
            "verdict": identity.verdict,
        }


class StreamFaceOut(IdentityOut):
    track_id: int
    box: FaceBox
    quality: QualityOut
    recognised: bool = Field(description="Whether this frame searched the face (else the vote stands).")

    @classmethod
    def of(cls, face: TrackedFace, bar: QualityBar) -> "StreamFaceOut":
        seen = face.seen
        return cls(
            track_id=seen.track,
            box=FaceBox.of(seen.box),
            quality=QualityOut.of(seen.quality, bar),
            recognised=seen.embedding is not None,
            **cls.fields_of(face.identity),
        )


class FrameOut(ApiModel):
    """One per processed frame."""

    type: Literal["frame"] = "frame"
    seq: int = Field(description="The frame's number: the n-th binary message of the stream.")
    dropped: int = Field(description="Frames dropped since the previous reply.")
    faces: list[StreamFaceOut]


class TrackEventOut(IdentityOut):
    type: EventKind
    seq: int
    track_id: int

    @classmethod
    def of(cls, event: TrackEvent, seq: int) -> "TrackEventOut":
        return cls(
            type=event.kind,
            seq=seq,
            track_id=event.track,
            **cls.fields_of(event.identity),
        )
