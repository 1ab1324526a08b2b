"""Register writes the person, the face and its photo in one transaction: when the photo cannot be written
(a trigger fails it), nothing of the registration stays."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from facerec.db.urls import asyncpg_url
from tests.api.faces import people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos

FAIL_PHOTO_WRITES = """
CREATE FUNCTION test_fail_photo_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'injected fault: the photo cannot be written'; END $$;
CREATE TRIGGER test_fail_photo_write BEFORE INSERT ON face_images
FOR EACH ROW EXECUTE FUNCTION test_fail_photo_write();
"""
RESTORE = "DROP TRIGGER test_fail_photo_write ON face_images; DROP FUNCTION test_fail_photo_write()"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        yield connection
    finally:
        await connection.close()


async def test_a_photo_that_cannot_be_written_leaves_no_face_and_no_person(
    client: httpx.AsyncClient, photos: Photos, database: asyncpg.Connection
) -> None:
    await database.execute(FAIL_PHOTO_WRITES)
    try:
        # an unexpected database error: logged, and answered with a 500 in the one error body
        failed = await client.post(
            "/api/face/register", files=image_file(people(photos)[0].photo()), data={"displayName": "Ada"}
        )
        assert_error(failed, 500, "internal_error")
    finally:
        await database.execute(RESTORE)

    assert await database.fetchval("SELECT count(*) FROM faces") == 0
    assert await database.fetchval("SELECT count(*) FROM persons") == 0

    retried = await client.post(
        "/api/face/register", files=image_file(people(photos)[0].photo()), data={"displayName": "Ada"}
    )
    assert retried.status_code == 201, retried.text
    assert await database.fetchval("SELECT count(*) FROM face_images") == 1
