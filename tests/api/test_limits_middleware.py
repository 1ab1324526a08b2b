"""The request limits on their own, around stub apps: the header count, the limits of a JSON body and of
the paths that take several photos, the body timeout, and WebSocket messages. tests/api/test_limits.py
holds the upload limit on the real service."""

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.errors import WEBSOCKET_CLOSE_BASE
from facerec.api.limits import FORM_OVERHEAD_BYTES, RequestLimits
from tests.api.helpers import read_all

MAX_BYTES = 3000
JSON_LIMIT = 4000 + FORM_OVERHEAD_BYTES  # base64 of 3000 bytes
FORM_LIMIT = MAX_BYTES + FORM_OVERHEAD_BYTES
WS_LIMIT = FORM_LIMIT  # a message may carry what a form may
BATCH_LIMIT = 10 * MAX_BYTES + FORM_OVERHEAD_BYTES


def limited(app: ASGIApp, *, max_headers: int = 100, body_timeout_s: float = 30) -> RequestLimits:
    return RequestLimits(
        app,
        max_bytes=MAX_BYTES,
        max_headers=max_headers,
        body_timeout_s=body_timeout_s,
        larger={"/api/batch": 10 * MAX_BYTES},
    )


def client(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def chunked(size: int) -> AsyncIterator[bytes]:
    for start in range(0, size, 1000):
        yield b"x" * min(1000, size - start)


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/api/face/register", "multipart/form-data; boundary=b", FORM_LIMIT),
        ("/api/face/register", "application/json", JSON_LIMIT),
        ("/api/face/register", "Application/JSON; charset=utf-8", JSON_LIMIT),
        ("/api/batch", "multipart/form-data; boundary=b", BATCH_LIMIT),
        ("/api/batch/other", "multipart/form-data; boundary=b", FORM_LIMIT),
    ],
)
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_each_kind_of_body_has_its_limit_to_the_byte(
    path: str, content_type: str, limit: int, declared: bool
) -> None:
    async with client(limited(read_all)) as http:
        for size, status in ((limit, 200), (limit + 1, 413)):
            body: bytes | AsyncIterator[bytes] = b"x" * size if declared else chunked(size)
            response = await http.post(path, content=body, headers={"Content-Type": content_type})
            assert response.status_code == status, (size, response.text)

    assert response.json()["error"]["message"] == f"the request body is over the {limit} byte limit"


async def test_a_declared_length_that_is_not_a_number_is_counted_as_it_arrives() -> None:
    async def with_odd_length(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(name, value) for name, value in scope["headers"] if name != b"content-length"]
        await limited(read_all)({**scope, "headers": [*headers, (b"content-length", b"lots")]}, receive, send)

    async with client(with_odd_length) as http:
        small = await http.post("/", content=b"x" * 10)
        large = await http.post("/", content=b"x" * (FORM_LIMIT + 1))

    assert small.text == "10"
    assert large.status_code == 413


@pytest.mark.parametrize(("count", "status"), [(8, 200), (9, 431)])
async def test_a_request_with_too_many_header_fields_is_refused_at_once(count: int, status: int) -> None:
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await read_all(scope, receive, send)

    async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(f"x-h{index}".encode(), b"v") for index in range(count)]
        await limited(app, max_headers=8)({**scope, "headers": headers}, receive, send)

    async with client(with_headers) as http:
        response = await http.post("/api/faces", content=b"x")

    assert response.status_code == status
    if status == 431:
        assert response.json()["error"] == {
            "code": "too_many_headers",
            "message": "a request may carry at most 8 header fields",
            "details": None,
        }
        assert reached == []


class SlowClient:
    """A client that sends its messages each after its delay (s), then leaves after `leave_after` s."""

    def __init__(self, *messages: tuple[float, Message], leave_after: float = 0) -> None:
        self.messages = list(messages)
        self.leave_after = leave_after
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        if not self.messages:
            await asyncio.sleep(self.leave_after)
            return {"type": "http.disconnect"}
        delay, message = self.messages.pop(0)
        await asyncio.sleep(delay)
        return message

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    def answer(self) -> tuple[int, bytes]:
        start, body = self.sent
        return start["status"], body["body"]


def body_in_two(pause: float) -> list[tuple[float, Message]]:
    return [
        (0, {"type": "http.request", "body": b"abc", "more_body": True}),
        (pause, {"type": "http.request", "body": b"def", "more_body": False}),
    ]


SCOPE: Scope = {"type": "http", "method": "POST", "path": "/api/faces", "headers": [], "query_string": b""}


async def test_a_body_that_stops_arriving_is_refused_with_408() -> None:
    slow = SlowClient(*body_in_two(pause=0.5))
    await limited(read_all, body_timeout_s=0.1)(dict(SCOPE), slow.receive, slow.send)

    status, body = slow.answer()
    assert status == 408
    assert json.loads(body)["error"] == {
        "code": "request_timeout",
        "message": "no request body arrived for 0.1 s",
        "details": None,
    }


