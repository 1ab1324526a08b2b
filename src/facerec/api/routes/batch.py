"""Batch registration: many photos in one request, each stored or refused on its own."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from facerec.api.batch_schemas import BatchItemOut, BatchResponse, ManifestEntry
from facerec.api.deps import CollectionDep, GalleryDep, ServiceDep, SettingsDep, read_upload
from facerec.api.errors import documented_errors
from facerec.api.routes.faces import COMMON, IN_COLLECTION
from facerec.batch import BatchItem, register_batch
from facerec.errors import PayloadTooLarge
from facerec.settings import Settings

PATH = "/api/faces/batch"
# Room per item for its multipart headers and its manifest entry (metadata is at most 16 KiB).
ITEM_OVERHEAD_BYTES = 24 * 1024
_MANIFEST = TypeAdapter(list[ManifestEntry])

router = APIRouter(prefix="/api", tags=["faces"], responses=COMMON)


def max_body_bytes(settings: Settings) -> int:
    """A batch may carry `BATCH_MAX_ITEMS` photos of `MAX_UPLOAD_BYTES` each."""
    return settings.batch_max_items * (settings.max_upload_bytes + ITEM_OVERHEAD_BYTES)


@router.post(
    "/faces/batch",
    responses={
        **IN_COLLECTION,
        **documented_errors(
            {
                400: "A malformed form.",
                413: "Body over BATCH_MAX_ITEMS x MAX_UPLOAD_BYTES.",
                422: "Bad manifest: not JSON, invalid entries, too many items, or not one per image.",
            }
        ),
    },
)
async def register_many(
    service: ServiceDep,
    gallery: GalleryDep,
    settings: SettingsDep,
    collection: CollectionDep,
    images: Annotated[list[UploadFile], File(description="The photos, up to BATCH_MAX_ITEMS (64).")],
    manifest: Annotated[
        str,
        Form(
            description="A JSON array, one entry per image in order: "
            "`{displayName | personId, metadata?, imageUrl?, externalId?}`."
        ),
    ],
    most_prominent: Annotated[
        bool, Form(alias="mostProminent", description="For every item: as in `/api/face/register`.")
    ] = False,
    quality_check: Annotated[
        bool | None,
        Form(alias="qualityCheck", description="For every item; default QUALITY_CHECK_ON_REGISTER."),
    ] = None,
) -> BatchResponse:
    """Register many faces at once. Each item is stored or refused on its own (one bad photo never fails
    the others): `results` says, in order, what became of each, with the face or the error body
    `POST /api/face/register` would have answered. An item whose `externalId` is already stored in the
    collection stores nothing new and answers the stored face with status 200, so a batch can be sent
    again safely. The batch is refused whole, before anything is stored, when the manifest is invalid
    (422) or the service has no room for all of it (503 `overloaded`)."""
    entries = _manifest(manifest, images=len(images), max_items=settings.batch_max_items)
    check_quality = settings.quality_check_on_register if quality_check is None else quality_check
    items = [
        BatchItem(
            await _photo(image, settings),
            entry.registration(take_most_prominent=most_prominent, check_quality=check_quality),
        )
        for image, entry in zip(images, entries, strict=True)
    ]
    results = await register_batch(service, gallery, collection, items)
    return BatchResponse(results=[BatchItemOut.of(index, result) for index, result in enumerate(results)])


def _manifest(text: str, *, images: int, max_items: int) -> list[ManifestEntry]:
    try:
        entries = _MANIFEST.validate_json(text)
    except ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", "manifest", *item["loc"])} for item in error.errors()]
        ) from error
    problem = None
    if len(entries) > max_items:
        problem = f"a batch holds at most {max_items} items (BATCH_MAX_ITEMS); this one has {len(entries)}"
    elif len(entries) != images:
        problem = f"the manifest has {len(entries)} entries for {images} images: send one per image"
    else:
        external_ids = [entry.external_id for entry in entries if entry.external_id is not None]
        if len(set(external_ids)) != len(external_ids):
            problem = "an externalId appears more than once in the manifest"
    if problem is not None:
        raise RequestValidationError([{"loc": ("body", "manifest"), "msg": problem, "type": "value_error"}])
    return entries


async def _photo(image: UploadFile, settings: Settings) -> bytes | PayloadTooLarge:
    try:
        return await read_upload(image, settings)
    except PayloadTooLarge as error:
        return error
