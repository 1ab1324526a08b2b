"""Every request and WebSocket gets an id: a sane incoming `X-Request-ID` is kept, anything else replaced.
The id goes back in the response (or handshake) header and into every log record made while the request or
the WebSocket runs. One line per request is logged: method (`WS` for a WebSocket), path (never the query,
which may hold names), status (101 for an accepted WebSocket) and duration."""

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.logs import current_request_id

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

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error")
            raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            method = scope.get("method", "WS")
            logger.info("%s %s %d %.1f ms", method, scope["path"], status, elapsed_ms)
            current_request_id.reset(token)
