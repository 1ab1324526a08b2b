"""Which sites may talk to the service: Host names against DNS rebinding, Origins against cross-site
requests, for HTTP and WebSocket connections alike."""

import json

import httpx
import pytest
from fastapi import WebSocket
from starlette.types import ASGIApp, Message

from facerec.api.app import create_app
from facerec.settings import Settings
from tests.api.credentials import ALLOWED_ORIGIN, API_KEY
from tests.api.helpers import assert_error, image_file
from tests.asgi import BASE_URL
from tests.photos import Photos

FOREIGN = "https://evil.example"


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000"])
async def test_an_open_service_answers_to_local_names(client: httpx.AsyncClient, host: str) -> None:
    assert (await client.get("/api/faces", headers={"Host": host})).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "192.168.1.20:8000", "localhost.evil"])
async def test_an_open_service_refuses_other_host_names(client: httpx.AsyncClient, host: str) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: refused before any route runs."""
    assert_error(await client.get("/api/faces", headers={"Host": host}), 400, "host_not_allowed")
    assert_error(await client.get("/healthz", headers={"Host": host}), 400, "host_not_allowed")


async def test_a_secured_service_answers_to_any_host_unless_told(
    secured_client: httpx.AsyncClient, secured_settings: Settings
) -> None:
    assert (await secured_client.get("/healthz", headers={"Host": "api.example.com"})).status_code == 200

    listed = secured_settings.model_copy(update={"allowed_hosts": ["api.example.com", "*.example.org"]})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(listed))) as http:
        assert (await http.get("http://api.example.com/healthz")).status_code == 200
        assert (await http.get("http://eu.example.org/healthz")).status_code == 200
        assert_error(await http.get("http://localhost/healthz"), 400, "host_not_allowed")


async def test_a_page_on_another_origin_cannot_change_anything(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    """Multipart needs no preflight, so CORS alone would let the request run; the Origin check stops it."""
    photo = image_file(photos.bytes_of(photos.tight_face), "face.png", "image/png")
    cross_site = {"Origin": FOREIGN}

    refused = await client.post(
        "/api/face/register", files=photo, data={"displayName": "Mallory"}, headers=cross_site
    )
    assert_error(refused, 403, "forbidden_origin")
    assert (await client.get("/api/faces")).json()["faces"] == [], "nothing was stored"
    assert_error(await client.delete("/api/face/0", headers={"Origin": "null"}), 403, "forbidden_origin")

    assert (await client.get("/api/faces", headers=cross_site)).status_code == 200, "reads stay for CORS"
    same_site = await client.post(
        "/api/face/register", files=photo, data={"displayName": "Ada"}, headers={"Origin": BASE_URL}
    )
    assert same_site.status_code == 201, "the service's own pages (Swagger) may change things"
    assert (await client.post("/api/face/encode", files=photo)).status_code == 200, "no Origin: no browser"


async def test_listed_origins_may_change_things(secured_client: httpx.AsyncClient, photos: Photos) -> None:
    photo = image_file(photos.bytes_of(photos.tight_face), "face.png", "image/png")
    listed = await secured_client.post(
        "/api/face/encode", files=photo, headers={"Origin": ALLOWED_ORIGIN, "X-API-Key": API_KEY}
    )
    assert listed.status_code == 200
    foreign = await secured_client.post(
        "/api/face/encode", files=photo, headers={"Origin": FOREIGN, "X-API-Key": API_KEY}
    )
    assert_error(foreign, 403, "forbidden_origin")


async def _handshake(app: ASGIApp, headers: dict[str, str]) -> list[Message]:
    """Open a WebSocket to `app` as a server does (with the denial-response extension), send one text
    message, and return everything the app sent."""
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/test-echo",
        "raw_path": b"/test-echo",
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 123),
        "server": ("localhost", 80),
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}},
    }
    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hello"},
        {"type": "websocket.disconnect", "code": 1000},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_websocket_handshakes_meet_the_same_checks(settings: Settings) -> None:
    app = create_app(settings)  # no lifespan: the route needs none

    @app.websocket("/test-echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    accepted = await _handshake(app, {"Host": "localhost", "Origin": BASE_URL})
    assert [message["type"] for message in accepted] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    assert accepted[1]["text"] == "hello"
    for headers, status, code in [
        ({"Host": "localhost", "Origin": FOREIGN}, 403, "forbidden_origin"),
        ({"Host": "evil.example"}, 400, "host_not_allowed"),
    ]:
        denied = await _handshake(app, headers)
        assert denied[0]["type"] == "websocket.http.response.start"
        assert denied[0]["status"] == status
        assert json.loads(denied[1]["body"])["error"]["code"] == code
