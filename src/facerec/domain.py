"""The shared data types: what the service stores and returns, known to db/, matching and api/ alike.

Identity is an explicit id: a face belongs to one person, a person to one collection. Display names are
labels, never identities.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from facerec.models.faces import Box, FloatArray

Metadata = dict[str, Any]

DEFAULT_COLLECTION = "default"


@dataclass(frozen=True)
class StoredImage:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class NewFace:
    id: UUID
    person_id: UUID
    image_url: str | None
    embedding: FloatArray
    model: str
    det_score: float
    box: Box
    landmarks: FloatArray
    metadata: Metadata
    image: StoredImage | None
    external_id: str | None = None  # the client's own id, unique in the collection


@dataclass(frozen=True)
class FaceRecord:
    id: UUID
    person_id: UUID
    collection: str
    display_name: str  # the person's
    image_url: str | None
    inserted_at: datetime
    updated_at: datetime
    model: str
    det_score: float
    box: Box
    landmarks: FloatArray
    metadata: Metadata
    has_image: bool
    embedding: FloatArray | None  # loaded only when asked for
    external_id: str | None = None


@dataclass(frozen=True)
class Match:
    """A stored face near a query face."""

    id: UUID
    person_id: UUID
    display_name: str
    score: float  # cosine similarity, 1 - cosine distance
    image_url: str | None


@dataclass(frozen=True)
class FaceVector:
    """A stored face's embedding, with its person: what a person's score is made from."""

    id: UUID
    person_id: UUID
    display_name: str
    embedding: FloatArray


@dataclass(frozen=True)
class PersonMatch:
    """A person near a query face: their score comes from all their faces (`facerec.person_score`)."""

    person_id: UUID
    display_name: str
    score: float
    face_id: UUID  # their face nearest to the query
    face_count: int


@dataclass(frozen=True)
class PageCursor:
    """Where a keyset page ends: the last row's creation time and id."""

    created_at: datetime
    id: UUID


@dataclass(frozen=True)
class FacePage:
    faces: list[FaceRecord]
    next_cursor: PageCursor | None


@dataclass(frozen=True)
class PersonRecord:
    id: UUID
    collection: str
    display_name: str
    metadata: Metadata
    face_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PersonPage:
    persons: list[PersonRecord]
    next_cursor: PageCursor | None


@dataclass(frozen=True)
class CollectionRecord:
    id: UUID
    name: str
    metadata: Metadata
    person_count: int
    face_count: int
    created_at: datetime
    updated_at: datetime


class WebhookEvent(StrEnum):
    FACE_REGISTERED = "face.registered"
    PERSON_DELETED = "person.deleted"
    STREAM_IDENTIFIED = "stream.identified"  # a stream's track was identified as a registered person
    STREAM_UNKNOWN = "stream.unknown"  # a stream's track was decided to be nobody registered


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not yet answered 2xx; retried with backoff
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt


@dataclass(frozen=True)
class Webhook:
    id: UUID
    url: str
    events: list[WebhookEvent]
    secret: str
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    id: UUID
    webhook_id: UUID
    event: WebhookEvent
    payload: Metadata
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None  # the receiver's last HTTP status; None when it could not be reached
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class DueDelivery:
    """A pending delivery with what sending it needs."""

    delivery: Delivery
    url: str
    secret: str


@dataclass(frozen=True)
class FaceToReembed:
    """A stored face that has no vector of the pack being switched to, with what embedding it needs."""

    id: UUID
    collection: str
    display_name: str
    box: Box
    photo: bytes | None  # None: stored without its photo


@dataclass(frozen=True)
class ModelCoverage:
    """How many stored faces a pack can search: those registered with it or re-embedded with it."""

    model: str
    faces: int
    searchable: int

    @property
    def unsearchable(self) -> int:
        return self.faces - self.searchable