async def test_a_body_that_arrives_within_the_timeout_is_read() -> None:
    slow = SlowClient(*body_in_two(pause=0.05))
    await limited(read_all, body_timeout_s=0.5)(dict(SCOPE), slow.receive, slow.send)
    assert slow.answer() == (200, b"6")


async def test_once_the_body_is_complete_waiting_for_a_disconnect_has_no_deadline() -> None:
    """An app that streams its answer waits for the client's disconnect: that wait is not a silent body."""

    seen: list[str] = []

    async def wait_for_disconnect(scope: Scope, receive: Receive, send: Send) -> None:
        await read_all(scope, receive, send)
        seen.append((await receive())["type"])

    slow = SlowClient((0, {"type": "http.request", "body": b"abc"}), leave_after=0.3)
    await limited(wait_for_disconnect, body_timeout_s=0.1)(dict(SCOPE), slow.receive, slow.send)
    assert slow.answer() == (200, b"3")
    assert seen == ["http.disconnect"]


async def test_whatever_the_app_answers_to_a_cut_off_body_the_client_gets_the_refusal() -> None:
    async def answers_anyway(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await read_all(scope, receive, send)
        except Exception:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"the app's own error"})

    async with client(limited(answers_anyway)) as http:
        response = await http.post("/api/faces", content=chunked(FORM_LIMIT + 1))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


class Socket:
    """A WebSocket session driven by hand: what the client sends, and what reaches it."""

    def __init__(self, *incoming: Message) -> None:
        self.incoming = list(incoming)
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        return self.incoming.pop(0)

    async def send(self, message: Message) -> None:
        self.sent.append(message)


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """A WebSocket app that answers each message's size until the client leaves, then says goodbye with how
    it saw the client leave."""
    assert scope["path"] == "/api/stream"
    while (message := await receive())["type"] == "websocket.receive":
        size = len(message.get("bytes") or b"") + len((message.get("text") or "").encode())
        await send({"type": "websocket.send", "text": str(size)})
    await send({"type": "websocket.send", "text": f"after the end: {message}"})


WS_SCOPE: Scope = {"type": "websocket", "path": "/api/stream", "headers": []}


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.receive", "bytes": b"x" * WS_LIMIT},
        {"type": "websocket.receive", "text": "é" * (WS_LIMIT // 2)},
    ],
    ids=["bytes", "text"],
)
async def test_a_websocket_message_up_to_the_limit_passes(message: Message) -> None:
    socket = Socket(message, {"type": "websocket.disconnect", "code": 1000})
    await limited(echo)(dict(WS_SCOPE), socket.receive, socket.send)
    assert [sent["text"] for sent in socket.sent] == [
        str(WS_LIMIT),
        "after the end: {'type': 'websocket.disconnect', 'code': 1000}",
    ]


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.receive", "bytes": b"x" * (WS_LIMIT + 1)},
        {"type": "websocket.receive", "text": "é" * (WS_LIMIT // 2) + "x"},  # one byte over, in UTF-8
    ],
    ids=["bytes", "text"],
)
async def test_a_websocket_message_over_the_limit_closes_the_socket_with_the_error(message: Message) -> None:
    ended: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        """Counts the messages it is given, and notes the one that ended them."""
        while (given := await receive())["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": str(len(given.get("text") or given["bytes"]))})
        ended.append(given)
        await send({"type": "websocket.send", "text": "after the end"})

    socket = Socket({"type": "websocket.receive", "text": "hi"}, message)
    await limited(app)(dict(WS_SCOPE), socket.receive, socket.send)

    assert ended == [
        {"type": "websocket.disconnect", "code": WEBSOCKET_CLOSE_BASE + 413}
    ]  # as if the client left
    hello, error, close = socket.sent  # the app's words after the close never reach the client
    assert hello == {"type": "websocket.send", "text": "2"}
    assert json.loads(error["text"]) == {
        "type": "error",
        "error": {
            "code": "payload_too_large",
            "message": f"a message is over the {WS_LIMIT} byte limit",
            "details": None,
        },
    }
    assert close == {
        "type": "websocket.close",
        "code": WEBSOCKET_CLOSE_BASE + 413,
        "reason": "payload_too_large",
    }


@pytest.mark.parametrize(("count", "closed"), [(8, False), (9, True)])
async def test_a_websocket_handshake_with_too_many_header_fields_is_refused(count: int, closed: bool) -> None:
    socket = Socket({"type": "websocket.disconnect", "code": 1000})
    headers = [(f"x-h{index}".encode(), b"v") for index in range(count)]
    await limited(echo, max_headers=8)({**WS_SCOPE, "headers": headers}, socket.receive, socket.send)

    if closed:
        assert socket.sent == [{"type": "websocket.close", "code": 1008, "reason": "too_many_headers"}]
    else:
        assert socket.sent == [
            {
                "type": "websocket.send",
                "text": "after the end: {'type': 'websocket.disconnect', 'code': 1000}",
            }
        ]
