"""The access middleware on its own, around a stub app that reports the grant it was given: which paths and
connection types it guards, what a refused request or WebSocket handshake gets back, and the OpenAPI
declaration of the schemes. The credential checks are the real ones (tests/api/test_access_policy.py);
tests/api/test_access.py walks every route of the real service with every credential."""

import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.types import Message, Receive, Scope, Send

from facerec.api.access import EVERYTHING, AccessControl, AccessPolicy, Grant, grant_of, openapi_security
from facerec.api.claims import ClaimRules
from facerec.api.errors import WS_POLICY_VIOLATION
from facerec.errors import Forbidden
from facerec.settings import Settings
from tests.api.credentials import API_KEY, JWT_SECRET, OTHER_API_KEY, bearer, supabase_token

SCOPED_KEY = "fr_test_scoped_key_of_some_length"


def policy_of(**settings: object) -> AccessPolicy:
    chosen = {"api_keys": f"{API_KEY};{SCOPED_KEY}:alpha,beta", "jwt_secret_key": JWT_SECRET, **settings}
    return AccessPolicy.of(Settings(_env_file=None, **chosen))  # type: ignore[arg-type]


async def report_grant(scope: Scope, receive: Receive, send: Send) -> None:
    """The stub app: reads the body, answers 200 with the grant it sees and the body's size, as JSON."""
    size = 0
    while (message := await receive())["type"] == "http.request":
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    grant = grant_of(scope)
    reach = None if grant.collections is None else sorted(grant.collections)
    answer = {"collections": reach, "holder": grant.holder, "path": scope["path"], "size": size}
    body = json.dumps(answer).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


def guarded(*, also_protected: tuple[str, ...] = (), root_path: str = "") -> httpx.AsyncClient:
    app = AccessControl(report_grant, policy=policy_of(), also_protected=also_protected)
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/faces", "/api/collections/x/faces/1"])
async def test_every_path_under_api_needs_a_credential(path: str) -> None:
    async with guarded() as http:
        response = await http.get(path)

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthorized",
        "message": "credentials are required: an X-API-Key header or a bearer token",
        "details": None,
    }
    assert response.headers["WWW-Authenticate"] == 'ApiKey realm="facerec", Bearer realm="facerec"'


@pytest.mark.parametrize("path", ["/", "/healthz", "/apix", "/api-docs", "/metrics", "/static/api/x"])
async def test_paths_outside_api_pass_without_a_credential_and_reach_everything(path: str) -> None:
    async with guarded() as http:
        response = await http.get(path)

    assert response.status_code == 200
    assert response.json() == {"collections": None, "holder": None, "path": path, "size": 0}


async def test_an_exact_path_outside_api_can_be_protected_too() -> None:
    async with guarded(also_protected=("/metrics",)) as http:
        refused = await http.get("/metrics")
        accepted = await http.get("/metrics", headers={"X-API-Key": API_KEY})
        other = await http.get("/metrics/more")

    assert refused.status_code == 401
    assert accepted.status_code == 200
    assert other.status_code == 200


async def test_the_path_is_judged_below_the_root_path() -> None:
    """Behind a proxy that mounts the service at /facerec, /facerec/api/... is the API; the root path is
    removed before the check, never anything else."""
    async with guarded(root_path="/facerec") as http:
        refused = await http.get("/facerec/api/faces")
        accepted = await http.get("/facerec/api/faces", headers={"X-API-Key": API_KEY})
        outside = await http.get("/facerec/healthz")

    assert refused.status_code == 401
    assert accepted.status_code == 200
    assert outside.status_code == 200


async def test_the_app_sees_the_grant_of_the_credential_sent() -> None:
    async with guarded() as http:
        everything = await http.get("/api/faces", headers={"X-API-Key": API_KEY})
        scoped = await http.get("/api/faces", headers={"X-API-Key": SCOPED_KEY})
        token = await http.get(
            "/api/faces", headers=bearer(supabase_token(sub="user-1", collections=["beta"]))
        )

    assert everything.json()["collections"] is None
    assert everything.json()["holder"].startswith("key:")
    assert scoped.json()["collections"] == ["alpha", "beta"]
    assert scoped.json()["holder"] != everything.json()["holder"]
    assert token.json() == {"collections": ["beta"], "holder": "sub:user-1", "path": "/api/faces", "size": 0}


