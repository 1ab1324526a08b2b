"""A WebSocket client for the stream tests."""

import json
from typing import Any

from websockets.asyncio.client import ClientConnection

Message = dict[str, Any]
EVENTS = ("track_started", "identified", "track_ended")


async def play(connection: ClientConnection, frames: list[bytes]) -> list[Message]:
    """Send each frame and wait for its answer before the next (so nothing is dropped); every message
    received, in order."""
    messages: list[Message] = []
    for seq, frame in enumerate(frames, start=1):
        await connection.send(frame)
        messages += await until_answered(connection, seq)
    return messages


async def until_answered(connection: ClientConnection, seq: int) -> list[Message]:
    """Messages up to the `frame` (or `error`) message that answers frame `seq`."""
    messages = []
    while True:
        message: Message = json.loads(await connection.recv())
        messages.append(message)
        if message["type"] in ("frame", "error") and message.get("seq") == seq:
            return messages
