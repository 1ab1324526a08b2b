"""1:1 verification: are two faces the same person?"""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.exceptions import RequestValidationError

from facerec.api.deps import ServiceDep, SettingsDep, read_upload
from facerec.api.errors import documented_errors
from facerec.api.params import ThresholdForm
from facerec.api.schemas import DetectedFaceOut, VerifyResponse
from facerec.matching import Verdict
from facerec.service import FaceService, PairResult

TWO_PHOTOS = ("image1", "image2")
PHOTO_AND_STORED = ("image", "faceId")
FIELDS = (*TWO_PHOTOS, *PHOTO_AND_STORED)

ERRORS = documented_errors(
    {
        400: "Not an image, or a corrupt or truncated one.",
        404: "No stored face with this faceId.",
        409: "The stored face was embedded by another model pack.",
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
    image1: Photo = None,
    image2: Photo = None,
    image: Photo = None,
    face_id: Annotated[UUID | None, Form(alias="faceId", description="A stored face, with `image`.")] = None,
    threshold: Annotated[ThresholdForm, Form()] = None,
) -> VerifyResponse:
    """Compare the most prominent face of `image1` with that of `image2`, or of `image` with the stored
    face `faceId`."""
    pairing = _pairing(image1, image2, image, face_id)
    if isinstance(pairing, TwoPhotos):
        first = await read_upload(pairing.first, settings)
        second = await read_upload(pairing.second, settings)
        result = await service.compare_photos(first, second, threshold=threshold)
    else:
        data = await read_upload(pairing.photo, settings)
        result = await service.compare_with_stored(data, pairing.face_id, threshold=threshold)
    return _response(result, service)


@dataclass(frozen=True)
class TwoPhotos:
    first: UploadFile
    second: UploadFile


@dataclass(frozen=True)
class PhotoAndStored:
    photo: UploadFile
    face_id: UUID


def _pairing(
    image1: UploadFile | None, image2: UploadFile | None, image: UploadFile | None, face_id: UUID | None
) -> TwoPhotos | PhotoAndStored:
    """Exactly image1 + image2, or exactly image + faceId; anything else is a validation error."""
    values = (image1, image2, image, face_id)
    sent = {name for name, value in zip(FIELDS, values, strict=True) if value is not None}
    if image1 is not None and image2 is not None and sent == set(TWO_PHOTOS):
        return TwoPhotos(image1, image2)
    if image is not None and face_id is not None and sent == set(PHOTO_AND_STORED):
        return PhotoAndStored(image, face_id)
    form = TWO_PHOTOS if sent & set(TWO_PHOTOS) else PHOTO_AND_STORED
    wanted = f"send either {' + '.join(TWO_PHOTOS)} or {' + '.join(PHOTO_AND_STORED)}"
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
