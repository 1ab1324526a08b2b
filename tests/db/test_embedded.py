"""The embedded default: a real Postgres in a data directory, kept across restarts, never shared."""

from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from facerec.db.embedded import embedded_postgres_beside_service, embedded_postgres_server
from facerec.db.urls import asyncpg_url
from facerec.errors import DataDirectoryInUse
from facerec.settings import Settings
from tests.api.helpers import image_file
from tests.asgi import running_client
from tests.photos import Photos


def test_a_second_service_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    with (
        embedded_postgres_server(tmp_path),
        pytest.raises(DataDirectoryInUse, match="another facerec service"),
        embedded_postgres_server(tmp_path),
    ):
        pass


async def _answer(url: str) -> int:
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        answer: int = await connection.fetchval("SELECT 41 + 1")
        return answer
    finally:
        await connection.close()


async def test_a_command_beside_a_running_service_uses_its_server_and_leaves_it_running(
    tmp_path: Path,
) -> None:
    with embedded_postgres_server(tmp_path) as service_url:  # what `facerec serve` holds
        with embedded_postgres_beside_service(tmp_path) as command_url:
            assert await _answer(command_url) == 42
        assert await _answer(service_url) == 42  # the command did not stop the service's server


async def test_a_command_alone_starts_the_server_and_stops_it(tmp_path: Path) -> None:
    with embedded_postgres_beside_service(tmp_path) as url:
        assert await _answer(url) == 42
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
    with embedded_postgres_server(tmp_path):  # and the data directory is free again
        pass


async def _served(settings: Settings, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Start the whole service (embedded Postgres included), make one request, stop it."""
    async with running_client(settings) as client:
        return await client.request(method, path, **kwargs)


async def test_faces_survive_a_restart(tmp_path: Path, photos: Photos) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, model_cache_dir=tmp_path / "models")

    registered = await _served(
        settings,
        "POST",
        "/api/face/register",
        files=image_file(photos.bytes_of(photos.tight_face), "face.png", "image/png"),
        data={"displayName": "Tom"},
    )
    assert registered.status_code == 201, registered.text
    face_id = registered.json()["id"]

    fetched = await _served(settings, "GET", f"/api/face/{face_id}")

    assert fetched.status_code == 200
    assert fetched.json()["displayName"] == "Tom"
    assert (tmp_path / "pgdata" / "PG_VERSION").is_file()
