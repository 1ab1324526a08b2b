"""The request-body limit on its own (facerec.api.limits): a body over MAX_UPLOAD_BYTES plus the form
allowance is refused with 413 while it streams in, whatever part of the form makes it large. The image's
own size check (facerec.api.deps) cannot hide it here: these bodies carry only text fields."""

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.limits import FORM_OVERHEAD_BYTES, RequestLimits
from facerec.settings import Settings
from tests.api.helpers import assert_error, read_all

BOUNDARY = "limit-test"
FIELD_BYTES = 900 * 1024  # each field under python-multipart's own 1 MiB per-part limit


class CountedBody:
    """A multipart body of text fields, streamed in parts; counts what the server pulled."""

    def __init__(self, total_bytes: int) -> None:
        self.fields = -(-total_bytes // FIELD_BYTES)
        self.sent = 0

    def parts(self) -> list[bytes]:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\n'.encode()
        return [head + b"a" * FIELD_BYTES + b"\r\n"] * self.fields + [f"--{BOUNDARY}--\r\n".encode()]

    def length(self) -> int:
        return sum(len(part) for part in self.parts())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts():
            self.sent += len(part)
            yield part


@pytest.fixture
def limit(settings: Settings) -> int:
    return settings.max_upload_bytes + FORM_OVERHEAD_BYTES


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_body_of_text_fields_over_the_limit_is_refused_while_it_streams(
    client: httpx.AsyncClient, limit: int, declared: bool
) -> None:
    body = CountedBody(limit + 2 * FIELD_BYTES)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if declared:
        headers["Content-Length"] = str(body.length())

    response = await client.post("/api/face/encode", content=body, headers=headers)

    assert_error(response, 413, "payload_too_large")
    assert body.sent <= (FIELD_BYTES if declared else limit + FIELD_BYTES)


async def test_a_body_just_under_the_limit_is_read(client: httpx.AsyncClient, limit: int) -> None:
    body = CountedBody(limit - 2 * FIELD_BYTES)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    response = await client.post("/api/face/encode", content=body, headers=headers)

    assert_error(response, 422, "validation_error")  # read whole, then: no image field
    assert body.sent == body.length()


def limited(app: ASGIApp) -> RequestLimits:
    return RequestLimits(app, max_bytes=1024, max_headers=100, body_timeout_s=30)


@pytest.mark.parametrize(
    ("sent", "declared", "status"),
    [
        (1024 + FORM_OVERHEAD_BYTES, True, 200),
        (1024 + FORM_OVERHEAD_BYTES, False, 200),
        (1025 + FORM_OVERHEAD_BYTES, True, 413),
        (1025 + FORM_OVERHEAD_BYTES, False, 413),
    ],
)
async def test_the_limit_is_the_upload_limit_plus_the_form_allowance(
    sent: int, declared: bool, status: int
) -> None:
    """The middleware alone, around an app that would read anything: exactly at the limit passes; a
    declared length over it is refused before a byte is read, a chunked body as soon as it passes it."""
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for start in range(0, sent, 4096):
            pulled += min(4096, sent - start)
            yield b"x" * min(4096, sent - start)

    app = limited(read_all)
    headers = {"Content-Length": str(sent)} if declared else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post("/", content=chunks(), headers=headers)

    assert response.status_code == status
    if status == 200:
        assert response.text == str(sent)
        return
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": f"the request body is over the {1024 + FORM_OVERHEAD_BYTES} byte limit",
        "details": None,
    }
    assert pulled == (0 if declared else sent)  # chunked: cut off with its last chunk


async def test_other_connections_pass_through_untouched() -> None:
    seen: list[tuple[Scope, Receive, Send]] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope, receive, send))

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError(message)

    scope: Scope = {"type": "lifespan", "headers": [(b"content-length", b"999999999")]}
    await limited(inner)(scope, receive, send)

    assert seen == [(scope, receive, send)]
