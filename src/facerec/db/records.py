"""What the face store keeps and returns."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from facerec.models.faces import Box, FloatArray

Metadata = dict[str, Any]


@dataclass(frozen=True)
class StoredImage:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class NewFace:
    id: UUID
    display_name: str
    image_url: str | None
    embedding: FloatArray
    model: str
    det_score: float
    box: Box
    landmarks: FloatArray
    metadata: Metadata
    image: StoredImage | None


@dataclass(frozen=True)
class FaceRecord:
    id: UUID
    display_name: str
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


@dataclass(frozen=True)
class Match:
    id: UUID
    display_name: str
    score: float  # cosine similarity, 1 - cosine distance
    image_url: str | None


@dataclass(frozen=True)
class PageCursor:
    inserted_at: datetime
    id: UUID


@dataclass(frozen=True)
class FacePage:
    faces: list[FaceRecord]
    next_cursor: PageCursor | None
