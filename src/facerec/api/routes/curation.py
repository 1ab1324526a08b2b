"""Looking after a collection's labels: calibration, clustering, merging a cluster into a person."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.exceptions import RequestValidationError
from starlette.requests import HTTPConnection

from facerec.api.curation_schemas import (
    CalibrationOut,
    MergeOut,
    MergeRequest,
    PhotoClustersOut,
    RejectionOut,
    StoredClusterRequest,
    StoredClustersOut,
)
from facerec.api.deps import CollectionDep, NamedCollectionDep, SettingsDep, read_upload
from facerec.api.errors import documented_errors
from facerec.api.routes.faces import BODY, COMMON, IN_COLLECTION, UPLOAD
from facerec.curation import Curator
from facerec.errors import SeveralImages

# Photos clustered in one request, at most (the whole request is within MAX_UPLOAD_BYTES too).
MAX_CLUSTER_PHOTOS = 100
NAMED = documented_errors(
    {403: "The credential does not reach this collection.", 404: "No collection of this name."}
)


async def _curator(connection: HTTPConnection) -> Curator:
    curator: Curator = connection.state.curator
    return curator


CuratorDep = Annotated[Curator, Depends(_curator)]

router = APIRouter(responses=COMMON)


@router.get("/api/collections/{name}/calibration", tags=["collections"], responses=NAMED)
async def calibration(curator: CuratorDep, name: NamedCollectionDep) -> CalibrationOut:
    """Thresholds recommended for this collection's size, from its own faces where they are enough, with
    the faces that look unlike the rest of their person (possible mislabels) and the persons who look
    alike (possible duplicates). Reads at most `maxFaces` faces."""
    return CalibrationOut.of(await curator.calibration(name))


@router.post("/api/collections/{name}/clusters", tags=["collections"], responses={**NAMED, **BODY})
async def cluster_stored(
    curator: CuratorDep, name: NamedCollectionDep, request: StoredClusterRequest | None = None
) -> StoredClustersOut:
    """Group stored faces that are likely one person: the faces of `personIds`, or of every person who
    has a single face. Turn a group into one person with `POST /api/persons/{id}/faces:merge`."""
    person_ids = None if request is None else request.person_ids
    return StoredClustersOut.of(await curator.cluster_stored(name, person_ids))


@router.post("/api/faces/cluster", tags=["faces"], responses=UPLOAD)
async def cluster_photos(
    curator: CuratorDep,
    settings: SettingsDep,
    images: Annotated[
        list[UploadFile],
        File(description=f"The photos, one `images` part each; at most {MAX_CLUSTER_PHOTOS}."),
    ],
) -> PhotoClustersOut:
    """Group photos whose most prominent faces are likely one person; nothing is stored."""
    if len(images) > MAX_CLUSTER_PHOTOS:
        raise SeveralImages(f"send at most {MAX_CLUSTER_PHOTOS} `images` parts, not {len(images)}")
    photos = [await read_upload(image, settings) for image in images]
    return PhotoClustersOut.of(await curator.cluster_photos(photos))


@router.post("/api/persons/{person_id}/faces:merge", tags=["persons"], responses={**IN_COLLECTION, **BODY})
async def merge_faces(
    curator: CuratorDep, collection: CollectionDep, person_id: UUID, request: MergeRequest
) -> MergeOut:
    """Move these faces (a cluster) to the person; a person left without a face is erased."""
    merged = await curator.merge(collection, person_id, request.face_ids)
    return MergeOut(person_id=merged.person_id, removed_person_ids=merged.removed_persons)


@router.post(
    "/api/persons/{person_id}/rejections",
    status_code=201,
    tags=["persons"],
    responses={**UPLOAD, **IN_COLLECTION, **documented_errors({409: "The face is this person's own."})},
)
async def reject(
    curator: CuratorDep,
    settings: SettingsDep,
    collection: CollectionDep,
    person_id: UUID,
    face_id: Annotated[
        UUID | None, Form(alias="faceId", description="A stored face of someone else.")
    ] = None,
    image: Annotated[UploadFile | None, File(description="A probe photo; its most prominent face.")] = None,
) -> RejectionOut:
    """ "Not this person": the face (a stored one, or a photo's) is not them. A search with that face, or
    with one within the rejection similarity of it, never answers this person again."""
    if (face_id is None) == (image is None):
        message = "send faceId (a stored face) or image (a photo), not both"
        raise RequestValidationError([{"loc": ("body", "faceId"), "msg": message, "type": "value_error"}])
    if face_id is not None:
        rejection = await curator.reject_face(collection, person_id, face_id)
    else:
        assert image is not None
        rejection = await curator.reject_photo(collection, person_id, await read_upload(image, settings))
    return RejectionOut(id=rejection, person_id=person_id, face_id=face_id)