async def test_an_accepted_request_reaches_the_app_with_its_body() -> None:
    async with guarded() as http:
        response = await http.post("/api/faces", headers={"X-API-Key": API_KEY}, content=b"x" * 5000)
    assert response.json()["size"] == 5000


@pytest.mark.parametrize("authorization", ["Bearer  {token}", "bearer {token} ", "BEARER {token}"])
async def test_the_bearer_scheme_is_read_as_loosely_as_the_standard_allows(authorization: str) -> None:
    header = {"Authorization": authorization.format(token=supabase_token())}
    async with guarded() as http:
        assert (await http.get("/api/faces", headers=header)).status_code == 200


async def test_a_token_refused_for_a_reason_without_its_own_words_says_it_is_not_valid() -> None:
    """PyJWT refuses a `sub` that is not a string; this service has no sentence of its own for that."""
    async with guarded() as http:
        response = await http.get("/api/faces", headers=bearer(supabase_token(sub=12345)))

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "the bearer token is not valid"


async def test_a_token_without_a_subject_is_held_by_its_own_digest() -> None:
    """The rate limits count per holder: one token is one holder, two tokens without `sub` are two."""
    first, second = supabase_token(sub=None), supabase_token(sub=None, session_id="another")
    async with guarded() as http:
        holders = [
            (await http.get("/api/faces", headers=bearer(token))).json()["holder"]
            for token in (first, first, second)
        ]

    assert holders[0] == holders[1] != holders[2]
    assert all(holder.startswith("token:") for holder in holders)


async def test_a_refused_request_never_reaches_the_app_and_is_logged_with_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await report_grant(scope, receive, send)

    guard = AccessControl(app, policy=policy_of())
    with caplog.at_level(logging.INFO, logger="facerec.api.access"):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://t") as http:
            response = await http.post(
                "/api/faces", headers={"X-API-Key": OTHER_API_KEY}, content=b"x" * 1000
            )

    assert response.status_code == 401
    assert reached == []
    assert [record.getMessage() for record in caplog.records] == ["access refused: the API key is not valid"]


