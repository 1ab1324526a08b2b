"""`WS /api/stream`: live video in, tracked and identified faces out."""

import contextlib
import functools

from fastapi import APIRouter, WebSocket

from facerec.api.deps import (
    CollectionDep,
    GalleryDep,
    RunnerDep,
    ServiceDep,
    SettingsDep,
    StreamSlotsDep,
    WebhooksDep,
)
from facerec.api.errors import refuse
from facerec.api.streaming import SUBPROTOCOL, StreamConnection, StreamLimits
from facerec.errors import FacerecError
from facerec.logs import current_request_id
from facerec.stream.analysis import FrameAnalyser, StreamOptions
from facerec.stream.search import ServicePersonSearch
from facerec.stream.session import StreamSession

router = APIRouter(prefix="/api", tags=["stream"])


@router.websocket("/stream")
async def stream(
    websocket: WebSocket,
    service: ServiceDep,
    gallery: GalleryDep,
    settings: SettingsDep,
    runner: RunnerDep,
    slots: StreamSlotsDep,
    collection: CollectionDep,
    webhooks: WebhooksDep,
) -> None:
    """Binary JPEG or PNG frames in; one `frame` message per processed frame and `track_started`,
    `identified` and `track_ended` events out (README, "Live video"). An unknown collection or a full
    house is refused at the handshake."""
    with contextlib.ExitStack() as stack:
        try:
            await gallery.collection(collection)
            stack.enter_context(slots.hold())
        except FacerecError as refusal:
            await refuse(refusal, websocket.scope, websocket.receive, websocket.send)
            return
        subprotocol = SUBPROTOCOL if SUBPROTOCOL in websocket.scope.get("subprotocols", []) else None
        await websocket.accept(subprotocol=subprotocol)
        options = StreamOptions(
            min_face_size=settings.min_face_size, recognise_every=settings.stream_recognise_every
        )
        analyser = FrameAnalyser(service.engine, options, max_image_pixels=settings.max_image_pixels)
        limits = StreamLimits(
            max_frame_bytes=settings.stream_max_frame_bytes,
            max_fps=settings.stream_max_fps,
            idle_timeout_s=settings.stream_idle_timeout_s,
        )
        connection = StreamConnection(
            websocket,
            StreamSession(analyser, ServicePersonSearch(service), collection),
            runner=runner,
            limits=limits,
            quality_bar=service.quality_bar,
            notify=functools.partial(webhooks.publish_track_events, collection, current_request_id.get()),
        )
        await connection.serve()
