"""Limits on what a request may cost: how many header fields it has, how large its body is, and how long
the client may go silent while sending that body. Each is refused before the body is all in memory. A
WebSocket message is held to the same size (the server's own `ws_max_size` bounds what it assembles)."""

import asyncio
import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.errors import closing_messages, domain_error_response, refuse
from facerec.api.json_images import is_json_body
from facerec.errors import FacerecError, PayloadTooLarge, RequestTimeout, TooManyHeaders

# Room for the multipart envelope and the small form fields sent beside the image.
FORM_OVERHEAD_BYTES = 64 * 1024


class RequestLimits:
    """Pure ASGI middleware. Too many header fields: 431 at once. A declared Content-Length over the
    limit: 413 at once; an undeclared (chunked) body is counted as it arrives and cut off when it passes
    the limit. A body that stops arriving for `body_timeout_s`: 408."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_headers: int, body_timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes + FORM_OVERHEAD_BYTES
        # A photo sent as JSON is base64: four characters for every three bytes (api/json_images.py)
        self.max_json_bytes = -(-max_bytes // 3) * 4 + FORM_OVERHEAD_BYTES
        self.max_headers = max_headers
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and len(scope["headers"]) > self.max_headers:
            too_many = TooManyHeaders(f"a request may carry at most {self.max_headers} header fields")
            await refuse(too_many, scope, receive, send)
            return
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_json_bytes if is_json_body(scope) else self.max_bytes
        too_large = PayloadTooLarge(f"the request body is over the {limit} byte limit")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await domain_error_response(too_large)(scope, receive, send)
            return
        received = 0
        body_complete = False
        refusal: FacerecError | None = None
        response_started = False

        async def guarded_receive() -> Message:
            nonlocal received, body_complete, refusal
            if body_complete:  # later calls wait for a disconnect: no deadline on those
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout_s)
            except TimeoutError:
                refusal = RequestTimeout(f"no request body arrived for {self.body_timeout_s:g} s")
                raise refusal from None
            body_complete = not message.get("more_body", False)
            received += len(message.get("body", b""))
            if received > limit:
                refusal = too_large
                raise too_large
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refusal is not None:
                return  # whatever the app makes of the cut-off body, the answer is the refusal
            response_started = True
            await send(message)

        with contextlib.suppress(PayloadTooLarge, RequestTimeout):
            await self.app(scope, guarded_receive, guarded_send)
        if refusal is not None and not response_started:
            await domain_error_response(refusal)(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A message over the limit closes the WebSocket with the error (code 4413); the app sees the
        client disconnect, and whatever it sends afterwards is dropped."""
        closed = False

        async def checked_receive() -> Message:
            nonlocal closed
            message = await receive()
            size = len(message.get("bytes") or b"") + len((message.get("text") or "").encode())
            if message["type"] != "websocket.receive" or size <= self.max_bytes:
                return message
            closing = closing_messages(PayloadTooLarge(f"a message is over the {self.max_bytes} byte limit"))
            for reply in closing:
                await send(reply)
            closed = True
            return {"type": "websocket.disconnect", "code": closing[-1]["code"]}

        async def guarded_send(message: Message) -> None:
            if not closed:
                await send(message)

        await self.app(scope, checked_receive, guarded_send)
