"""Access control. Off while no API key and no JWT secret is configured; on, every request and WebSocket
under /api must carry a known `X-API-Key` or an `Authorization: Bearer <JWT>` signed with JWT_SECRET_KEY
(HS256). Browsers cannot set headers on a WebSocket: they offer the credential as a subprotocol instead.

A credential may reach only some collections: an `API_KEYS` entry `KEY:name1,name2`, or a token whose
collections claim (JWT_COLLECTIONS_CLAIM) lists names. The check here yields the credential's `Grant`;
the routes' collection dependency (`facerec.api.deps`) refuses a collection outside it with 403.
"""

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import jwt
from fastapi import Security, params
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import SecretStr
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from facerec.api.errors import refuse
from facerec.errors import Forbidden, Unauthorized
from facerec.settings import Settings, split_key_entry

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
PROTECTED_PREFIX = "/api"
JWT_ALGORITHMS = ["HS256"]
JWT_LEEWAY_S = 30  # clock skew allowed on exp, nbf and iat
# `Sec-WebSocket-Protocol: facerec, bearer.<JWT>` stands for the header named; the server never selects
# (echoes) a credential-bearing subprotocol.
SUBPROTOCOL_CREDENTIALS = {"apikey.": (API_KEY_HEADER, ""), "bearer.": ("Authorization", "Bearer ")}

# Fixed words for why a token was refused: PyJWT's own messages may quote parts of the token.
TOKEN_REFUSALS: dict[type[jwt.InvalidTokenError], str] = {
    jwt.ExpiredSignatureError: "the bearer token has expired",
    jwt.ImmatureSignatureError: "the bearer token is not valid yet",
    jwt.InvalidAudienceError: "the bearer token's audience is not accepted",
    jwt.InvalidIssuerError: "the bearer token's issuer is not accepted",
    jwt.MissingRequiredClaimError: "the bearer token lacks a required claim (exp, aud, or iss)",
    jwt.InvalidAlgorithmError: "the bearer token's algorithm is not accepted (HS256 only)",
    jwt.InvalidSignatureError: "the bearer token's signature does not match",
    jwt.DecodeError: "the bearer token is malformed",
}


