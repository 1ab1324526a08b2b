"""The two ways a collection is searched (exact scan, filtered HNSW) rank the same faces, each as planned,
whatever pack each face was registered with."""

import uuid

import asyncpg
import numpy as np
import pytest

from facerec.db.faces import (
    _EXACT_NEAREST,
    _NEAREST,
    _WIDENED,
    EF_SEARCH,
    EF_SEARCH_IN_PART,
    WIDEN_FACES,
    FaceStore,
    ef_search_for,
)
from facerec.db.rejections import RejectionStore
from facerec.models.faces import FloatArray

FACES_PER_COLLECTION = 40


def unit_vectors(count: int, seed: int) -> FloatArray:
    vectors = np.random.default_rng(seed).normal(size=(count, 512)).astype(np.float32)
    return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


async def fill(
    connection: asyncpg.Connection, name: str, vectors: FloatArray
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    collection_id = await connection.fetchval("INSERT INTO collections (name) VALUES ($1) RETURNING id", name)
    person_id = await connection.fetchval(
        "INSERT INTO persons (collection_id, display_name) VALUES ($1, 'x') RETURNING id", collection_id
    )
    ids = [uuid.uuid4() for _ in vectors]
    await connection.executemany(
        """
        INSERT INTO faces (id, person_id, collection_id, display_name, face_vec, model, det_score, box,
                           landmarks)
        VALUES ($1, $2, $3, 'x', $4, 'buffalo_s', 0.9, '{0,0,1,1}', '{0,0,0,0,0,0,0,0,0,0}')
        """,
        [(face_id, person_id, collection_id, vector) for face_id, vector in zip(ids, vectors, strict=True)],
    )
    return collection_id, ids


async def test_exact_and_hnsw_search_rank_the_collection_alike(connection: asyncpg.Connection) -> None:
    mine, others = unit_vectors(FACES_PER_COLLECTION, 1), unit_vectors(FACES_PER_COLLECTION, 2)
    collection_id, ids = await fill(connection, "mine", mine)
    await fill(connection, "others", others)
    query = unit_vectors(1, 3)[0]
    expected = [ids[index] for index in np.argsort(-(mine @ query))[:10]]

    exact = await FaceStore(connection).nearest(collection_id, query, model="buffalo_s", limit=10)
    graph = await FaceStore(connection, exact_scan_max=0).nearest(
        collection_id, query, model="buffalo_s", limit=10
    )

    assert [match.id for match in exact] == expected
    assert [match.id for match in graph] == expected
    assert exact[0].score == pytest.approx(float(np.max(mine @ query)), abs=1e-5)


async def test_faces_re_embedded_with_the_pack_are_searched_by_both_ways(
    connection: asyncpg.Connection,
) -> None:
    """Half the faces were registered with another pack and re-embedded with buffalo_s
    (`face_embeddings`): both ways rank the whole collection as one set, and the other pack's vectors
    stay out of it."""
    mine = unit_vectors(FACES_PER_COLLECTION, 5)
    collection_id, ids = await fill(connection, "switching", mine)
    moved = ids[::2]
    await connection.execute(
        """
        INSERT INTO face_embeddings (face_id, model, collection_id, embedding)
        SELECT id, model, collection_id, face_vec FROM faces WHERE id = ANY($1::uuid[])
        """,
        moved,
    )
    old = unit_vectors(len(moved), 6)
    await connection.executemany(
        "UPDATE faces SET model = 'old_pack', face_vec = $2 WHERE id = $1",
        list(zip(moved, old, strict=True)),
    )
    query = unit_vectors(1, 7)[0]
    expected = [ids[index] for index in np.argsort(-(mine @ query))[:10]]

    exact = await FaceStore(connection).nearest(collection_id, query, model="buffalo_s", limit=10)
    graph = await FaceStore(connection, exact_scan_max=0).nearest(
        collection_id, query, model="buffalo_s", limit=10
    )
    old_pack = await FaceStore(connection).nearest(collection_id, query, model="old_pack", limit=100)

    assert [match.id for match in exact] == expected
    assert [match.id for match in graph] == expected
    assert sorted(match.id for match in old_pack) == sorted(moved)


async def test_a_rejection_of_a_stored_face_follows_the_face_to_its_new_pack(
    connection: asyncpg.Connection,
) -> None:
    """A face rejected for a person under the old pack keeps that person out of searches with the new
    pack once the face has a new vector."""
    vectors = unit_vectors(2, 8)
    collection_id, (face_id, _) = await fill(connection, "rejected", vectors)
    person_id = await connection.fetchval("SELECT person_id FROM faces WHERE id = $1", face_id)
    old = unit_vectors(1, 9)[0]
    await RejectionStore(connection).add(
        collection_id, person_id, embedding=old, model="old_pack", face_id=face_id
    )
    rejected = RejectionStore(connection).persons_rejected
    await connection.execute("UPDATE faces SET model = 'old_pack', face_vec = $2 WHERE id = $1", face_id, old)

    assert await rejected(collection_id, vectors[0], model="buffalo_s", similarity=0.8) == set()
    await connection.execute(
        """
        INSERT INTO face_embeddings (face_id, model, collection_id, embedding)
        SELECT id, 'buffalo_s', collection_id, $2 FROM faces WHERE id = $1
        """,
        face_id,
        vectors[0],
    )
    assert await rejected(collection_id, vectors[0], model="buffalo_s", similarity=0.8) == {person_id}
    assert await rejected(collection_id, old, model="old_pack", similarity=0.8) == {person_id}


async def test_the_exact_scan_never_uses_the_vector_index(connection: asyncpg.Connection) -> None:
    # Make the vector index as tempting as on a big table, where sorting a million distances costs most.
    await connection.execute("SET LOCAL enable_sort = off")
    plan = "\n".join(
        row[0]
        for row in await connection.fetch(
            f"EXPLAIN {_EXACT_NEAREST}", unit_vectors(1, 4)[0], "buffalo_s", uuid.uuid4(), 10
        )
    )

    assert "faces_face_vec_hnsw" not in plan


async def add_person(
    connection: asyncpg.Connection, collection_id: uuid.UUID, vectors: FloatArray
) -> list[uuid.UUID]:
    """A person with these faces, inserted one after another (the last is the latest)."""
    person_id = await connection.fetchval(
        "INSERT INTO persons (collection_id, display_name) VALUES ($1, 'x') RETURNING id", collection_id
    )
    ids = []
    for vector in vectors:
        ids.append(
            await connection.fetchval(
                """
                INSERT INTO faces (person_id, collection_id, display_name, face_vec, model, det_score, box,
                                   landmarks, inserted_at)
                VALUES ($1, $2, 'x', $3, 'buffalo_s', 0.9, '{0,0,1,1}', '{0,0,0,0,0,0,0,0,0,0}',
                        clock_timestamp())
                RETURNING id
                """,
                person_id,
                collection_id,
                vector,
            )
        )
    return ids


def photos_of(center: FloatArray, count: int, seed: int) -> FloatArray:
    """Unit vectors about 0.7 cosine from `center`, as a person's photos are from their mean."""
    noise = unit_vectors(count, seed)
    return np.asarray([vector / np.linalg.norm(vector) for vector in (center + noise)], dtype=np.float32)


async def test_a_person_found_by_one_face_brings_their_others(connection: asyncpg.Connection) -> None:
    """The graph search of a large table finds some of a person's photos and misses others; here it finds
    one face (a stand-in for the graph): the person's other faces are ranked with it, exactly, before any
    face of the other persons."""
    collection_id = await connection.fetchval(
        "INSERT INTO collections (name) VALUES ('widened') RETURNING id"
    )
    centers = unit_vectors(3, 10)
    photos = [photos_of(center, 5, seed=11 + index) for index, center in enumerate(centers)]
    persons = [await add_person(connection, collection_id, vectors) for vectors in photos]
    one_face = """
        SELECT face_id FROM face_vectors WHERE model = $2 AND collection_id = $3
        ORDER BY embedding <=> $1
        LIMIT 1
    """
    query = _NEAREST.format(ranked=_WIDENED.format(graph=one_face, widen=WIDEN_FACES))

    rows = await connection.fetch(query, centers[0], "buffalo_s", collection_id, 10)

    scores = photos[0] @ centers[0]
    assert [row["id"] for row in rows] == [persons[0][index] for index in np.argsort(-scores)]
    assert [row["score"] for row in rows] == pytest.approx(sorted(scores, reverse=True), abs=1e-5)


async def test_a_person_brings_only_their_latest_faces(connection: asyncpg.Connection) -> None:
    collection_id = await connection.fetchval("INSERT INTO collections (name) VALUES ('capped') RETURNING id")
    center = unit_vectors(1, 12)[0]
    ids = await add_person(connection, collection_id, photos_of(center, 6, 13))
    first_face = """
        SELECT id AS face_id FROM faces WHERE collection_id = $3 AND model = $2 AND $1::vector IS NOT NULL
        ORDER BY inserted_at
        LIMIT 1
    """
    query = _NEAREST.format(ranked=_WIDENED.format(graph=first_face, widen=2))
    rows = await connection.fetch(query, center, "buffalo_s", collection_id, 10)

    assert sorted(row["id"] for row in rows) == sorted([ids[0], *ids[-2:]])


def test_a_collection_of_a_tenth_of_the_table_or_less_keeps_fewer_candidates() -> None:
    assert ef_search_for(100_000, 1_000_000) == EF_SEARCH_IN_PART
    assert ef_search_for(100_001, 1_000_000) == EF_SEARCH
    assert ef_search_for(6_000, 0) == EF_SEARCH  # a table not yet analysed


async def ef_search_of_a_search(connection: asyncpg.Connection, collection_id: uuid.UUID) -> int:
    """The candidates the graph search of the collection kept."""
    async with connection.transaction():
        await FaceStore(connection, exact_scan_max=0).nearest(
            collection_id, unit_vectors(1, 22)[0], model="buffalo_s", limit=10
        )
        return int(await connection.fetchval("SHOW hnsw.ef_search"))


async def counted(connection: asyncpg.Connection) -> None:
    """Have the rows this connection inserted and deleted counted in the statistics now (a backend reports
    them when idle, at most once a second)."""
    await connection.execute("SELECT pg_stat_force_next_flush()")


async def test_a_collection_keeps_fewer_candidates_while_it_is_a_small_part_of_the_table(
    committing: asyncpg.Connection,
) -> None:
    """20 faces of 220 are a small part; once the other 200 are deleted they are the whole table, though
    the planner's estimate still counts 220 (the table is not analysed again: autovacuum is off here)."""
    await committing.execute("ALTER TABLE faces SET (autovacuum_enabled = false)")
    collection_id, _ = await fill(committing, "part", unit_vectors(20, 20))
    rest, _ = await fill(committing, "rest", unit_vectors(200, 21))
    await counted(committing)  # before ANALYZE, which sets the live rows: else the inserts count twice
    await committing.execute("ANALYZE faces")
    assert await ef_search_of_a_search(committing, collection_id) == EF_SEARCH_IN_PART

    await committing.execute("DELETE FROM faces WHERE collection_id = $1", rest)
    await counted(committing)
    assert await committing.fetchval("SELECT reltuples FROM pg_class WHERE relname = 'faces'") == 220
    assert await ef_search_of_a_search(committing, collection_id) == EF_SEARCH


@pytest.mark.parametrize(
    ("exact_scan_max", "walk"), [(FACES_PER_COLLECTION, "off"), (FACES_PER_COLLECTION - 1, "relaxed_order")]
)
async def test_a_collection_larger_than_the_exact_scan_limit_walks_the_graph(
    connection: asyncpg.Connection, exact_scan_max: int, walk: str
) -> None:
    collection_id, _ = await fill(connection, "limit", unit_vectors(FACES_PER_COLLECTION, 23))

    await FaceStore(connection, exact_scan_max=exact_scan_max).nearest(
        collection_id, unit_vectors(1, 24)[0], model="buffalo_s", limit=10
    )

    assert await connection.fetchval("SHOW hnsw.iterative_scan") == walk
