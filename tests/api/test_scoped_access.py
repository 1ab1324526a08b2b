"""Credentials scoped to collections: every route walked with no credential, one scoped to the collection
asked for, one scoped to another, and an unscoped one."""

import json
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.datastructures import Headers
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from facerec.api.access import AccessPolicy, Grant
from facerec.api.app import create_app
from facerec.errors import Forbidden, Unauthorized
from facerec.settings import Settings
from tests.api.credentials import JWT_SECRET, supabase_token
from tests.api.helpers import assert_error, image_file
from tests.asgi import running_client
from tests.photos import Photos
from tests.server import running_server

UNSCOPED_KEY = "fr_scope_unscoped_0123456789"
TEAM_A_KEY = "fr_scope_team_a_0123456789ab"
TEAM_B_KEY = "fr_scope_team_b_0123456789ab"
KEYS = f"{UNSCOPED_KEY}; {TEAM_A_KEY}:team-a,shared {TEAM_B_KEY}:team-b"
# Routes that name no collection: they answer whatever the credential's scope.
UNSCOPED_ROUTES = {("POST", "/api/face/encode"), ("POST", "/api/face/verify"), ("GET", "/api/collections")}
OPEN_PATHS = {"/healthz", "/readyz"}
# Routes over every collection at once (webhooks hear of all of them): only unscoped credentials reach them.
EVERY_COLLECTION_PREFIX = "/api/webhooks"
SCOPED = {"key of team-a", "key of team-b", "token of team-a", "token of team-b"}


@pytest.fixture(scope="module")
def scoped_settings(settings: Settings) -> Settings:
    return Settings(
        _env_file=None, **{**settings.model_dump(), "api_keys": KEYS, "jwt_secret_key": JWT_SECRET}
    )


@pytest.fixture(scope="module")
async def scoped_client(scoped_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_client(scoped_settings) as http:
        yield http


def credentials() -> dict[str, dict[str, str]]:
    return {
        "unscoped key": {"X-API-Key": UNSCOPED_KEY},
        "key of team-a": {"X-API-Key": TEAM_A_KEY},
        "key of team-b": {"X-API-Key": TEAM_B_KEY},
        "token of team-a": {"Authorization": f"Bearer {supabase_token(collections=['team-a'])}"},
        "token of team-b": {"Authorization": f"Bearer {supabase_token(collections=['team-b'])}"},
        "token without the claim": {"Authorization": f"Bearer {supabase_token()}"},
    }


def walk(settings: Settings) -> list[tuple[str, str]]:
    """Every /api operation, aimed at the collection team-a (by path or by query)."""
    paths = create_app(settings).openapi()["paths"]
    operations = []
    for path, methods in paths.items():
        if path in OPEN_PATHS:
            continue
        filled = re.sub(r"\{name\}", "team-a", path)
        filled = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), filled)
        operations += [(method.upper(), filled) for method in methods]
    return operations


def route_of(path: str) -> str:
    return re.sub(r"[0-9a-f-]{36}", "{id}", path)


@pytest.mark.parametrize(
    "kind", ["unscoped key", "key of team-a", "token of team-a", "token without the claim"]
)
async def test_a_credential_that_reaches_the_collection_is_let_through(
    scoped_client: httpx.AsyncClient, scoped_settings: Settings, kind: str
) -> None:
    for method, path in walk(scoped_settings):
        response = await scoped_client.request(
            method, path, params={"collection": "team-a"}, headers=credentials()[kind]
        )
        if path.startswith(EVERY_COLLECTION_PREFIX) and kind in SCOPED:
            assert_error(response, 403, "forbidden")
            continue
        assert response.status_code not in (401, 403), (method, path, response.text)
        assert response.status_code < 500, (method, path, response.text)


@pytest.mark.parametrize("kind", ["key of team-b", "token of team-b"])
async def test_a_credential_of_another_collection_is_forbidden(
    scoped_client: httpx.AsyncClient, scoped_settings: Settings, kind: str
) -> None:
    for method, path in walk(scoped_settings):
        response = await scoped_client.request(
            method, path, params={"collection": "team-a"}, headers=credentials()[kind]
        )
        if (method, path) in UNSCOPED_ROUTES:
            assert response.status_code not in (401, 403), (method, path, response.text)
        elif (method, route_of(path)) == ("POST", "/api/collections"):
            assert_error(response, 422, "validation_error")  # no body: its name is checked once read
        else:
            assert_error(response, 403, "forbidden")


