"""Running the real application behind a real uvicorn server on a free local port: WebSockets need one
(httpx's ASGI transport speaks HTTP only)."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

from facerec.api.app import create_app
from facerec.settings import Settings


@asynccontextmanager
async def serving(
    app: ASGIApp, *, port: int = 0, lifespan: Literal["on", "off"] = "on"
) -> AsyncIterator[str]:
    """Serve an ASGI app on 127.0.0.1 (a free port unless one is given) until the block ends; yields
    `host:port`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, lifespan=lifespan, log_config=None, ws="websockets-sansio")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if serving.done():
                serving.result()  # the start failed: raise why
            await asyncio.sleep(0.05)
        host, bound = listener.getsockname()
        yield f"{host}:{bound}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


@asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[str]:
    """The service, its lifespan included, behind uvicorn; yields `host:port`."""
    async with serving(create_app(settings)) as address:
        yield address


def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
