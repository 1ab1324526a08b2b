"""Dependencies shared by the routes, as `Annotated` aliases that keep signatures short. They take an
`HTTPConnection`, so HTTP and WebSocket routes share them."""

from typing import Annotated

from fastapi import Depends, File, Path, Query, Request, UploadFile
from starlette.requests import HTTPConnection

from facerec.api.access import grant_of
from facerec.api.streaming import StreamSlots
from facerec.domain import DEFAULT_COLLECTION
from facerec.errors import Forbidden, PayloadTooLarge, SeveralImages
from facerec.executor import BlockingRunner
from facerec.gallery import Gallery
from facerec.service import FaceService
from facerec.settings import Settings
from facerec.webhooks.service import WebhookService

COLLECTION_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
COLLECTION_DESCRIPTION = "The collection (gallery): 1-64 characters of A-Z a-z 0-9 _ . -"


async def _service(connection: HTTPConnection) -> FaceService:
    service: FaceService = connection.state.service
    return service


async def _gallery(connection: HTTPConnection) -> Gallery:
    gallery: Gallery = connection.state.gallery
    return gallery


async def _settings(connection: HTTPConnection) -> Settings:
    settings: Settings = connection.state.settings
    return settings


CollectionQuery = Annotated[str, Query(pattern=COLLECTION_PATTERN, description=COLLECTION_DESCRIPTION)]


def reached(connection: HTTPConnection, collection: str) -> str:
    """The collection, once the connection's credential is known to reach it (else `Forbidden`, 403)."""
    grant_of(connection.scope).check(collection)
    return collection


async def _collection(connection: HTTPConnection, collection: CollectionQuery = DEFAULT_COLLECTION) -> str:
    return reached(connection, collection)


async def _named_collection(
    connection: HTTPConnection,
    name: Annotated[str, Path(pattern=COLLECTION_PATTERN, description=COLLECTION_DESCRIPTION)],
) -> str:
    return reached(connection, name)


async def _webhooks(connection: HTTPConnection) -> WebhookService:
    webhooks: WebhookService = connection.state.webhooks
    return webhooks


async def every_collection(connection: HTTPConnection) -> None:
    """Only a credential that reaches every collection may act on what spans them all (webhooks)."""
    if grant_of(connection.scope).collections is not None:
        raise Forbidden("only a credential that reaches every collection may manage webhooks")


async def _runner(connection: HTTPConnection) -> BlockingRunner:
    runner: BlockingRunner = connection.state.runner
    return runner


async def _stream_slots(connection: HTTPConnection) -> StreamSlots:
    slots: StreamSlots = connection.state.stream_slots
    return slots


ServiceDep = Annotated[FaceService, Depends(_service)]
RunnerDep = Annotated[BlockingRunner, Depends(_runner)]
StreamSlotsDep = Annotated[StreamSlots, Depends(_stream_slots)]
WebhooksDep = Annotated[WebhookService, Depends(_webhooks)]
GalleryDep = Annotated[Gallery, Depends(_gallery)]
SettingsDep = Annotated[Settings, Depends(_settings)]
CollectionDep = Annotated[str, Depends(_collection)]
NamedCollectionDep = Annotated[str, Depends(_named_collection)]


async def read_upload(upload: UploadFile, settings: Settings) -> bytes:
    data = await upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"the image is over the {settings.max_upload_bytes} byte limit")
    return data


async def _image_bytes(
    request: Request,
    settings: SettingsDep,
    image: Annotated[UploadFile, File(description="The photo: JPEG, PNG, WebP, BMP, GIF or TIFF.")],
) -> bytes:
    if len((await request.form()).getlist("image")) > 1:
        raise SeveralImages("send exactly one `image` field")
    return await read_upload(image, settings)


ImageDep = Annotated[bytes, Depends(_image_bytes)]
