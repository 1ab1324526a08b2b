"""The request-body limit on its own (facerec.api.limits): a body over MAX_UPLOAD_BYTES plus the form
allowance is refused with 413 while it streams in, whatever part of the form makes it large. The image's
own size check (facerec.api.deps) cannot hide it here: these bodies carry only text fields."""

from collections.abc import AsyncIterator

import httpx
import pytest

from facerec.api.limits import FORM_OVERHEAD_BYTES
from facerec.settings import Settings
from tests.api.helpers import assert_error

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
