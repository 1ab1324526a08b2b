"""Shared fixtures: a real throwaway Postgres + pgvector, the real model, real photos."""

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from facerec.api.app import create_app
from facerec.db.embedded import embedded_postgres_server
from facerec.db.migrate import upgrade_to_head
from facerec.settings import Settings
from tests.photos import Photos

PGVECTOR_IMAGE = "pgvector/pgvector:pg17"


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # no engine, no socket, no permission: all mean "use the embedded server"
        return False
    return True


@contextlib.contextmanager
def _throwaway_postgres(tmp: Path) -> Iterator[str]:
    if os.environ.get("FACEREC_TEST_DOCKER", "auto") != "never" and _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer(PGVECTOR_IMAGE, driver=None) as container:
            yield container.get_connection_url()
    else:
        with embedded_postgres_server(tmp) as url:
            yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty Postgres + pgvector migrated to head through Alembic."""
    with _throwaway_postgres(tmp_path_factory.mktemp("postgres")) as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        model_cache_dir=tmp_path_factory.mktemp("models"),
        auto_migrate=False,
        max_upload_bytes=2 * 1024 * 1024,
        inference_workers=2,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[ASGIApp]:
    """The real application with its lifespan running, as an ASGI server would run it."""
    application = create_app(settings)
    async with application.router.lifespan_context(application) as state:

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state)  # what a server does with the lifespan state, per request
            await application(scope, receive, send)

        yield served


@pytest.fixture(scope="session")
async def client(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://facerec.test") as http:
        yield http


@pytest.fixture(scope="session")
def photos() -> Photos:
    return Photos()
