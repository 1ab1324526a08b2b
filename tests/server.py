"""Running the real application behind a real uvicorn server on a free local port: WebSockets need one
(httpx's ASGI transport speaks HTTP only)."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from facerec.api.app import create_app
from facerec.settings import Settings


@asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[str]:
    """Serve the app (its lifespan included) until the block ends; yields `host:port`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), lifespan="on", log_config=None, ws="websockets-sansio")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if serving.done():
                serving.result()  # the start failed: raise why
            await asyncio.sleep(0.05)
        host, port = listener.getsockname()
        yield f"{host}:{port}"
    finally:
        server.should_exit = True
        await serving
        listener.close()
