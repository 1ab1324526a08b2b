"""The shapes of batch registration: the manifest sent beside the photos, and the answer per item."""

from typing import Annotated
from uuid import UUID

from pydantic import ConfigDict, Field, model_validator

from facerec.api.errors import error_content, status_of
from facerec.api.face_form import registered
from facerec.api.params import DisplayName, ImageUrl, MetadataObject
from facerec.api.schemas import ApiModel, Error, FaceRecordOut, RegisterResponse
from facerec.batch import AlreadyStored, BatchResult
from facerec.errors import FacerecError
from facerec.service import NewPerson, Registration

ExternalId = Annotated[str, Field(min_length=1, max_length=256)]


class ManifestEntry(ApiModel):
    """What to store with one photo of the batch, in the order of the `images` parts."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = Field(None, description="A new person's name, 1-200 characters.")
    person_id: UUID | None = Field(None, description="An existing person of the collection.")
    metadata: MetadataObject | None = Field(None, description="The face's: a JSON object, 16 KiB.")
    image_url: ImageUrl | None = None
    external_id: ExternalId | None = Field(
        None,
        description="Your id for this face, unique in the collection: sending it again stores nothing new "
        "and answers the stored face (status 200).",
    )

    @model_validator(mode="after")
    def _one_person(self) -> "ManifestEntry":
        if (self.display_name is None) == (self.person_id is None):
            raise ValueError("send displayName (a new person) or personId (an existing person), not both")
        return self

    def registration(self, *, take_most_prominent: bool, check_quality: bool) -> Registration:
        person = self.person_id or NewPerson(display_name=str(self.display_name), metadata={})
        return Registration(
            person=person,
            metadata=self.metadata or {},
            image_url=self.image_url,
            take_most_prominent=take_most_prominent,
            check_quality=check_quality,
            external_id=self.external_id,
        )


class BatchItemOut(ApiModel):
    index: int = Field(description="The item's place in the manifest, from 0.")
    status: int = Field(
        description="201: stored; 200: already stored under its externalId, nothing new stored; "
        "otherwise the HTTP status `POST /api/face/register` would have answered, with `error`.",
        examples=[201],
    )
    face: RegisterResponse | None = None
    error: Error | None = None

    @classmethod
    def of(cls, index: int, result: BatchResult) -> "BatchItemOut":
        if isinstance(result, FacerecError):
            return cls(index=index, status=status_of(result), error=Error(**error_content(result)))
        if isinstance(result, AlreadyStored):
            record = FaceRecordOut.of(result.face).model_dump()
            face = RegisterResponse(**record, other_faces=[], possible_duplicate_of=None)
            return cls(index=index, status=200, face=face)
        return cls(index=index, status=201, face=registered(result))


class BatchResponse(ApiModel):
    results: list[BatchItemOut] = Field(description="One per image, in order.")
