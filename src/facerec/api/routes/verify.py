"""1:1 verification: are two faces the same person?"""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.exceptions import RequestValidationError
from starlette.requests import HTTPConnection

from facerec.api.deps import CollectionQuery, ServiceDep, SettingsDep, reached, read_upload
from facerec.api.errors import documented_errors
from facerec.api.params import ThresholdForm
from facerec.api.schemas import DetectedFaceOut, VerifyResponse
from facerec.domain import DEFAULT_COLLECTION
from facerec.matching import Verdict
from facerec.service import FaceService, PairResult

TWO_PHOTOS = ("image1", "image2")
PHOTO_AND_FACE = ("image", "faceId")
PHOTO_AND_PERSON = ("image", "personId")
FORMS = (TWO_PHOTOS, PHOTO_AND_FACE, PHOTO_AND_PERSON)
FIELDS = ("image1", "image2", "image", "faceId", "personId")

ERRORS = documented_errors(
    {
        400: "Not an image, or a corrupt or truncated one.",
        403: "The credential does not reach this collection.",
        404: "No such collection, or no stored face (faceId) or person (personId) in it.",
        409: "The stored face was embedded by another model pack, or the person has no face of this one.",
        413: "Upload or image too large.",
        415: "Image format not accepted.",
        422: "No face, face too small, or not exactly image1 + image2 or image + faceId.",
        503: "Database unavailable or service overloaded; retry after `Retry-After` seconds.",
    }
)

router = APIRouter(prefix="/api", tags=["verify"])
Photo = Annotated[UploadFile | None, File(description="JPEG, PNG, WebP, BMP, GIF or TIFF.")]


@router.post("/face/verify", responses=ERRORS)
async def verify(
    service: ServiceDep,
    settings: SettingsDep,
    connection: HTTPConnection,
    collection: CollectionQuery = DEFAULT_COLLECTION,
    image1: Photo = None,
    image2: Photo = None,
    image: Photo = None,
    face_id: Annotated[UUID | None, Form(alias="faceId", description="A stored face, with `image`.")] = None,
    person_id: Annotated[
        UUID | None, Form(alias="personId", description="A stored person (all their faces), with `image`.")
    ] = None,
    threshold: Annotated[ThresholdForm, Form()] = None,
) -> VerifyResponse:
    """Compare the most prominent face of `image1` with that of `image2`, of `image` with the stored face
    `faceId`, or of `image` with every face of the person `personId` (scored as person search scores a
    person)."""
    pairing = _pairing(image1, image2, image, face_id, person_id)
    if isinstance(pairing, TwoPhotos):
        first = await read_upload(pairing.first, settings)
        second = await read_upload(pairing.second, settings)
        result = await service.compare_photos(first, second, threshold=threshold)
    elif isinstance(pairing, PhotoAndFace):
        data = await read_upload(pairing.photo, settings)
        result = await service.compare_with_face(
            reached(connection, collection), data, pairing.face_id, threshold=threshold
        )
    else:
        data = await read_upload(pairing.photo, settings)
        result = await service.compare_with_person(
            reached(connection, collection), data, pairing.person_id, threshold=threshold
        )
    return _response(result, service)


@dataclass(frozen=True)
class TwoPhotos:
    first: UploadFile
    second: UploadFile


@dataclass(frozen=True)
class PhotoAndFace:
    photo: UploadFile
    face_id: UUID


@dataclass(frozen=True)
class PhotoAndPerson:
    photo: UploadFile
    person_id: UUID


def _pairing(
    image1: UploadFile | None,
    image2: UploadFile | None,
    image: UploadFile | None,
    face_id: UUID | None,
    person_id: UUID | None,
) -> TwoPhotos | PhotoAndFace | PhotoAndPerson:
    """Exactly image1 + image2, image + faceId or image + personId; anything else is a validation error."""
    values = (image1, image2, image, face_id, person_id)
    sent = {name for name, value in zip(FIELDS, values, strict=True) if value is not None}
    if image1 is not None and image2 is not None and sent == set(TWO_PHOTOS):
        return TwoPhotos(image1, image2)
    if image is not None and face_id is not None and sent == set(PHOTO_AND_FACE):
        return PhotoAndFace(image, face_id)
    if image is not None and person_id is not None and sent == set(PHOTO_AND_PERSON):
        return PhotoAndPerson(image, person_id)
    form = next((form for form in FORMS if set(form) & sent - {"image"}), PHOTO_AND_FACE)
    wanted = "send either " + ", or ".join(" + ".join(form) for form in FORMS)
    problems = [(name, f"{name} is required: {wanted}") for name in sorted(set(form) - sent)]
    together = " + ".join(form)
    problems += [(name, f"{name} cannot be sent with {together}") for name in sorted(sent - set(form))]
    raise RequestValidationError(
        [{"loc": ("body", name), "msg": message, "type": "value_error"} for name, message in problems]
    )


def _response(result: PairResult, service: FaceService) -> VerifyResponse:
    bar = service.quality_bar
    return VerifyResponse(
        model=service.model,
        similarity=result.similarity,
        threshold=result.threshold.value,
        threshold_name=result.threshold.name,
        verdict=result.verdict,
        is_same_person=result.verdict is Verdict.MATCH,
        face=DetectedFaceOut.of_encoded(result.probe, bar),
        other_face=None if result.reference is None else DetectedFaceOut.of_encoded(result.reference, bar),
    )
