"""Face routes: encode, register, search, and the stored faces themselves."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Response
from fastapi.exceptions import RequestValidationError

from facerec.api.deps import CollectionDep, GalleryDep, ImageDep, ServiceDep
from facerec.api.errors import documented_errors
from facerec.api.face_form import FaceFormDep, registered
from facerec.api.params import (
    DisplayName,
    PageCursorQuery,
    PageLimit,
    StoredText,
    ThresholdForm,
    decode_cursor,
    encode_cursor,
)
from facerec.api.schemas import (
    DetectedFaceOut,
    EncodedFaceOut,
    EncodeResponse,
    FacePageOut,
    FaceRecordOut,
    FaceUpdate,
    MatchOut,
    RegisterResponse,
    SearchAnswer,
    SearchResponse,
)
from facerec.models.faces import Encoding
from facerec.models.thresholds import Threshold
from facerec.service import FaceService, NewPerson

# Every route here may refuse invalid fields, or be unable to answer for a moment.
COMMON = documented_errors(
    {
        422: "Invalid fields.",
        503: "Database unavailable or service overloaded; retry after `Retry-After` seconds.",
    }
)
UPLOAD = documented_errors(
    {
        400: "Not an image, a corrupt or truncated one, or a malformed form.",
        413: "Upload or image too large.",
        415: "Image format not accepted.",
        422: "No face, face too small, several faces, poor quality (register), or invalid fields.",
    }
)
IN_COLLECTION = documented_errors(
    {
        403: "The credential does not reach this collection.",
        404: "No such collection (or face, or person, in it).",
    }
)
BODY = documented_errors({400: "A body that cannot be parsed.", 413: "Body too large."})
PAGE = documented_errors({422: "Invalid query values, or a cursor this API did not return."})

router = APIRouter(prefix="/api", tags=["faces"], responses=COMMON)


@router.post("/face/encode", responses=UPLOAD)
async def encode(
    service: ServiceDep,
    image: ImageDep,
    all_faces: Annotated[
        bool, Form(alias="allFaces", description="Return every face, not only one.")
    ] = False,
) -> EncodeResponse:
    """Embed the most prominent face of a photo (weighing its size and how central it is). Each face comes
    with its `quality` and the reasons it would be refused for registration; nothing is refused here."""
    encoding = await service.encode(image, all_faces=all_faces)
    best = encoding.faces[0]
    return EncodeResponse(
        model=service.model,
        embedding=best.embedding.tolist(),
        face=DetectedFaceOut.of_encoded(best, service.quality_bar),
        face_count=encoding.detected,
        faces=(
            [EncodedFaceOut.of_embedded(face, service.quality_bar) for face in encoding.faces]
            if all_faces
            else None
        ),
    )


@router.post("/face/register", status_code=201, responses={**UPLOAD, **IN_COLLECTION})
async def register(
    service: ServiceDep,
    collection: CollectionDep,
    image: ImageDep,
    form: FaceFormDep,
    display_name: Annotated[
        DisplayName | None,
        Form(alias="displayName", description="A new person's name, 1-200 characters, trimmed."),
    ] = None,
    person_id: Annotated[
        UUID | None, Form(alias="personId", description="An existing person of the collection.")
    ] = None,
) -> RegisterResponse:
    """Store one face: of a new person (`displayName`) or of an existing one (`personId`). A photo whose
    faces compete is refused (`multiple_faces`) unless `mostProminent=true`; a face below the quality bar is
    refused (`poor_quality`, one `details` entry per reason) unless `qualityCheck=false`. A face that matches
    another person of the collection is stored and flagged in `possibleDuplicateOf`."""
    if (display_name is None) == (person_id is None):
        message = "send displayName (a new person) or personId (an existing person), not both"
        raise RequestValidationError(
            [{"loc": ("body", "displayName"), "msg": message, "type": "value_error"}]
        )
    person = person_id if person_id is not None else NewPerson(display_name=str(display_name), metadata={})
    return registered(await service.register(collection, image, form.registration(person)))


@router.post("/face/search", responses={**UPLOAD, **IN_COLLECTION})
async def search(
    service: ServiceDep,
    collection: CollectionDep,
    image: ImageDep,
    top_k: Annotated[int, Form(alias="topK", ge=1, le=100)] = 5,
    threshold: Annotated[ThresholdForm, Form()] = None,
) -> SearchResponse:
    """Find the stored faces most similar to the most prominent face of the photo, and say whether the top
    match identifies one person (`verdict`)."""
    result = await service.search(collection, image, top_k=top_k, threshold=threshold)
    return SearchResponse(
        **search_answer(service, result.threshold, result.query),
        verdict=result.verdict,
        matches=[MatchOut.of(match) for match in result.matches],
        runner_up=None if result.runner_up is None else MatchOut.of(result.runner_up),
    )


def search_answer(service: FaceService, threshold: Threshold, query: Encoding) -> dict[str, Any]:
    """The fields every search answers besides its matches (`SearchAnswer`)."""
    return SearchAnswer(
        model=service.model,
        threshold=threshold.value,
        threshold_name=threshold.name,
        ambiguity_margin=service.operating_points.ambiguity_margin,
        face=DetectedFaceOut.of_encoded(query.faces[0], service.quality_bar),
        face_count=query.detected,
    ).model_dump()


@router.get("/faces", responses={**PAGE, **IN_COLLECTION})
async def list_faces(
    gallery: GalleryDep,
    collection: CollectionDep,
    limit: PageLimit = 20,
    cursor: PageCursorQuery = None,
    display_name: Annotated[
        StoredText | None,
        Query(alias="displayName", max_length=200, description="Whole name, ignoring case."),
    ] = None,
) -> FacePageOut:
    """Stored faces of the collection, oldest first, a page at a time."""
    page = await gallery.faces(
        collection, limit=limit, after=decode_cursor(cursor), display_name=display_name
    )
    return FacePageOut.of(page, encode_cursor(page.next_cursor))


@router.get("/face/{face_id}", responses=IN_COLLECTION)
async def get_face(
    gallery: GalleryDep,
    collection: CollectionDep,
    face_id: UUID,
    include_embedding: Annotated[bool, Query(alias="includeEmbedding")] = False,
) -> FaceRecordOut:
    return FaceRecordOut.of(await gallery.face(collection, face_id, with_embedding=include_embedding))


@router.get(
    "/face/{face_id}/image",
    response_class=Response,
    responses={**IN_COLLECTION, 200: {"content": {"image/*": {}}, "description": "The original photo."}},
)
async def get_face_image(gallery: GalleryDep, collection: CollectionDep, face_id: UUID) -> Response:
    image = await gallery.image(collection, face_id)
    return Response(image.data, media_type=image.content_type, headers={"Cache-Control": "private"})


@router.patch("/face/{face_id}", responses={**IN_COLLECTION, **BODY})
async def update_face(
    gallery: GalleryDep, collection: CollectionDep, face_id: UUID, update: FaceUpdate
) -> FaceRecordOut:
    """Replace the metadata, move the face to another person (`personId`), and/or rename its person."""
    record = await gallery.update_face(
        collection,
        face_id,
        display_name=update.display_name,
        metadata=update.metadata,
        person_id=update.person_id,
    )
    return FaceRecordOut.of(record)


@router.delete("/face/{face_id}", status_code=204, responses=IN_COLLECTION)
async def delete_face(gallery: GalleryDep, collection: CollectionDep, face_id: UUID) -> Response:
    """Erase the face for good: its vector, record and stored photo."""
    await gallery.delete_face(collection, face_id)
    return Response(status_code=204)
