"""Running the real application in-process, the way an ASGI server runs it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from facerec.api.app import create_app
from facerec.settings import Settings

# A local name: with access control off, the service answers only to those (ALLOWED_HOSTS).
BASE_URL = "http://localhost"


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[ASGIApp]:
    """Start the service's lifespan (models, database, pool), yield the app as a server runs it, then
    shut it down."""
    application = create_app(settings)
    async with application.router.lifespan_context(application) as state:

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})  # what a server does with the lifespan state, per request
            await application(scope, receive, send)

        yield served


def client_of(app: ASGIApp, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client to `app`, connecting from `address`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 123)), base_url=BASE_URL)


@asynccontextmanager
async def running_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """`running_app`, and a client to it."""
    async with running_app(settings) as app, client_of(app) as client:
        yield client
