"""Faults around the service: the database absent at startup, lost while serving, crashed mid-write."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from facerec.settings import Settings
from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.asgi import running_client
from tests.db.controlled import ControlledPostgres
from tests.photos import Photos

READY_WITHIN_S = 30.0
FAIL_FAST_S = 15.0  # a request that needs a lost database must fail within this, not hang


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[ControlledPostgres]:
    server = ControlledPostgres(tmp_path)
    try:
        yield server
    finally:
        server.close()


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_url=url, data_dir=tmp_path, model_cache_dir=tmp_path / "models")


async def _wait_ready(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the service did not reconnect"
        await asyncio.sleep(0.2)


async def test_service_starts_without_its_database_and_connects_later(
    postgres: ControlledPostgres, tmp_path: Path, photos: Photos
) -> None:
    postgres.stop()
    async with running_client(_settings(postgres.url, tmp_path)) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "unavailable"
        assert (await client.get("/healthz")).status_code == 200
        face = people(photos)[0]
        refused = await client.post(
            "/api/face/register", files=image_file(face.photo()), data={"displayName": "a"}
        )
        assert_error(refused, 503, "database_unavailable")
        assert refused.headers["Retry-After"]
        encoded = await client.post("/api/face/encode", files=image_file(face.photo()))
        assert encoded.status_code == 200, "encode needs no database"

        postgres.start()
        await _wait_ready(client)
        stored = await client.post(
            "/api/face/register", files=image_file(face.photo()), data={"displayName": "a"}
        )
        assert stored.status_code == 201


async def test_requests_fail_fast_while_the_database_is_lost_and_recover(
    postgres: ControlledPostgres, tmp_path: Path, photos: Photos
) -> None:
    face = people(photos)[1]
    async with running_client(_settings(postgres.url, tmp_path)) as client:
        registered = await client.post(
            "/api/face/register", files=image_file(face.photo()), data={"displayName": "b"}
        )
        face_id = registered.json()["id"]

        postgres.stop()
        for request in (
            client.get(f"/api/face/{face_id}"),
            client.post("/api/face/search", files=image_file(face.other_photo())),
            client.get("/api/faces"),
        ):
            started = time.monotonic()
            assert_error(await request, 503, "database_unavailable")
            assert time.monotonic() - started < FAIL_FAST_S
        assert (await client.get("/readyz")).status_code == 503

        postgres.start()
        await _wait_ready(client)
        assert (await client.get(f"/api/face/{face_id}")).status_code == 200


async def test_every_201_survives_a_crash_and_nothing_is_half_written(
    postgres: ControlledPostgres, tmp_path: Path, photos: Photos
) -> None:
    """Register a stream of faces, kill Postgres hard in the middle, restart: every 201 is there."""
    cast: list[Person] = people(photos)
    acknowledged: list[str] = []
    async with running_client(_settings(postgres.url, tmp_path)) as client:

        async def register_forever(person: Person) -> None:
            while True:
                response = await client.post(
                    "/api/face/register", files=image_file(person.photo()), data={"displayName": person.name}
                )
                if response.status_code != 201:
                    assert_error(response, 503, "database_unavailable")
                    return
                acknowledged.append(response.json()["id"])

        writers = [asyncio.create_task(register_forever(person)) for person in cast[:3]]
        while len(acknowledged) < 6:  # noqa: ASYNC110  (polling a plain list the writers append to)
            await asyncio.sleep(0.05)
        postgres.crash()
        await asyncio.wait_for(asyncio.gather(*writers), FAIL_FAST_S)

    postgres.start()
    connection = await asyncpg.connect(postgres.url)
    try:
        stored = {str(row["id"]) for row in await connection.fetch("SELECT id FROM faces")}
        without_image = await connection.fetchval(
            "SELECT count(*) FROM faces f LEFT JOIN face_images i ON i.face_id = f.id WHERE i.face_id IS NULL"
        )
        orphans = await connection.fetchval(
            "SELECT count(*) FROM face_images i LEFT JOIN faces f ON f.id = i.face_id WHERE f.id IS NULL"
        )
    finally:
        await connection.close()
    assert set(acknowledged) <= stored
    assert without_image == 0
    assert orphans == 0
