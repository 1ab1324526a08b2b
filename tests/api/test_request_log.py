"""Request ids and what the logs hold, on the real service."""

import logging
import re

import httpx
import pytest

from facerec.api.app import create_app
from facerec.logs import RequestIdFilter
from facerec.settings import Settings
from tests.api.credentials import (
    API_KEY,
    JWT_SECRET,
    OTHER_API_KEY,
    accepted_credentials,
    refused_credentials,
)
from tests.api.helpers import image_file
from tests.photos import Photos


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captured records, with the request id added the way the service's own handler adds it."""
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    return caplog


def messages_of(logs: pytest.LogCaptureFixture, request_id: str) -> list[str]:
    return [
        record.getMessage() for record in logs.records if getattr(record, "request_id", None) == request_id
    ]


async def test_each_request_gets_an_id_returned_and_logged(
    client: httpx.AsyncClient, logs: pytest.LogCaptureFixture
) -> None:
    first = await client.get("/api/faces", params={"displayName": "Ada"})
    second = await client.get("/api/faces")

    first_id, second_id = first.headers["X-Request-ID"], second.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first_id)
    assert first_id != second_id
    [line] = messages_of(logs, first_id)
    assert re.fullmatch(r"GET /api/faces 200 \d+\.\d ms", line)  # the path, never the query
    assert len(messages_of(logs, second_id)) == 1


@pytest.mark.parametrize("incoming", ["4bf92f3577b34da6", "req-2024.06.01:alpha_7", "x" * 128])
async def test_a_sane_incoming_id_is_kept(
    client: httpx.AsyncClient, logs: pytest.LogCaptureFixture, incoming: str
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert messages_of(logs, incoming)


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 129, "new\tline", "semi;colon", "élan"])
async def test_any_other_incoming_id_is_replaced(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/healthz", headers={b"X-Request-ID": incoming.encode()})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


async def test_refusals_are_logged_with_their_id_and_no_secret_is(
    secured_client: httpx.AsyncClient, logs: pytest.LogCaptureFixture
) -> None:
    sent = {**refused_credentials(), **accepted_credentials()}
    for headers in sent.values():
        await secured_client.get("/api/faces", headers=headers)
    refused = await secured_client.get("/api/faces", headers={"X-API-Key": OTHER_API_KEY})

    refusal, request_line = messages_of(logs, refused.headers["X-Request-ID"])
    assert refusal == "access refused: the API key is not valid"
    assert request_line.startswith("GET /api/faces 401 ")
    captured = logs.text + "".join(record.getMessage() for record in logs.records)
    secrets = {API_KEY, OTHER_API_KEY, JWT_SECRET} | {
        value.removeprefix("Bearer ").removeprefix("Basic ")
        for headers in sent.values()
        for value in headers.values()
    }
    for secret in secrets - {""}:
        assert secret not in captured


async def test_no_image_bytes_or_embedding_is_logged(
    client: httpx.AsyncClient, photos: Photos, logs: pytest.LogCaptureFixture
) -> None:
    response = await client.post("/api/face/encode", files=image_file(photos.bytes_of(photos.tight_face)))

    [line] = messages_of(logs, response.headers["X-Request-ID"])
    assert line.startswith("POST /api/face/encode 200 ")
    assert all(len(record.getMessage()) < 200 for record in logs.records)


async def test_an_unexpected_error_is_logged_once_with_its_request_id(
    settings: Settings, logs: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app)  # the route needs no lifespan; no exception may escape
    async with httpx.AsyncClient(transport=transport, base_url="http://facerec.test") as http:
        response = await http.get("/boom")

    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    errors = [record for record in logs.records if record.levelno >= logging.ERROR]
    assert [(record.getMessage(), getattr(record, "request_id", None)) for record in errors] == [
        ("unexpected error", request_id)
    ]
    assert errors[0].exc_info is not None
    assert messages_of(logs, request_id)[-1].startswith("GET /boom 500 ")
