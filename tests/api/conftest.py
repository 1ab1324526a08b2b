from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from facerec.db.urls import asyncpg_url
from facerec.settings import Settings
from tests.api.credentials import ALLOWED_ORIGIN, API_KEY, JWT_SECRET
from tests.asgi import running_client
from tests.server import running_server

# Webhooks are deleted, not truncated: every running service's dispatcher reads their tables, and
# TRUNCATE's exclusive locks could deadlock with it.
EMPTY_STORE = (
    "TRUNCATE faces, persons CASCADE; DELETE FROM webhooks; DELETE FROM collections WHERE name <> 'default'"
)


@pytest.fixture(autouse=True)
async def empty_store(database_url: str) -> AsyncIterator[None]:
    """Each API test starts and ends with no stored faces, persons or webhooks, and only the `default`
    collection."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute(EMPTY_STORE)
        yield
        await connection.execute(EMPTY_STORE)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def secured_settings(settings: Settings) -> Settings:
    """The same service with access control on (an API key and a JWT secret) and one CORS origin."""
    return Settings(
        _env_file=None,
        **{
            **settings.model_dump(),
            "api_keys": API_KEY,
            "jwt_secret_key": JWT_SECRET,
            "cors_origins": ALLOWED_ORIGIN,
        },
    )


@pytest.fixture(scope="session")
async def secured_client(secured_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_client(secured_settings) as http:
        yield http


@pytest.fixture(scope="session")
async def secured_server(secured_settings: Settings) -> AsyncIterator[str]:
    """The secured service behind a real server (`host:port`), for WebSockets."""
    async with running_server(secured_settings) as address:
        yield address
