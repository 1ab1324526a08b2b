"""The person and face counts kept on each collection (migration 0007) equal a real count after every kind
of change: inserts of one row and of many, deletes that cascade, a deleted collection, TRUNCATE, and the
upgrade of a database that already holds faces."""

import asyncio
import uuid

import asyncpg
from pgvector.asyncpg import register_vector

from facerec.db.migrate import upgrade_to, upgrade_to_head
from facerec.db.urls import asyncpg_url
from tests.db.fresh import fresh_database
from tests.db.test_face_search import fill, unit_vectors

REAL_COUNTS = """
    SELECT c.name, c.person_count, c.face_count,
           (SELECT count(*) FROM persons AS p WHERE p.collection_id = c.id) AS persons,
           (SELECT count(*) FROM faces AS f WHERE f.collection_id = c.id) AS faces
    FROM collections AS c ORDER BY c.name
"""


async def counts(connection: asyncpg.Connection) -> dict[str, tuple[int, int]]:
    """Each collection's (persons, faces), after checking that the kept counts equal the real ones."""
    rows = await connection.fetch(REAL_COUNTS)
    assert [(row["person_count"], row["face_count"]) for row in rows] == [
        (row["persons"], row["faces"]) for row in rows
    ]
    return {row["name"]: (row["persons"], row["faces"]) for row in rows}


async def test_counts_follow_every_insert_and_delete(committing: asyncpg.Connection) -> None:
    mine, _ = await fill(committing, "mine", unit_vectors(5, 1))
    await fill(committing, "theirs", unit_vectors(3, 2))
    assert await counts(committing) == {"default": (0, 0), "mine": (1, 5), "theirs": (1, 3)}

    # many persons in one statement, then one more face for one of them
    added = await committing.fetch(
        "INSERT INTO persons (collection_id, display_name) "
        "SELECT $1, 'p' || n FROM generate_series(1, 4) AS n RETURNING id",
        mine,
    )
    await committing.execute(
        """
        INSERT INTO faces (person_id, collection_id, display_name, face_vec, model, det_score, box, landmarks)
        VALUES ($1, $2, 'p1', $3, 'buffalo_s', 0.9, '{0,0,1,1}', '{0,0,0,0,0,0,0,0,0,0}')
        """,
        added[0]["id"],
        mine,
        unit_vectors(1, 3)[0],
    )
    assert (await counts(committing))["mine"] == (5, 6)

    # a person deleted takes their face with them; one face deleted alone
    await committing.execute("DELETE FROM persons WHERE id = $1", added[0]["id"])
    await committing.execute(
        "DELETE FROM faces WHERE id = (SELECT id FROM faces WHERE collection_id = $1 LIMIT 1)", mine
    )
    assert (await counts(committing))["mine"] == (4, 4)

    # a deleted collection takes everything in it, and leaves the others' counts alone
    await committing.execute("DELETE FROM collections WHERE name = 'theirs'")
    assert await counts(committing) == {"default": (0, 0), "mine": (4, 4)}

    # a transaction rolled back leaves the counts as they were
    transaction = committing.transaction()
    await transaction.start()
    await committing.execute("DELETE FROM persons WHERE collection_id = $1", mine)
    await transaction.rollback()
    assert (await counts(committing))["mine"] == (4, 4)

    await committing.execute("TRUNCATE faces, persons CASCADE")
    assert await counts(committing) == {"default": (0, 0), "mine": (0, 0)}


async def test_an_upgrade_counts_what_is_already_stored(database_url: str) -> None:
    async with fresh_database(database_url) as url:
        await asyncio.to_thread(upgrade_to, url, "0006")
        connection = await asyncpg.connect(asyncpg_url(url))
        await register_vector(connection)
        try:
            await fill(connection, f"c{uuid.uuid4().hex[:6]}", unit_vectors(7, 4))
            await asyncio.to_thread(upgrade_to_head, url)
            assert sorted((await counts(connection)).values()) == [(0, 0), (1, 7)]
        finally:
            await connection.close()
