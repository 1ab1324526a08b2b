"""Dependencies shared by the routes, as `Annotated` aliases that keep signatures short. They take an
`HTTPConnection`, so HTTP and WebSocket routes share them."""

from typing import Annotated

from fastapi import Depends, File, Request, UploadFile
from starlette.requests import HTTPConnection

from facerec.api.streaming import StreamSlots
from facerec.db.faces import FaceStore
from facerec.errors import PayloadTooLarge, SeveralImages
from facerec.executor import BlockingRunner
from facerec.service import FaceService
from facerec.settings import Settings


def _service(connection: HTTPConnection) -> FaceService:
    service: FaceService = connection.state.service
    return service


def _store(connection: HTTPConnection) -> FaceStore:
    store: FaceStore = connection.state.store
    return store


def _settings(connection: HTTPConnection) -> Settings:
    settings: Settings = connection.state.settings
    return settings


def _runner(connection: HTTPConnection) -> BlockingRunner:
    runner: BlockingRunner = connection.state.runner
    return runner


def _stream_slots(connection: HTTPConnection) -> StreamSlots:
    slots: StreamSlots = connection.state.stream_slots
    return slots


ServiceDep = Annotated[FaceService, Depends(_service)]
RunnerDep = Annotated[BlockingRunner, Depends(_runner)]
StreamSlotsDep = Annotated[StreamSlots, Depends(_stream_slots)]
StoreDep = Annotated[FaceStore, Depends(_store)]
SettingsDep = Annotated[Settings, Depends(_settings)]


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
