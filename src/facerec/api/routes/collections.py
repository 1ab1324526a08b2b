"""Collections: separate galleries. A search, a person or a face never crosses from one to another."""

from fastapi import APIRouter, Response
from starlette.requests import HTTPConnection

from facerec.api.access import grant_of
from facerec.api.deps import GalleryDep, NamedCollectionDep
from facerec.api.errors import documented_errors
from facerec.api.gallery_schemas import CollectionCreate, CollectionList, CollectionOut
from facerec.api.routes.faces import BODY, COMMON

NAMED = documented_errors(
    {403: "The credential does not reach this collection.", 404: "No collection of this name."}
)

router = APIRouter(prefix="/api/collections", tags=["collections"], responses=COMMON)


@router.post(
    "",
    status_code=201,
    responses={
        **BODY,
        **documented_errors(
            {403: "The credential does not reach this name.", 409: "A collection of this name exists."}
        ),
    },
)
async def create_collection(
    gallery: GalleryDep, connection: HTTPConnection, collection: CollectionCreate
) -> CollectionOut:
    grant_of(connection.scope).check(collection.name)
    return CollectionOut.of(await gallery.create_collection(collection.name, collection.metadata or {}))


@router.get("")
async def list_collections(gallery: GalleryDep, connection: HTTPConnection) -> CollectionList:
    """Every collection this credential reaches, by name, with their counts."""
    grant = grant_of(connection.scope)
    reachable = [record for record in await gallery.collections() if grant.reaches(record.name)]
    return CollectionList(collections=[CollectionOut.of(record) for record in reachable])


@router.get("/{name}", responses=NAMED)
async def get_collection(gallery: GalleryDep, name: NamedCollectionDep) -> CollectionOut:
    return CollectionOut.of(await gallery.collection(name))


@router.delete("/{name}", status_code=204, responses=NAMED)
async def delete_collection(gallery: GalleryDep, name: NamedCollectionDep) -> Response:
    """Erase the collection with every person, face and photo in it. `default` is emptied: it always
    exists."""
    await gallery.delete_collection(name)
    return Response(status_code=204)
