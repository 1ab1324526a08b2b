"""Which sites may talk to the service: a Host allow-list against DNS rebinding, and an Origin check that
stops other sites' pages from changing anything (a multipart POST needs no CORS preflight). It covers
HTTP requests and WebSocket handshakes alike."""

import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from facerec.api.errors import refuse
from facerec.errors import ForbiddenOrigin, HostNotAllowed
from facerec.settings import Settings

logger = logging.getLogger(__name__)

# What a browser on this machine calls the service. Any other name reaching an open service is a DNS
# rebinding page (or a proxy that should be named in ALLOWED_HOSTS).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANY = "*"


class SitePolicy:
    """`hosts`: Host names served (`*` any, `*.example.com` its subdomains); `origins`: the CORS origins
    whose pages may change things, besides the service's own origin."""

    def __init__(self, *, hosts: list[str], origins: list[str]) -> None:
        self._hosts = hosts
        self._origins = origins

    @classmethod
    def of(cls, settings: Settings) -> "SitePolicy":
        default = [ANY] if settings.access_control else list(LOCAL_HOSTS)
        return cls(hosts=settings.allowed_hosts or default, origins=settings.cors_origins)

    def check(self, scope: Scope) -> None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self._host_allowed(_hostname(host)):
            raise HostNotAllowed(
                "this service does not answer to that Host header; add the name to ALLOWED_HOSTS"
            )
        origin = headers.get("origin")
        changes_state = scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS
        if changes_state and origin is not None and not self._origin_allowed(origin, host):
            raise ForbiddenOrigin("pages on this origin may not call this service; see CORS_ORIGINS")

    def _host_allowed(self, name: str) -> bool:
        return any(
            pattern in (ANY, name) or (pattern.startswith("*.") and name.endswith(pattern[1:]))
            for pattern in self._hosts
        )

    def _origin_allowed(self, origin: str, host: str) -> bool:
        if ANY in self._origins or origin.rstrip("/") in self._origins:
            return True
        # the service's own pages (Swagger's "Try it out"): same host and port, whatever the scheme a
        # TLS proxy in front of it terminates
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def _hostname(host: str) -> str:
    """`Host` without its port: `example.com:8000` -> `example.com`, `[::1]:8000` -> `::1`."""
    host = host.lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.partition(":")[0]


class SiteGuard:
    """Pure ASGI middleware, just inside the request context: the first check every connection meets."""

    def __init__(self, app: ASGIApp, *, policy: SitePolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            try:
                self.policy.check(scope)
            except (HostNotAllowed, ForbiddenOrigin) as refusal:
                logger.info("refused: %s", refusal.message)
                await refuse(refusal, scope, receive, send)
                return
        await self.app(scope, receive, send)
