"""Face routes: encode, register, search, and the stored faces themselves."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Query, Response

from facerec.api.deps import ImageDep, ServiceDep, SettingsDep, StoreDep
from facerec.api.errors import documented_errors
from facerec.api.params import (
    DisplayName,
    ImageUrl,
    MetadataForm,
    ThresholdForm,
    decode_cursor,
    encode_cursor,
)
from facerec.api.photos import photo_response
from facerec.api.schemas import (
    DetectedFaceOut,
    EncodedFaceOut,
    EncodeResponse,
    FacePageOut,
    FaceRecordOut,
    FaceUpdate,
    MatchOut,
    SearchResponse,
)
from facerec.service import Registration

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
BY_ID = documented_errors({404: "No face with this id.", 422: "Malformed id or invalid fields."})
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


@router.post("/face/register", status_code=201, responses=UPLOAD)
async def register(
    service: ServiceDep,
    settings: SettingsDep,
    image: ImageDep,
    display_name: Annotated[DisplayName, Form(alias="displayName", description="1-200 characters, trimmed.")],
    metadata: Annotated[MetadataForm, Form(description="A JSON object: 16 KiB, 32 levels deep.")] = None,
    image_url: Annotated[
        ImageUrl | None, Form(alias="imageUrl", description="An http(s) URL or a relative path.")
    ] = None,
    most_prominent: Annotated[
        bool, Form(alias="mostProminent", description="With several faces, register the most prominent.")
    ] = False,
    quality_check: Annotated[
        bool | None,
        Form(
            alias="qualityCheck",
            description="Refuse a face below the quality bar; default QUALITY_CHECK_ON_REGISTER.",
        ),
    ] = None,
) -> FaceRecordOut:
    """Store one person's face. A photo with several faces is refused (`multiple_faces`) unless
    `mostProminent=true`; a face below the quality bar is refused (`poor_quality`, one `details` entry per
    reason) unless `qualityCheck=false`. The original photo is kept unless STORE_IMAGES=false."""
    record = await service.register(
        image,
        Registration(
            display_name=display_name,
            metadata=metadata or {},
            image_url=image_url,
            take_most_prominent=most_prominent,
            check_quality=settings.quality_check_on_register if quality_check is None else quality_check,
        ),
    )
    return FaceRecordOut.of(record)


@router.post("/face/search", responses=UPLOAD)
async def search(
    service: ServiceDep,
    image: ImageDep,
    top_k: Annotated[int, Form(alias="topK", ge=1, le=100)] = 5,
    threshold: Annotated[ThresholdForm, Form()] = None,
) -> SearchResponse:
    """Find the registered faces most similar to the most prominent face of the photo, and say whether
    the top match identifies one person (`verdict`)."""
    result = await service.search(image, top_k=top_k, threshold=threshold)
    query = result.query
    return SearchResponse(
        model=service.model,
        threshold=result.threshold.value,
        threshold_name=result.threshold.name,
        verdict=result.verdict,
        ambiguity_margin=service.operating_points.ambiguity_margin,
        face=DetectedFaceOut.of_encoded(query.faces[0], service.quality_bar),
        face_count=query.detected,
        matches=[MatchOut.of(match) for match in result.matches],
        runner_up=None if result.runner_up is None else MatchOut.of(result.runner_up),
    )


@router.get("/faces", responses=PAGE)
async def list_faces(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description="nextCursor of the previous page.")] = None,
    display_name: Annotated[DisplayName | None, Query(alias="displayName")] = None,
) -> FacePageOut:
    """Stored faces, oldest first, a page at a time."""
    page = await store.page(limit=limit, after=decode_cursor(cursor), display_name=display_name)
    return FacePageOut.of(page, encode_cursor(page.next_cursor))


@router.get("/face/{face_id}", responses=BY_ID)
async def get_face(
    store: StoreDep,
    face_id: UUID,
    include_embedding: Annotated[bool, Query(alias="includeEmbedding")] = False,
) -> FaceRecordOut:
    return FaceRecordOut.of(await store.get(face_id, with_embedding=include_embedding))


@router.get(
    "/face/{face_id}/image",
    response_class=Response,
    responses={**BY_ID, 200: {"content": {"image/*": {}}, "description": "The original photo."}},
)
async def get_face_image(store: StoreDep, face_id: UUID) -> Response:
    return photo_response(face_id, await store.image(face_id))


@router.patch("/face/{face_id}", responses={**BY_ID, **BODY})
async def update_face(store: StoreDep, face_id: UUID, update: FaceUpdate) -> FaceRecordOut:
    """Change the display name and/or replace the metadata."""
    record = await store.update(face_id, display_name=update.display_name, metadata=update.metadata)
    return FaceRecordOut.of(record)


@router.delete("/face/{face_id}", status_code=204, responses=BY_ID)
async def delete_face(store: StoreDep, face_id: UUID) -> Response:
    """Erase the face for good: its vector, record and stored photo."""
    await store.delete(face_id)
    return Response(status_code=204)
