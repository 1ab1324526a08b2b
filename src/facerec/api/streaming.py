"""The WebSocket side of a live video stream: frames in (the latest one wins), replies and events out."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace

from pydantic import ValidationError
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from facerec.api.errors import close_websocket, error_body, validation_details
from facerec.api.stream_schemas import FrameOut, StreamConfig, StreamFaceOut, TrackEventOut
from facerec.errors import (
    FacerecError,
    InvalidMessage,
    PayloadTooLarge,
    StreamIdle,
    TooManyStreams,
)
from facerec.executor import BlockingRunner
from facerec.models.quality import QualityBar
from facerec.stream.session import StreamSession, TrackEvent

logger = logging.getLogger(__name__)

# Offered by a client (browsers: beside a credential subprotocol), it is selected in the handshake.
SUBPROTOCOL = "facerec"


class StreamSlots:
    """At most `limit` streams open at once."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open = 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if self._open >= self._limit:
            raise TooManyStreams(f"{self._open} video streams are open, the most allowed; try again later")
        self._open += 1
        try:
            yield
        finally:
            self._open -= 1


@dataclass(frozen=True)
class Frame:
    seq: int
    data: bytes
    dropped: int  # frames dropped since the previous frame taken


class LatestFrame:
    """Drop-to-latest: at most one frame waits; a newer one replaces it, and the older counts as dropped."""

    def __init__(self) -> None:
        self._waiting: tuple[int, bytes] | None = None
        self._dropped = 0
        self._ready = asyncio.Event()

    def put(self, seq: int, data: bytes) -> None:
        if self._waiting is not None:
            self._dropped += 1
        self._waiting = (seq, data)
        self._ready.set()

    def drop(self) -> None:
        self._dropped += 1

    async def take(self) -> Frame:
        await self._ready.wait()
        self._ready.clear()
        assert self._waiting is not None
        (seq, data), self._waiting = self._waiting, None
        frame = Frame(seq, data, self._dropped)
        self._dropped = 0
        return frame


@dataclass(frozen=True)
class StreamLimits:
    max_frame_bytes: int
    max_fps: float
    idle_timeout_s: float


class StreamConnection:
    """One accepted stream: a reader that keeps only the latest frame, and a processor that answers each
    frame it takes with the events it caused, then its `frame` message (the last message about a frame)."""

    def __init__(
        self,
        websocket: WebSocket,
        session: StreamSession,
        *,
        runner: BlockingRunner,
        limits: StreamLimits,
        quality_bar: QualityBar,
        notify: Callable[[list[TrackEvent]], Awaitable[None]],
    ) -> None:
        """`notify` hears of every event (webhooks); a failure there is logged, the stream goes on."""
        self._websocket = websocket
        self._notify = notify
        self._session = session
        self._runner = runner
        self._limits = limits
        self._quality_bar = quality_bar
        self._frames = LatestFrame()
        self._seq = 0  # binary messages received so far
        self._active_at = time.monotonic()  # the last message received or frame answered
        self._processing = False

    async def serve(self) -> None:
        """Run until the client leaves or falls idle (then the tracks still open end, and say so)."""
        reading = asyncio.create_task(self._read())
        processing = asyncio.create_task(self._process())
        done, pending = await asyncio.wait({reading, processing}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        ended = self._session.end()
        try:
            for task in done:
                task.result()
        except StreamIdle as idle:
            await self._send_events(ended, seq=self._seq)
            await close_websocket(self._websocket, idle)
        except WebSocketDisconnect:
            pass  # the client left while we answered

    async def _receive(self) -> Message:
        """The next message; `StreamIdle` once the client has been idle too long. The receive is never
        cancelled by a timeout (a message arriving just then would be lost): it is waited on again."""
        receiving = asyncio.ensure_future(self._websocket.receive())
        try:
            while not (await asyncio.wait({receiving}, timeout=max(0.0, self._idle_left())))[0]:
                if self._idle_left() <= 0:
                    raise StreamIdle(f"nothing was received for {self._limits.idle_timeout_s:g} s")
            return receiving.result()
        finally:
            receiving.cancel()

    async def _read(self) -> None:
        while True:
            message = await self._receive()
            self._active_at = time.monotonic()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is None:
                await self._configure(message.get("text") or "")
                continue
            self._seq += 1
            data: bytes = message["bytes"]
            if len(data) > self._limits.max_frame_bytes:
                too_large = PayloadTooLarge(
                    f"the frame is over the {self._limits.max_frame_bytes} byte limit"
                )
                await self._send_error(too_large, seq=self._seq)
            else:
                self._frames.put(self._seq, data)

    def _idle_left(self) -> float:
        """Seconds before the stream counts as idle: the client is not idle while a frame of its is
        processed, nor for the idle timeout after the last message either way."""
        if self._processing:
            return self._limits.idle_timeout_s
        return self._limits.idle_timeout_s - (time.monotonic() - self._active_at)

    async def _process(self) -> None:
        """Frames are taken at most STREAM_MAX_FPS a second: one that comes sooner waits (and a newer one
        replaces it), so a fast client has frames dropped while one that waits for answers is paced."""
        interval = 1 / self._limits.max_fps
        next_take = 0.0
        while True:
            await asyncio.sleep(max(0.0, next_take - time.monotonic()))
            frame = await self._frames.take()
            next_take = time.monotonic() + interval
            self._processing = True
            try:
                result = await self._session.process(frame.data, self._runner.run_frame)
            except FacerecError as error:  # not an image, the database away...: this frame only
                await self._send_error(error, seq=frame.seq, dropped=frame.dropped)
                continue
            finally:
                self._processing = False
                self._active_at = time.monotonic()
            await self._send_events(result.events, seq=frame.seq)
            await self._notify_quietly(result.events)
            faces = [StreamFaceOut.of(face, self._quality_bar) for face in result.faces]
            reply = FrameOut(seq=frame.seq, dropped=frame.dropped, faces=faces)
            await self._websocket.send_text(reply.model_dump_json())

    async def _notify_quietly(self, events: list[TrackEvent]) -> None:
        try:
            await self._notify(events)
        except FacerecError as error:
            logger.warning("stream events not published: %s", error.message)

    async def _configure(self, text: str) -> None:
        try:
            config = StreamConfig.model_validate_json(text)
        except ValidationError as invalid:
            error = InvalidMessage(
                'a text message must be a config message: {"type": "config", ...}',
                validation_details(invalid.errors()),
            )
            await self._send_error(error, seq=self._seq)
            return
        analyser = self._session.analyser
        analyser.options = replace(
            analyser.options,
            min_face_size=config.min_face_size or analyser.options.min_face_size,
            recognise_every=config.recognise_every or analyser.options.recognise_every,
        )
        if config.threshold is not None:
            self._session.threshold = config.threshold

    async def _send_events(self, events: list[TrackEvent], *, seq: int) -> None:
        for event in events:
            await self._websocket.send_text(TrackEventOut.of(event, seq).model_dump_json())

    async def _send_error(self, error: FacerecError, *, seq: int, dropped: int = 0) -> None:
        await self._websocket.send_json(
            {"type": "error", "seq": seq, "dropped": dropped, **error_body(error)}
        )
