"""Every request and WebSocket gets an id: a sane incoming `X-Request-ID` is kept, anything else replaced.
The id goes back in the response (or handshake) header and into every log record made while the request or
the WebSocket runs. One line per request is logged: method (`WS` for a WebSocket), path (never the query,
which may hold names), status (101 for an accepted WebSocket) and duration. The log formatters escape
control characters, so a path cannot forge a line."""

import json
import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.errors import internal_error_response
from facerec.logs import current_request_id
from facerec.metrics import Metrics

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The messages that start an answer, and the status each stands for (None: the message carries it).
ANSWER_STARTS: dict[str, int | None] = {
    "http.response.start": None,
    "websocket.http.response.start": None,  # a handshake refused with an HTTP response
    "websocket.accept": 101,
    "websocket.close": 403,  # a close before accept: the server refuses the handshake with 403
}


def request_id_of(headers: Headers) -> str:
    incoming = headers.get(REQUEST_ID_HEADER)
    if incoming is not None and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestContext:
    """Pure ASGI middleware, outermost of ours, so that every other layer logs with the id."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(Headers(scope=scope))
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        answered = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] in ANSWER_STARTS and not answered:
                answered = True
                status = ANSWER_STARTS[message["type"]] or message["status"]
                if message["type"] != "websocket.close":
                    message.setdefault("headers", [])
                    MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            elif status >= 400 and message["type"] == "http.response.body":
                self._count_error(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # A bug: logged here, once, while the request id is still set, and answered in the one error
            # body. Raised again only when a response had begun (the server then drops the connection).
            logger.exception("unexpected error")
            if answered or scope["type"] != "http":
                raise
            await internal_error_response()(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope.get("method", "WS")
            logger.info("%s %s %d %.1f ms", method, scope["path"], status, elapsed * 1000)
            self.metrics.request(method, _route_template(scope), status, elapsed)
            current_request_id.reset(token)

    def _count_error(self, body: bytes) -> None:
        """Errors by code: read from the one error body (a single small JSON message)."""
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, TypeError, KeyError):
            return
        if isinstance(code, str):
            self.metrics.error(code)


def _route_template(scope: Scope) -> str | None:
    """The template of the route that answered (`/api/face/{face_id}`), never the path itself."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None
