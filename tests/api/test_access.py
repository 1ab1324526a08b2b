"""Access control on the real service: every route of the schema, walked with every kind of credential."""

import importlib
import json
import pkgutil
import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi.routing import APIWebSocketRoute
from starlette.datastructures import Headers
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from facerec.api import routes
from facerec.api.access import AccessPolicy, credentials_of
from facerec.api.app import create_app
from facerec.errors import Unauthorized
from facerec.settings import Settings
from tests.api.credentials import (
    API_KEY,
    JWT_SECRET,
    OTHER_API_KEY,
    accepted_credentials,
    bearer,
    refused_credentials,
    supabase_token,
)
from tests.api.helpers import assert_error, image_file
from tests.asgi import BASE_URL
from tests.photos import Photos

OPEN_PATHS = {"/healthz", "/readyz"}


def operations(settings: Settings) -> list[tuple[str, str]]:
    """(method, path) of every operation in the OpenAPI schema, path parameters filled in."""
    paths = create_app(settings).openapi()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path))
        for path, methods in paths.items()
        for method in methods
    ]


def websocket_paths() -> list[str]:
    """Every WebSocket route of every router in `facerec.api.routes` (they are not in the OpenAPI schema)."""
    names = [f"{routes.__name__}.{module.name}" for module in pkgutil.iter_modules(routes.__path__)]
    modules = [importlib.import_module(name) for name in names]
    return [
        route.path
        for module in modules
        for route in module.router.routes
        if isinstance(route, APIWebSocketRoute)
    ]


def test_the_walk_covers_the_api_and_the_probes(secured_settings: Settings) -> None:
    walked = {path for _, path in operations(secured_settings)}
    assert walked >= OPEN_PATHS | {"/api/face/encode", "/api/face/register", "/api/faces"}
    assert websocket_paths() == ["/api/stream"]