@dataclass(frozen=True)
class Grant:
    """The collections a credential reaches: `None` for all of them. `holder` names the credential (a
    key's digest, a token's subject; never the secret) for the rate limits; grants compare by reach."""

    collections: frozenset[str] | None = None
    holder: str | None = field(default=None, compare=False)

    def reaches(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def check(self, collection: str) -> None:
        if not self.reaches(collection):
            raise Forbidden(f"this credential does not reach the collection {collection!r}")


EVERYTHING = Grant()
GRANT_STATE_KEY = "grant"  # where AccessControl leaves the grant in the request's state


class AccessPolicy:
    """Which credentials are accepted, and the check itself. Keys are compared as SHA-256 digests with
    `hmac.compare_digest`, so neither their content nor their length leaks through timing."""

    def __init__(
        self,
        *,
        api_keys: Sequence[SecretStr],
        jwt_secret: SecretStr | None,
        audience: str,
        issuer: str | None,
        collections_claim: str = "collections",
    ) -> None:
        self._keys = [_key_grant(entry.get_secret_value()) for entry in api_keys]
        self._jwt_secret = jwt_secret
        self._audience = audience
        self._issuer = issuer
        self._collections_claim = collections_claim
        self.schemes = (("ApiKey",) if api_keys else ()) + (("Bearer",) if jwt_secret else ())

    @classmethod
    def of(cls, settings: Settings) -> "AccessPolicy":
        return cls(
            api_keys=settings.api_keys,
            jwt_secret=settings.jwt_secret_key,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            collections_claim=settings.jwt_collections_claim,
        )

    def check(self, headers: Headers) -> Grant:
        """The grant of the first valid credential the headers carry; `Unauthorized` if there is none."""
        api_key = headers.get(API_KEY_HEADER)
        authorization = headers.get("Authorization")
        if api_key is None and authorization is None:
            raise self._refusal(f"credentials are required: an {API_KEY_HEADER} header or a bearer token")
        reasons = []
        if api_key is not None:
            grant = self._key_grant(api_key)
            if grant is not None:
                return grant
            reasons.append("the API key is not valid")
        if authorization is not None:
            outcome = self._bearer_grant(authorization)
            if isinstance(outcome, Grant):
                return outcome
            reasons.append(outcome)
        raise self._refusal("; ".join(reasons))

    def _key_grant(self, candidate: str) -> Grant | None:
        digest = _digest(candidate.encode("latin-1"))  # how Starlette decoded the header's bytes
        matches = [(hmac.compare_digest(digest, known), grant) for known, grant in self._keys]
        return next((grant for matched, grant in matches if matched), None)

    def _bearer_grant(self, authorization: str) -> Grant | str:
        """The token's grant, or why it is refused."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "the Authorization header must be 'Bearer <token>'"
        if self._jwt_secret is None:
            return "bearer tokens are not accepted by this server"
        try:
            claims = jwt.decode(
                token.strip(),
                self._jwt_secret.get_secret_value(),
                algorithms=JWT_ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=JWT_LEEWAY_S,
                options={"require": ["exp"]},
            )
        except jwt.InvalidTokenError as error:
            return next(
                (words for kind, words in TOKEN_REFUSALS.items() if isinstance(error, kind)),
                "the bearer token is not valid",
            )
        grant = self._claimed_grant(claims)
        if isinstance(grant, str):
            return grant
        return replace(grant, holder=_token_holder(claims, token.strip()))

    def _claimed_grant(self, claims: dict[str, Any]) -> Grant | str:
        if self._collections_claim not in claims:
            return EVERYTHING
        names = claims[self._collections_claim]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return f"the bearer token's {self._collections_claim} claim must be an array of collection names"
        return Grant(frozenset(names))

    def _refusal(self, message: str) -> Unauthorized:
        return Unauthorized(message, schemes=self.schemes)


def _token_holder(claims: dict[str, Any], token: str) -> str:
    """Who a token speaks for: its `sub`, so that a refreshed token has the same holder."""
    subject = claims.get("sub")
    return f"sub:{subject}" if isinstance(subject, str) else "token:" + _digest(token.encode()).hex()[:32]


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def _key_grant(entry: str) -> tuple[bytes, Grant]:
    key, collections = split_key_entry(entry)
    digest = _digest(key.encode())
    reach = None if collections is None else frozenset(collections)
    return digest, Grant(reach, holder="key:" + digest.hex()[:32])


def grant_of(scope: Scope) -> Grant:
    """The grant AccessControl found for this connection; everything when access control is off."""
    grant: Grant = scope.get("state", {}).get(GRANT_STATE_KEY, EVERYTHING)
    return grant


def credentials_of(scope: Scope) -> Headers:
    """The headers that may carry a credential: a WebSocket's offered subprotocols `apikey.<KEY>` and
    `bearer.<JWT>` count as the headers they stand for, where those headers are absent."""
    headers = Headers(scope=scope)
    if scope["type"] != "websocket":
        return headers
    offered = MutableHeaders(scope={"headers": list(scope["headers"])})
    for protocol in scope.get("subprotocols", []):
        for prefix, (name, scheme) in SUBPROTOCOL_CREDENTIALS.items():
            if protocol.startswith(prefix) and name not in offered:
                offered[name] = scheme + protocol.removeprefix(prefix)
    return offered


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    return path.removeprefix(scope.get("root_path", ""))


def _protected(path: str) -> bool:
    return path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")


class AccessControl:
    """Pure ASGI middleware: the one place credentials are enforced. It answers before the body is read,
    so an anonymous client cannot make the server parse an upload, and it covers every path under /api,
    WebSockets and routes added later included: a WebSocket without a valid credential is refused at the
    handshake."""

    def __init__(self, app: ASGIApp, *, policy: AccessPolicy, also_protected: tuple[str, ...] = ()) -> None:
        self.app = app
        self.policy = policy
        self.also_protected = also_protected  # exact paths outside /api (/metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _route_path(scope) if scope["type"] in ("http", "websocket") else ""
        if scope["type"] in ("http", "websocket") and (_protected(path) or path in self.also_protected):
            try:
                grant = self.policy.check(credentials_of(scope))
            except Unauthorized as refusal:
                logger.info("access refused: %s", refusal.message)
                await refuse(refusal, scope, receive, send)
                return
            scope.setdefault("state", {})[GRANT_STATE_KEY] = grant
        await self.app(scope, receive, send)


def openapi_security(policy: AccessPolicy) -> list[params.Depends]:
    """Router dependencies that only declare the accepted schemes in the OpenAPI schema (so Swagger's
    Authorize button works); they never refuse anything: `AccessControl` does."""
    schemes: list[params.Depends] = []
    if "ApiKey" in policy.schemes:
        header = APIKeyHeader(name=API_KEY_HEADER, scheme_name="ApiKey", auto_error=False)
        schemes.append(Security(header))
    if "Bearer" in policy.schemes:
        bearer = HTTPBearer(
            scheme_name="Bearer",
            bearerFormat="JWT",
            description="An HS256 JWT signed with JWT_SECRET_KEY, e.g. a Supabase access token.",
            auto_error=False,
        )
        schemes.append(Security(bearer))
    return schemes
