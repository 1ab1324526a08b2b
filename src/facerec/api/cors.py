"""Cross-origin access for browsers: closed unless CORS_ORIGINS lists the origins allowed. CORS does not
apply to WebSockets (browsers open them from any page, sending only `Origin`), so the same list is enforced
at the WebSocket handshake by `WebSocketOrigins`."""

from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from facerec.api.access import API_KEY_HEADER
from facerec.api.errors import refuse_connection
from facerec.api.requests import REQUEST_ID_HEADER
from facerec.errors import OriginNotAllowed

ALLOWED_METHODS = ["GET", "POST", "PATCH", "DELETE"]
ALLOWED_HEADERS = ["Authorization", API_KEY_HEADER, "Content-Type", REQUEST_ID_HEADER]
PREFLIGHT_MAX_AGE_S = 600


def allow_origins(app: FastAPI, origins: list[str]) -> None:
    """Credentials travel in headers, never cookies, so `allow_credentials` stays off. Added after the
    access middleware, it runs before it: preflights are answered without credentials, and a 401 still
    carries the CORS headers a browser needs to read it."""
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=[REQUEST_ID_HEADER],
        max_age=PREFLIGHT_MAX_AGE_S,
    )


class WebSocketOrigins:
    """Pure ASGI middleware: a WebSocket handshake that carries an `Origin` (a browser page) is refused
    with 403 `origin_not_allowed` unless the page is on this server's own origin or on one CORS_ORIGINS
    lists. Clients other than browsers send no `Origin` and pass."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.origins = set(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            headers = Headers(scope=scope)
            origin = headers.get("Origin")
            if origin is not None and not self._allowed(origin, headers.get("Host")):
                refusal = OriginNotAllowed(f"WebSockets from the origin {origin!r} are not allowed")
                await refuse_connection(refusal, scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _allowed(self, origin: str, host: str | None) -> bool:
        same_origin = host is not None and urlsplit(origin).netloc == host
        return same_origin or "*" in self.origins or origin.rstrip("/") in self.origins
