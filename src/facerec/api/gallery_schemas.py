"""The JSON of collections and persons."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from facerec.api.params import DisplayName, MetadataObject
from facerec.api.schemas import ApiModel
from facerec.domain import CollectionRecord, PersonPage, PersonRecord

CollectionName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="1-64 characters of A-Z a-z 0-9 _ . -",
        examples=["staff"],
    ),
]


class CollectionCreate(ApiModel):
    name: CollectionName
    metadata: MetadataObject | None = Field(None, description="A JSON object: 16 KiB, 32 levels deep.")


class CollectionOut(ApiModel):
    id: UUID
    name: str = Field(examples=["staff"])
    metadata: dict[str, Any]
    person_count: int
    face_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: CollectionRecord) -> "CollectionOut":
        return cls(
            id=record.id,
            name=record.name,
            metadata=record.metadata,
            person_count=record.person_count,
            face_count=record.face_count,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class CollectionList(ApiModel):
    collections: list[CollectionOut] = Field(description="Those this credential reaches, by name.")


class PersonCreate(ApiModel):
    display_name: DisplayName = Field(description="1-200 characters, trimmed.", examples=["Ada Lovelace"])
    metadata: MetadataObject | None = Field(None, description="A JSON object: 16 KiB, 32 levels deep.")


class PersonUpdate(ApiModel):
    display_name: DisplayName | None = Field(None, description="1-200 characters, trimmed.")
    metadata: MetadataObject | None = Field(None, description="Replaces the metadata.")


class PersonOut(ApiModel):
    id: UUID
    collection: str = Field(examples=["default"])
    display_name: str = Field(examples=["Ada Lovelace"])
    metadata: dict[str, Any] = Field(examples=[{"employeeId": "E-1042"}])
    face_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: PersonRecord) -> "PersonOut":
        return cls(
            id=record.id,
            collection=record.collection,
            display_name=record.display_name,
            metadata=record.metadata,
            face_count=record.face_count,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class PersonPageOut(ApiModel):
    persons: list[PersonOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last.")

    @classmethod
    def of(cls, page: PersonPage, cursor: str | None) -> "PersonPageOut":
        return cls(persons=[PersonOut.of(person) for person in page.persons], next_cursor=cursor)
