"""The form fields that come with a face to store, shared by register and add-a-face, and the answer."""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Form

from facerec.api.deps import SettingsDep
from facerec.api.params import ImageUrl, MetadataForm
from facerec.api.schemas import FaceOut, FaceRecordOut, PersonMatchOut, RegisterResponse
from facerec.domain import Metadata
from facerec.service import NewPerson, Registered, Registration


@dataclass(frozen=True)
class FaceForm:
    metadata: Metadata
    image_url: str | None
    take_most_prominent: bool
    check_quality: bool

    def registration(self, person: NewPerson | UUID) -> Registration:
        return Registration(
            person=person,
            metadata=self.metadata,
            image_url=self.image_url,
            take_most_prominent=self.take_most_prominent,
            check_quality=self.check_quality,
        )


async def _face_form(
    settings: SettingsDep,
    metadata: Annotated[
        MetadataForm, Form(description="The face's: a JSON object, 16 KiB, 32 levels deep.")
    ] = None,
    image_url: Annotated[
        ImageUrl | None, Form(alias="imageUrl", description="An http(s) URL or a relative path.")
    ] = None,
    most_prominent: Annotated[
        bool,
        Form(
            alias="mostProminent",
            description="With several faces that compete, take the most prominent one anyway.",
        ),
    ] = False,
    quality_check: Annotated[
        bool | None,
        Form(
            alias="qualityCheck",
            description="Refuse a face below the quality bar; default QUALITY_CHECK_ON_REGISTER.",
        ),
    ] = None,
) -> FaceForm:
    return FaceForm(
        metadata=metadata or {},
        image_url=image_url,
        take_most_prominent=most_prominent,
        check_quality=settings.quality_check_on_register if quality_check is None else quality_check,
    )


FaceFormDep = Annotated[FaceForm, Depends(_face_form)]


def registered(result: Registered) -> RegisterResponse:
    record = FaceRecordOut.of(result.face)
    duplicate = result.possible_duplicate
    return RegisterResponse(
        **record.model_dump(),
        other_faces=[FaceOut.of(face.face) for face in result.other_faces],
        possible_duplicate_of=None if duplicate is None else PersonMatchOut.of(duplicate),
    )
