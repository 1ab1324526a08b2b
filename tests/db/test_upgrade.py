"""Upgrading a database that already holds faces: nothing found before is lost."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import numpy as np
import pytest

from facerec.db.migrate import upgrade_to, upgrade_to_head
from facerec.db.urls import asyncpg_url
from facerec.settings import Settings
from tests.api.faces import people
from tests.api.helpers import image_file
from tests.asgi import running_client
from tests.photos import Photos

# Faces stored under the seed's schema: two spellings of one name are one identity there, as here.
SEED_ROWS = [("Ada", 0), ("ada", 0), ("Bob", 1), ("Cy", 2)]


def other_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
async def seed_database(database_url: str) -> AsyncIterator[str]:
    """A new database on the test server, migrated to revision 0001 only."""
    name = f"seed_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        url = other_database(database_url, name)
        await asyncio.to_thread(upgrade_to, url, "0001")  # Alembic runs its own event loop
        yield url
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


async def embeddings(client: httpx.AsyncClient, photos: list[bytes]) -> list[list[float]]:
    vectors = []
    for photo in photos:
        response = await client.post("/api/face/encode", files=image_file(photo))
        assert response.status_code == 200, response.text
        vectors.append(response.json()["embedding"])
    return vectors


async def test_an_upgraded_database_finds_every_stored_face(
    seed_database: str, settings: Settings, client: httpx.AsyncClient, photos: Photos
) -> None:
    cast = people(photos)
    vectors = await embeddings(client, [cast[index].photo() for index in range(3)])
    connection = await asyncpg.connect(asyncpg_url(seed_database))
    try:
        for name, index in SEED_ROWS:
            await connection.execute(
                """
                INSERT INTO faces (display_name, face_vec, model, det_score, box, landmarks)
                VALUES ($1, $2::real[]::vector, 'buffalo_s', 0.9, '{0,0,1,1}', '{0,0,0,0,0,0,0,0,0,0}')
                """,
                name,
                np.asarray(vectors[index], dtype=np.float32).tolist(),
            )
    finally:
        await connection.close()

    await asyncio.to_thread(upgrade_to_head, seed_database)

    upgraded = Settings(_env_file=None, **{**settings.model_dump(), "database_url": seed_database})
    async with running_client(upgraded) as http:
        persons = (await http.get("/api/persons")).json()["persons"]
        ada = await http.post("/api/face/search", files=image_file(cast[0].other_photo()))
        bob = await http.post("/api/persons/search", files=image_file(cast[1].other_photo()))
        stored = (await http.get("/api/faces")).json()["faces"]

    assert sorted((person["displayName"], person["faceCount"]) for person in persons) == [
        ("Ada", 2),
        ("Bob", 1),
        ("Cy", 1),
    ]
    assert ada.json()["verdict"] == "match"
    assert [match["displayName"] for match in ada.json()["matches"]] == ["Ada", "Ada"]
    assert len({match["personId"] for match in ada.json()["matches"]}) == 1
    assert bob.json()["verdict"] == "match"
    assert bob.json()["matches"][0]["displayName"] == "Bob"
    assert {face["collection"] for face in stored} == {"default"}
    assert len(stored) == len(SEED_ROWS)


async def test_match_faces_keeps_its_meaning_and_match_persons_names_persons(
    seed_database: str, client: httpx.AsyncClient, photos: Photos
) -> None:
    cast = people(photos)
    [probe, ada] = await embeddings(client, [cast[0].other_photo(), cast[0].photo()])
    await asyncio.to_thread(upgrade_to_head, seed_database)
    connection = await asyncpg.connect(asyncpg_url(seed_database))
    try:
        collection = await connection.fetchval("SELECT id FROM collections WHERE name = 'default'")
        other = await connection.fetchval("INSERT INTO collections (name) VALUES ('other') RETURNING id")
        for collection_id in (collection, other):
            person = await connection.fetchval(
                "INSERT INTO persons (collection_id, display_name) VALUES ($1, 'Ada') RETURNING id",
                collection_id,
            )
            await connection.execute(
                """
                INSERT INTO faces (display_name, person_id, collection_id, face_vec, model, det_score, box,
                                   landmarks)
                VALUES ('Ada', $1, $2, $3::real[]::vector, 'buffalo_s', 0.9, '{0,0,1,1}',
                        '{0,0,0,0,0,0,0,0,0,0}')
                """,
                person,
                collection_id,
                ada,
            )
        query = np.asarray(probe, dtype=np.float32).tolist()
        faces = await connection.fetch("SELECT * FROM match_faces($1::real[]::vector, 5, 0.6)", query)
        persons = await connection.fetch(
            "SELECT * FROM match_persons('other', $1::real[]::vector, 5, 0.6)", query
        )
    finally:
        await connection.close()

    assert len(faces) == 1  # the default collection only
    assert faces[0]["display_name"] == "Ada"
    assert faces[0]["score"] > 0.4
    assert len(persons) == 1
    assert persons[0]["person_id"] != faces[0]["id"]
    assert persons[0]["display_name"] == "Ada"