class Handshake:
    """A WebSocket handshake driven by hand: the messages the middleware (or the app) sends back."""

    def __init__(self, *, extensions: dict[str, object] | None = None) -> None:
        self.sent: list[Message] = []
        self.extensions = extensions

    async def run(
        self, path: str, *, headers: dict[str, str] | None = None, subprotocols: list[str] | None
    ) -> Grant | None:
        seen: list[Grant] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(grant_of(scope))
            await send({"type": "websocket.accept"})

        scope: Scope = {
            "type": "websocket",
            "path": path,
            "headers": [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
        }
        if subprotocols is not None:  # optional in ASGI, as is the root path
            scope["subprotocols"] = subprotocols
        if self.extensions is not None:
            scope["extensions"] = self.extensions

        async def receive() -> Message:
            return {"type": "websocket.connect"}

        async def send(message: Message) -> None:
            self.sent.append(message)

        await AccessControl(app, policy=policy_of())(scope, receive, send)
        return seen[0] if seen else None


@pytest.mark.parametrize(
    "subprotocols",
    [
        ["facerec", f"apikey.{SCOPED_KEY}"],
        ["facerec", f"bearer.{supabase_token(collections=['alpha', 'beta'])}"],
    ],
    ids=["apikey", "bearer"],
)
async def test_a_websocket_offers_its_credential_as_a_subprotocol(subprotocols: list[str]) -> None:
    handshake = Handshake()
    grant = await handshake.run("/api/stream", subprotocols=subprotocols)

    assert grant is not None
    assert grant.collections == frozenset({"alpha", "beta"})
    assert handshake.sent == [{"type": "websocket.accept"}]


async def test_a_websocket_header_wins_over_an_offered_subprotocol() -> None:
    header_refused = await Handshake().run(
        "/api/stream", headers={"X-API-Key": OTHER_API_KEY}, subprotocols=[f"apikey.{API_KEY}"]
    )
    header_valid = await Handshake().run(
        "/api/stream", headers={"X-API-Key": SCOPED_KEY}, subprotocols=[f"apikey.{API_KEY}"]
    )

    assert header_refused is None
    assert header_valid is not None
    assert header_valid.collections == frozenset({"alpha", "beta"})


async def test_a_websocket_without_a_credential_is_closed_at_the_handshake() -> None:
    handshake = Handshake()
    grant = await handshake.run("/api/stream", subprotocols=["facerec", "apikey.", "bearer"])

    assert grant is None
    assert handshake.sent == [
        {"type": "websocket.close", "code": WS_POLICY_VIOLATION, "reason": "unauthorized"}
    ]


async def test_a_websocket_refusal_is_an_http_answer_where_the_server_can_send_one() -> None:
    handshake = Handshake(extensions={"websocket.http.response": {}})
    grant = await handshake.run("/api/stream", subprotocols=[f"apikey.{OTHER_API_KEY}"])

    assert grant is None
    start, body = handshake.sent
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 401
    assert json.loads(body["body"])["error"]["message"] == "the API key is not valid"


async def test_a_websocket_that_offers_no_subprotocols_is_judged_by_its_headers() -> None:
    assert (
        await Handshake().run("/api/stream", headers={"X-API-Key": API_KEY}, subprotocols=None) == EVERYTHING
    )
    assert await Handshake().run("/api/stream", subprotocols=None) is None


async def test_a_websocket_outside_api_passes() -> None:
    assert await Handshake().run("/stream", subprotocols=[]) == EVERYTHING


async def test_other_connection_types_pass_through_untouched() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError(message)

    scope: Scope = {"type": "lifespan"}
    await AccessControl(app, policy=policy_of())(scope, receive, send)

    assert seen == [{"type": "lifespan"}]


def test_a_connection_no_middleware_saw_reaches_everything() -> None:
    assert grant_of({"type": "http"}) == EVERYTHING
    assert grant_of({"type": "http", "state": {}}) == EVERYTHING
    assert grant_of({"type": "http", "state": {"grant": Grant(frozenset({"a"}))}}) == Grant(frozenset({"a"}))


def documented(policy: AccessPolicy) -> tuple[FastAPI, dict[str, Any]]:
    app = FastAPI()
    router = APIRouter()

    @router.get("/api/thing")
    def thing() -> dict[str, str]:
        return {"ok": "yes"}

    app.include_router(router, dependencies=openapi_security(policy))
    return app, app.openapi()


API_KEY_SCHEME = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An HS256 JWT signed with JWT_SECRET_KEY, e.g. a Supabase access token.",
}


@pytest.mark.parametrize(
    ("settings", "schemes"),
    [
        ({}, {"ApiKey": API_KEY_SCHEME, "Bearer": BEARER_SCHEME}),
        ({"jwt_secret_key": None}, {"ApiKey": API_KEY_SCHEME}),
        ({"api_keys": ""}, {"Bearer": BEARER_SCHEME}),
    ],
    ids=["both", "keys", "tokens"],
)
async def test_the_openapi_schema_declares_the_accepted_schemes_and_never_refuses(
    settings: dict[str, object], schemes: dict[str, object]
) -> None:
    """Swagger's Authorize button offers exactly the accepted credentials; the declarations themselves let
    every request through (AccessControl decides)."""
    app, schema = documented(policy_of(**settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/api/thing")

    assert schema["components"] == {"securitySchemes": schemes}
    operation = schema["paths"]["/api/thing"]["get"]
    assert operation["security"] == [{name: []} for name in schemes]
    assert response.status_code == 200


def test_without_credentials_configured_nothing_is_declared() -> None:
    policy = AccessPolicy(
        api_keys=[], jwt_secret=None, audience="a", issuer=None, claim_rules=ClaimRules(frozenset(), 0)
    )
    assert openapi_security(policy) == []


def test_a_grant_reaches_its_collections_only_and_refuses_the_others_by_name() -> None:
    scoped = Grant(frozenset({"alpha", "beta"}))
    assert scoped.reaches("alpha")
    assert not scoped.reaches("gamma")
    assert EVERYTHING.reaches("gamma")
    scoped.check("beta")
    EVERYTHING.check("gamma")
    with pytest.raises(Forbidden) as refused:
        scoped.check("gamma")
    assert refused.value.message == "this credential does not reach the collection 'gamma'"