@pytest.mark.parametrize("kind", list(refused_credentials()))
async def test_every_websocket_route_refuses_invalid_credentials_at_the_handshake(
    secured_server: str, kind: str
) -> None:
    for path in websocket_paths():
        headers = refused_credentials()[kind]
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"ws://{secured_server}{path}", additional_headers=headers):
                pass
        response = refused.value.response
        assert response.status_code == 401, path
        assert json.loads(response.body or b"")["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == 'ApiKey realm="facerec", Bearer realm="facerec"'


@pytest.mark.parametrize(
    "credential",
    [
        {"headers": {"X-API-Key": API_KEY}},
        {"headers": bearer(supabase_token())},
        {"subprotocols": ["facerec", f"apikey.{API_KEY}"]},
        {"subprotocols": ["facerec", f"bearer.{supabase_token()}"]},
    ],
    ids=["key header", "bearer header", "key subprotocol", "bearer subprotocol"],
)
async def test_every_websocket_route_accepts_valid_credentials(
    secured_server: str, credential: dict[str, Any]
) -> None:
    """A credential in a header, or (browsers) offered as a subprotocol; the server then selects the plain
    `facerec` subprotocol and never echoes the credential."""
    for path in websocket_paths():
        async with connect(
            f"ws://{secured_server}{path}",
            additional_headers=credential.get("headers"),
            subprotocols=credential.get("subprotocols"),
        ) as accepted:
            assert accepted.subprotocol == ("facerec" if "subprotocols" in credential else None)
            assert accepted.response is not None
            assert API_KEY not in str(accepted.response.headers)


@pytest.mark.parametrize("kind", list(refused_credentials()))
async def test_every_api_route_refuses_invalid_credentials(
    secured_client: httpx.AsyncClient, secured_settings: Settings, kind: str
) -> None:
    headers = refused_credentials()[kind]
    for method, path in operations(secured_settings):
        response = await secured_client.request(method, path, headers=headers)
        if path in OPEN_PATHS:
            assert response.status_code == 200, (method, path, response.text)
        else:
            assert_error(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"] == 'ApiKey realm="facerec", Bearer realm="facerec"'


@pytest.mark.parametrize("kind", list(accepted_credentials()))
async def test_every_api_route_accepts_valid_credentials(
    secured_client: httpx.AsyncClient, secured_settings: Settings, kind: str
) -> None:
    headers = accepted_credentials()[kind]
    for method, path in operations(secured_settings):
        response = await secured_client.request(method, path, headers=headers)
        assert response.status_code != 401, (method, path, response.text)
        assert response.status_code < 500, (method, path, response.text)


@pytest.mark.parametrize("headers", [{"X-API-Key": API_KEY}, {"Authorization": f"Bearer {supabase_token()}"}])
async def test_a_supabase_user_or_a_key_can_encode(
    secured_client: httpx.AsyncClient, photos: Photos, headers: dict[str, str]
) -> None:
    response = await secured_client.post(
        "/api/face/encode", files=image_file(photos.bytes_of(photos.tight_face)), headers=headers
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["embedding"]) == 512


async def test_a_refusal_says_why_without_echoing_the_credential(secured_client: httpx.AsyncClient) -> None:
    wrong_key = await secured_client.get("/api/faces", headers={"X-API-Key": OTHER_API_KEY})
    expired = supabase_token(exp=1_600_000_000, iat=1_599_990_000)
    late = await secured_client.get("/api/faces", headers={"Authorization": f"Bearer {expired}"})

    assert wrong_key.json()["error"]["message"] == "the API key is not valid"
    assert late.json()["error"]["message"] == "the bearer token has expired"
    assert OTHER_API_KEY not in wrong_key.text
    assert expired not in late.text


async def test_unknown_api_paths_are_refused_before_routing(secured_client: httpx.AsyncClient) -> None:
    assert_error(await secured_client.get("/api/no-such-route"), 401, "unauthorized")
    assert_error(await secured_client.get("/api"), 401, "unauthorized")
    assert_error(
        await secured_client.get("/api/no-such-route", headers={"X-API-Key": API_KEY}), 404, "not_found"
    )


async def test_an_anonymous_upload_is_refused_before_its_body_is_read(
    secured_client: httpx.AsyncClient, secured_settings: Settings
) -> None:
    oversized = b"\0" * (secured_settings.max_upload_bytes * 2)
    response = await secured_client.post("/api/face/encode", files=image_file(oversized))
    assert_error(response, 401, "unauthorized")


async def test_docs_stay_open_and_declare_the_schemes(secured_client: httpx.AsyncClient) -> None:
    assert (await secured_client.get("/docs")).status_code == 200
    schema = (await secured_client.get("/openapi.json")).json()

    assert schema["components"]["securitySchemes"] == {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "Bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An HS256 JWT signed with JWT_SECRET_KEY, e.g. a Supabase access token.",
        },
    }
    for path, methods in schema["paths"].items():
        for operation in methods.values():
            declared: list[dict[str, list[str]]] | None = (
                [{"ApiKey": []}, {"Bearer": []}] if path.startswith("/api/") else None
            )
            assert operation.get("security") == declared, path
    assert API_KEY not in str(schema)
    assert JWT_SECRET not in str(schema)


async def test_access_control_is_off_by_default(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/faces")).status_code == 200
    assert "securitySchemes" not in (await client.get("/openapi.json")).json().get("components", {})


async def test_closed_docs_are_not_served(secured_settings: Settings) -> None:
    app = create_app(secured_settings.model_copy(update={"public_docs": False}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert_error(await http.get(path), 404, "not_found")


def test_with_keys_only_a_bearer_token_is_refused_and_not_advertised() -> None:
    policy = AccessPolicy.of(Settings(_env_file=None, api_keys=API_KEY))

    assert policy.schemes == ("ApiKey",)
    policy.check(Headers({"X-API-Key": API_KEY}))
    with pytest.raises(Unauthorized, match="bearer tokens are not accepted") as refusal:
        policy.check(Headers({"Authorization": f"Bearer {supabase_token()}"}))
    assert refusal.value.schemes == ("ApiKey",)


def test_an_issuer_is_enforced_when_set() -> None:
    policy = AccessPolicy.of(
        Settings(_env_file=None, jwt_secret_key=JWT_SECRET, jwt_issuer="https://other.supabase.co/auth/v1")
    )
    with pytest.raises(Unauthorized, match="issuer is not accepted"):
        policy.check(Headers({"Authorization": f"Bearer {supabase_token()}"}))


def test_a_websocket_may_carry_its_credential_as_a_subprotocol() -> None:
    policy = AccessPolicy.of(Settings(_env_file=None, api_keys=API_KEY, jwt_secret_key=JWT_SECRET))
    handshake = {"type": "websocket", "headers": [], "subprotocols": ["facerec", f"apikey.{API_KEY}"]}
    browser = {**handshake, "subprotocols": ["facerec", f"bearer.{supabase_token()}"]}
    wrong = {**handshake, "subprotocols": ["facerec", f"apikey.{OTHER_API_KEY}"]}

    policy.check(credentials_of(handshake))
    policy.check(credentials_of(browser))
    with pytest.raises(Unauthorized, match="the API key is not valid"):
        policy.check(credentials_of(wrong))
    with pytest.raises(Unauthorized, match="credentials are required"):
        policy.check(credentials_of({**handshake, "type": "http"}))
