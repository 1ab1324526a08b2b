"""Refuse an oversized request body while it streams in, before it is all in memory."""

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.errors import domain_error_response
from facerec.errors import PayloadTooLarge

# Room for the multipart envelope and the small form fields sent beside the image.
FORM_OVERHEAD_BYTES = 64 * 1024


class BodySizeLimit:
    """Pure ASGI middleware. A declared Content-Length over the limit is refused at once; an undeclared
    (chunked) body is counted as it arrives and cut off when it passes the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        """`larger`: paths that take a larger body (several photos), and their limits."""
        self.app = app
        self.max_bytes = max_bytes + FORM_OVERHEAD_BYTES
        self.larger = {path: limit + FORM_OVERHEAD_BYTES for path, limit in (larger or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.max_bytes)
        too_large = PayloadTooLarge(f"the request body is over the {max_bytes} byte limit")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await domain_error_response(too_large)(scope, receive, send)
            return
        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
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
