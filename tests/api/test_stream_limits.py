"""The edge of `WS /api/stream`: limits, Origin rules, request ids and bad messages, behind uvicorn."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from facerec.settings import Settings
from tests.api.credentials import ALLOWED_ORIGIN
from tests.api.streams import until_answered
from tests.photos import Photos
from tests.server import running_server
from tests.video import blank_frames, moving_photo

MAX_UPLOAD_BYTES = 1024  # the edge's limit on any message: this plus 64 KiB of form overhead
MAX_FRAME_BYTES = 40_000  # the stream's own limit on a frame


@pytest.fixture(scope="module")
async def tight_server(settings: Settings) -> AsyncIterator[str]:
    """One stream at a time, idle after 1 s, small frames only, one listed origin."""
    tight = settings.model_copy(
        update={
            "stream_max_concurrent": 1,
            "stream_idle_timeout_s": 1.0,
            "max_upload_bytes": MAX_UPLOAD_BYTES,
            "stream_max_frame_bytes": MAX_FRAME_BYTES,
            "cors_origins": [ALLOWED_ORIGIN],
        }
    )
    async with running_server(tight) as address:
        yield address


async def test_a_stream_beyond_the_limit_is_refused_until_one_closes(tight_server: str) -> None:
    url = f"ws://{tight_server}/api/stream"
    async with connect(url):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
    response = refused.value.response
    assert response.status_code == 503
    assert json.loads(response.body or b"")["error"]["code"] == "too_many_streams"
    assert response.headers["Retry-After"] == "1"
    for _ in range(50):  # the server frees the place once it has seen the first stream close
        try:
            async with connect(url):
                return
        except InvalidStatus:
            await asyncio.sleep(0.1)
    pytest.fail("the place of a closed stream was never given back")


async def test_an_idle_stream_is_closed_with_the_error(tight_server: str) -> None:
    async with connect(f"ws://{tight_server}/api/stream") as stream:
        message = json.loads(await stream.recv())
        with pytest.raises(ConnectionClosed) as closed:
            await stream.recv()
    assert message["type"] == "error"
    assert message["error"]["code"] == "idle_timeout"
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4408, "idle_timeout")


async def test_a_bad_frame_is_answered_with_an_error_and_the_stream_goes_on(tight_server: str) -> None:
    async with connect(f"ws://{tight_server}/api/stream") as stream:
        await stream.send(b"\xff\xd8 not really a JPEG")
        [not_an_image] = await until_answered(stream, 1)
        await stream.send(b"\0" * (MAX_FRAME_BYTES + 1))
        [too_large] = await until_answered(stream, 2)
        await stream.send(blank_frames(1)[0])
        [answered] = await until_answered(stream, 3)

    assert (not_an_image["type"], not_an_image["error"]["code"]) == ("error", "invalid_image")
    assert (too_large["type"], too_large["error"]["code"]) == ("error", "payload_too_large")
    assert answered == {"type": "frame", "seq": 3, "dropped": 0, "faces": []}


async def test_a_message_over_the_upload_limit_closes_the_stream(tight_server: str) -> None:
    async with connect(f"ws://{tight_server}/api/stream") as stream:
        await stream.send(b"\0" * (MAX_UPLOAD_BYTES + 65 * 1024))
        message = json.loads(await stream.recv())
        with pytest.raises(ConnectionClosed) as closed:
            await stream.recv()
    assert message["error"]["code"] == "payload_too_large"
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4413


async def test_config_messages_are_checked(tight_server: str) -> None:
    async with connect(f"ws://{tight_server}/api/stream") as stream:
        await stream.send(json.dumps({"type": "config", "recogniseEvery": 0, "colour": "red"}))
        refused = json.loads(await stream.recv())
        await stream.send(json.dumps({"type": "config", "threshold": "strict", "recogniseEvery": 2}))
        await stream.send(blank_frames(1)[0])
        [answered] = await until_answered(stream, 1)

    assert refused["error"]["code"] == "invalid_message"
    assert {detail["field"] for detail in refused["error"]["details"]} == {"recogniseEvery", "colour"}
    assert answered["type"] == "frame"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(None, True), (ALLOWED_ORIGIN, True), ("same", True), ("https://evil.example", False)],
    ids=["no origin", "listed origin", "same origin", "foreign origin"],
)
async def test_pages_on_other_origins_cannot_open_a_stream(
    tight_server: str, origin: str | None, allowed: bool
) -> None:
    sent = f"http://{tight_server}" if origin == "same" else origin
    url = f"ws://{tight_server}/api/stream"
    if allowed:
        async with connect(url, origin=sent):  # type: ignore[arg-type]
            return
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin=sent):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body or b"")["error"]["code"] == "forbidden_origin"


async def test_the_handshake_carries_the_request_id(tight_server: str) -> None:
    url = f"ws://{tight_server}/api/stream"
    async with connect(url, additional_headers={"X-Request-ID": "camera-7.frame-stream"}) as kept:
        assert kept.response is not None
        assert kept.response.headers["X-Request-ID"] == "camera-7.frame-stream"
    async with connect(url, additional_headers={"X-Request-ID": "no spaces allowed"}) as replaced:
        assert replaced.response is not None
        assert len(replaced.response.headers["X-Request-ID"]) == 32


async def test_a_client_leaving_mid_frame_leaves_no_error_behind(
    tight_server: str, photos: Photos, caplog: pytest.LogCaptureFixture
) -> None:
    """The client sends frames and leaves while one is being processed: the stream ends quietly and its
    place (the only one) is free for the next client."""
    frames = moving_photo(photos.open(photos.group), 5)
    async with connect(f"ws://{tight_server}/api/stream") as leaving:
        for frame in frames:
            await leaving.send(frame)
    for _ in range(50):
        try:
            async with connect(f"ws://{tight_server}/api/stream") as stream:
                await stream.send(frames[0])
                *events, answered = await until_answered(stream, 1)
                break
        except InvalidStatus:  # the first stream is still winding down
            await asyncio.sleep(0.1)
    assert answered["type"] == "frame"
    assert len(answered["faces"]) == 6
    assert [event["type"] for event in events] == ["track_started"] * 6
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
