"""Shared fixtures: a real throwaway Postgres + pgvector, the real model, real photos."""

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from facerec.db.embedded import embedded_postgres_server
from facerec.db.migrate import upgrade_to_head
from facerec.settings import Settings
from tests.asgi import running_client
from tests.photos import Photos

PGVECTOR_IMAGE = "pgvector/pgvector:pg17"


def _pgvector_image_at_hand() -> bool:
    """A Docker engine answers and already holds the pgvector image: where no image can be pulled, an
    engine alone is not enough."""
    try:
        import docker

        docker.from_env(timeout=3).images.get(PGVECTOR_IMAGE)
    except Exception:  # no engine, no socket, no permission, no image: all mean "use the embedded server"
        return False
    return True


@contextlib.contextmanager
def _throwaway_postgres(tmp: Path) -> Iterator[str]:
    if os.environ.get("FACEREC_TEST_DOCKER", "auto") != "never" and _pgvector_image_at_hand():
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
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        model_cache_dir=tmp_path_factory.mktemp("models"),
        auto_migrate=False,
        inference_workers=2,
    )


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client to the real application, its lifespan running for the whole session."""
    async with running_client(settings) as http:
        yield http


@pytest.fixture(scope="session")
def photos() -> Photos:
    return Photos()