async def test_no_credential_is_unauthorized_everywhere(
    scoped_client: httpx.AsyncClient, scoped_settings: Settings
) -> None:
    for method, path in walk(scoped_settings):
        response = await scoped_client.request(method, path, params={"collection": "team-a"})
        assert_error(response, 401, "unauthorized")


async def test_a_scoped_key_works_inside_its_collection_only(
    scoped_client: httpx.AsyncClient, photos: Photos
) -> None:
    team_a, team_b = credentials()["key of team-a"], credentials()["key of team-b"]
    created = await scoped_client.post("/api/collections", json={"name": "team-a"}, headers=team_a)
    refused = await scoped_client.post("/api/collections", json={"name": "team-c"}, headers=team_a)
    registered = await scoped_client.post(
        "/api/face/register",
        files=image_file(photos.bytes_of(photos.tight_face)),
        data={"displayName": "Tom", "qualityCheck": "false"},
        params={"collection": "team-a"},
        headers=team_a,
    )
    listed_by_a = await scoped_client.get("/api/collections", headers=team_a)
    listed_by_b = await scoped_client.get("/api/collections", headers=team_b)
    read_by_b = await scoped_client.get(
        f"/api/face/{registered.json()['id']}", params={"collection": "team-a"}, headers=team_b
    )

    assert created.status_code == 201, created.text
    assert_error(refused, 403, "forbidden")
    assert registered.status_code == 201, registered.text
    assert [collection["name"] for collection in listed_by_a.json()["collections"]] == ["team-a"]
    assert listed_by_b.json()["collections"] == []
    assert_error(read_by_b, 403, "forbidden")
    assert (await scoped_client.delete("/api/collections/team-a", headers=team_a)).status_code == 204


def test_key_entries_and_claims_become_grants() -> None:
    policy = AccessPolicy.of(Settings(_env_file=None, api_keys=KEYS, jwt_secret_key=JWT_SECRET))

    assert policy.check(Headers({"X-API-Key": UNSCOPED_KEY})) == Grant()
    assert policy.check(Headers({"X-API-Key": TEAM_A_KEY})) == Grant(frozenset({"team-a", "shared"}))
    token = supabase_token(collections=["team-b"])
    assert policy.check(Headers({"Authorization": f"Bearer {token}"})) == Grant(frozenset({"team-b"}))
    with pytest.raises(Forbidden):
        Grant(frozenset({"team-b"})).check("team-a")
    with pytest.raises(Unauthorized, match="collections claim must be an array"):
        policy.check(Headers({"Authorization": f"Bearer {supabase_token(collections='team-a')}"}))


def test_plain_keys_may_still_be_comma_separated() -> None:
    settings = Settings(_env_file=None, api_keys=f"{UNSCOPED_KEY},{TEAM_B_KEY}")
    assert [key.get_secret_value() for key in settings.api_keys] == [UNSCOPED_KEY, TEAM_B_KEY]


@pytest.mark.parametrize("entry", [f"{TEAM_A_KEY}:", f"{TEAM_A_KEY}:bad*name", f"{TEAM_A_KEY}:a/b"])
def test_a_malformed_scope_is_refused_at_startup(entry: str) -> None:
    with pytest.raises(ValueError, match="scoped API key"):
        Settings(_env_file=None, api_keys=entry)


async def test_a_stream_reaches_only_the_collections_of_its_credential(
    scoped_settings: Settings, scoped_client: httpx.AsyncClient
) -> None:
    created = await scoped_client.post(
        "/api/collections", json={"name": "team-a"}, headers={"X-API-Key": UNSCOPED_KEY}
    )
    assert created.status_code == 201, created.text
    async with running_server(scoped_settings) as server:
        url = f"ws://{server}/api/stream"
        async with connect(f"{url}?collection=team-a", subprotocols=[f"apikey.{TEAM_A_KEY}"]):  # type: ignore[list-item]
            pass
        refusals = {}
        for collection, key in (("team-b", TEAM_A_KEY), ("nowhere", UNSCOPED_KEY)):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"{url}?collection={collection}", additional_headers={"X-API-Key": key}):
                    pass
            refusals[collection] = refused.value.response
    assert refusals["team-b"].status_code == 403
    assert json.loads(refusals["team-b"].body or b"")["error"]["code"] == "forbidden"
    assert refusals["nowhere"].status_code == 404
    assert json.loads(refusals["nowhere"].body or b"")["error"]["code"] == "collection_not_found"
