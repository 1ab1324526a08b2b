"""Persons: the identities of a collection, each owning many faces, and search by person."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Query, Response

from facerec.api.deps import CollectionDep, GalleryDep, ImageDep, ServiceDep
from facerec.api.face_form import FaceFormDep, registered
from facerec.api.gallery_schemas import PersonCreate, PersonOut, PersonPageOut, PersonUpdate
from facerec.api.params import (
    PageCursorQuery,
    PageLimit,
    StoredText,
    ThresholdForm,
    decode_cursor,
    encode_cursor,
)
from facerec.api.routes.faces import BODY, COMMON, IN_COLLECTION, PAGE, UPLOAD, search_answer
from facerec.api.schemas import (
    FacePageOut,
    PersonMatchOut,
    PersonSearchResponse,
    RegisterResponse,
)

router = APIRouter(prefix="/api/persons", tags=["persons"], responses=COMMON)


@router.post("", status_code=201, responses={**IN_COLLECTION, **BODY})
async def create_person(gallery: GalleryDep, collection: CollectionDep, person: PersonCreate) -> PersonOut:
    """A person with no face yet; add faces with `POST /api/persons/{id}/faces`."""
    record = await gallery.create_person(collection, person.display_name, person.metadata or {})
    return PersonOut.of(record)


@router.get("", responses={**IN_COLLECTION, **PAGE})
async def list_persons(
    gallery: GalleryDep,
    collection: CollectionDep,
    limit: PageLimit = 20,
    cursor: PageCursorQuery = None,
    display_name: Annotated[
        StoredText | None,
        Query(alias="displayName", max_length=200, description="Start of the name, ignoring case."),
    ] = None,
) -> PersonPageOut:
    """Persons of the collection, oldest first, a page at a time."""
    page = await gallery.persons(
        collection, limit=limit, after=decode_cursor(cursor), name_prefix=display_name
    )
    return PersonPageOut.of(page, encode_cursor(page.next_cursor))


@router.post("/search", responses={**UPLOAD, **IN_COLLECTION})
async def search_persons(
    service: ServiceDep,
    collection: CollectionDep,
    image: ImageDep,
    top_k: Annotated[int, Form(alias="topK", ge=1, le=100)] = 5,
    threshold: Annotated[ThresholdForm, Form()] = None,
) -> PersonSearchResponse:
    """Find the persons most like the most prominent face of the photo: each person is scored on all their
    faces, and the verdict says whether the top person is identified."""
    result = await service.search_persons(collection, image, top_k=top_k, threshold=threshold)
    return PersonSearchResponse(
        **search_answer(service, result.threshold, result.query),
        verdict=result.verdict,
        matches=[PersonMatchOut.of(match) for match in result.matches],
        runner_up=None if result.runner_up is None else PersonMatchOut.of(result.runner_up),
    )


@router.get("/{person_id}", responses=IN_COLLECTION)
async def get_person(gallery: GalleryDep, collection: CollectionDep, person_id: UUID) -> PersonOut:
    return PersonOut.of(await gallery.person(collection, person_id))


@router.patch("/{person_id}", responses={**IN_COLLECTION, **BODY})
async def update_person(
    gallery: GalleryDep, collection: CollectionDep, person_id: UUID, update: PersonUpdate
) -> PersonOut:
    """Rename the person (every face of theirs takes the name) and/or replace their metadata."""
    record = await gallery.update_person(
        collection, person_id, display_name=update.display_name, metadata=update.metadata
    )
    return PersonOut.of(record)


@router.delete("/{person_id}", status_code=204, responses=IN_COLLECTION)
async def delete_person(gallery: GalleryDep, collection: CollectionDep, person_id: UUID) -> Response:
    """Erase the person with every face, vector and photo of theirs."""
    await gallery.delete_person(collection, person_id)
    return Response(status_code=204)


@router.post("/{person_id}/faces", status_code=201, responses={**UPLOAD, **IN_COLLECTION})
async def add_face(
    service: ServiceDep, collection: CollectionDep, person_id: UUID, image: ImageDep, form: FaceFormDep
) -> RegisterResponse:
    """Add a face to the person; the same checks and answer as `POST /api/face/register`."""
    return registered(await service.register(collection, image, form.registration(person_id)))


@router.get("/{person_id}/faces", responses={**IN_COLLECTION, **PAGE})
async def list_faces_of_person(
    gallery: GalleryDep,
    collection: CollectionDep,
    person_id: UUID,
    limit: PageLimit = 20,
    cursor: PageCursorQuery = None,
) -> FacePageOut:
    """The person's faces, oldest first, a page at a time."""
    page = await gallery.faces(collection, limit=limit, after=decode_cursor(cursor), person_id=person_id)
    return FacePageOut.of(page, encode_cursor(page.next_cursor))
