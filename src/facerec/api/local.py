"""Running the application in-process, the way an ASGI server runs it: for the CLI and the tests."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.types import Receive, Scope, Send

from facerec.api.app import create_app
from facerec.settings import Settings

LOCAL_BASE_URL = "http://facerec.test"


@asynccontextmanager
async def running_client(
    settings: Settings, *, request_timeout_s: float = 5.0
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the service's lifespan (models, database, pool), yield a client to it, then shut it down."""
    application = create_app(settings)
    async with application.router.lifespan_context(application) as state:

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})  # what a server does with the lifespan state, per request
            await application(scope, receive, send)

        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(
            transport=transport, base_url=LOCAL_BASE_URL, timeout=request_timeout_s
        ) as client:
            yield client
