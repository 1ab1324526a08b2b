"""`WS /api/stream`: live video in, tracked and identified faces out."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, WebSocket

from facerec.api.deps import RunnerDep, ServiceDep, SettingsDep, StreamSlotsDep
from facerec.api.errors import refuse_connection
from facerec.api.streaming import SUBPROTOCOL, StreamConnection, StreamLimits
from facerec.errors import TooManyStreams
from facerec.stream.analysis import FrameAnalyser, StreamOptions
from facerec.stream.search import ServicePersonSearch
from facerec.stream.session import StreamSession

router = APIRouter(prefix="/api", tags=["stream"])


@router.websocket("/stream")
async def stream(
    websocket: WebSocket,
    service: ServiceDep,
    settings: SettingsDep,
    runner: RunnerDep,
    slots: StreamSlotsDep,
    collection: Annotated[Literal["default"], Query(description="The collection searched.")] = "default",
) -> None:
    """Binary JPEG or PNG frames in; one `frame` message per processed frame and `track_started`,
    `identified` and `track_ended` events out (README, "Live video")."""
    try:
        with slots.hold():
            subprotocol = SUBPROTOCOL if SUBPROTOCOL in websocket.scope.get("subprotocols", []) else None
            await websocket.accept(subprotocol=subprotocol)
            analyser = FrameAnalyser(
                service.engine,
                StreamOptions(
                    min_face_size=settings.min_face_size, recognise_every=settings.stream_recognise_every
                ),
                max_image_pixels=settings.max_image_pixels,
            )
            session = StreamSession(analyser, ServicePersonSearch(service), collection)
            limits = StreamLimits(
                max_frame_bytes=settings.stream_max_frame_bytes,
                max_fps=settings.stream_max_fps,
                idle_timeout_s=settings.stream_idle_timeout_s,
            )
            connection = StreamConnection(
                websocket, session, runner=runner, limits=limits, quality_bar=service.quality_bar
            )
            await connection.serve()
    except TooManyStreams as refusal:
        await refuse_connection(refusal, websocket.scope, websocket.receive, websocket.send)
