"""A webhook receiver to point facerec at: an ASGI app that keeps every delivery it is sent."""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send


@dataclass(frozen=True)
class Received:
    headers: Headers
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(Received(Headers(scope=scope), body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def wait_for(self, count: int, *, polls: int = 300) -> list[Received]:
        """At least `count` distinct deliveries (by id), in the order first received."""
        for _ in range(polls):
            distinct = {item.json["id"]: item for item in reversed(self.received)}
            if len(distinct) >= count:
                return sorted(distinct.values(), key=self.received.index)
            await asyncio.sleep(0.1)
        raise AssertionError(f"{len(self.received)} deliveries received, {count} expected")
