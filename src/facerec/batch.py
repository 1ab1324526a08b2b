"""Registering many photos at once: every photo encoded in one admission to the inference queue, each face
stored on its own, so that one bad photo never fails the others. A face sent again under the same external
id is answered with the stored one."""

from dataclasses import dataclass

from facerec.domain import FaceRecord
from facerec.errors import DatabaseUnavailable, ExternalIdTaken, FacerecError
from facerec.gallery import Gallery
from facerec.service import FaceService, Registered, Registration, Upload


@dataclass(frozen=True)
class BatchItem:
    photo: bytes | FacerecError  # an error: the photo was refused on arrival (too large)
    registration: Registration


@dataclass(frozen=True)
class AlreadyStored:
    """A face stored earlier under the item's external id; nothing new was stored."""

    face: FaceRecord


BatchResult = Registered | AlreadyStored | FacerecError


async def register_batch(
    service: FaceService, gallery: Gallery, collection: str, items: list[BatchItem]
) -> list[BatchResult]:
    """One result per item, in order. Refused whole, before anything is stored, when the collection is
    absent or the inference queue has no room for the batch (`Overloaded`)."""
    stored = await gallery.faces_with_external_ids(
        collection, [item.registration.external_id for item in items if item.registration.external_id]
    )
    results: list[BatchResult | None] = [
        AlreadyStored(stored[external_id])
        if (external_id := item.registration.external_id) in stored
        else item.photo
        if isinstance(item.photo, FacerecError)
        else None
        for item in items
    ]
    pending = [index for index, result in enumerate(results) if result is None]
    uploads = await service.encode_uploads([_photo(items[index]) for index in pending])
    for index, upload in zip(pending, uploads, strict=True):
        results[index] = await _store(service, gallery, collection, upload, items[index].registration)
    return [result for result in results if result is not None]


async def _store(
    service: FaceService,
    gallery: Gallery,
    collection: str,
    upload: Upload | FacerecError,
    registration: Registration,
) -> BatchResult:
    if isinstance(upload, FacerecError):
        return upload
    try:
        return await service.store(collection, upload, registration)
    except ExternalIdTaken:  # stored at the same moment by another request
        assert registration.external_id is not None
        faces = await gallery.faces_with_external_ids(collection, [registration.external_id])
        return AlreadyStored(faces[registration.external_id])
    except DatabaseUnavailable:
        raise
    except FacerecError as error:
        return error


def _photo(item: BatchItem) -> bytes:
    assert not isinstance(item.photo, FacerecError)  # refused photos are answered before encoding
    return item.photo
