"""Refuse an oversized request body while it streams in, before it is all in memory, and an oversized
WebSocket message (the server's own `ws_max_size` bounds what it assembles before we see it)."""

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.errors import closing_messages, domain_error_response
from facerec.errors import PayloadTooLarge

# Room for the multipart envelope and the small form fields sent beside the image.
FORM_OVERHEAD_BYTES = 64 * 1024


class BodySizeLimit:
    """Pure ASGI middleware. A declared Content-Length over the limit is refused at once; an undeclared
    (chunked) body is counted as it arrives and cut off when it passes the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes + FORM_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLarge(f"the request body is over the {self.max_bytes} byte limit")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await domain_error_response(too_large)(scope, receive, send)
            return
        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                exceeded = True
                raise too_large
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded:
                return  # whatever the app makes of the cut-off body, the answer is 413
            response_started = True
            await send(message)

        with contextlib.suppress(PayloadTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not response_started:
            await domain_error_response(too_large)(scope, receive, send)

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
