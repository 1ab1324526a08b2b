"""Issue 12, search at 1M: the nearest persons first, through an index of one vector per person.

A person's vector is the sum of their faces' vectors (cosine distance to the sum is the distance to their
mean); each person found brings their latest 64 faces, ranked exactly, as the widening does. The idea: the
persons' graph holds a fifth of the faces' graph's nodes here (5 photos per identity), and a mean lies
nearer a new photo of its person than most single photos do. Compared, every query in rotating order, with
the faces' graph widened (the service's search) on the query sets of `widened`; and the single-row insert
rate with and without a trigger that keeps the sums. (It found less at every cost: docs/BENCHMARKS.md,
"Search at 1M, persons first".)
"""

from __future__ import annotations

import argparse
import time
import uuid

import asyncpg

from bench.scale import celeba
from bench.scale.collection_search import own_collection
from bench.scale.dataset import INSERT, ScaleData, make_scale_data
from bench.scale.indexes import VECTOR_INDEXES
from bench.scale.measure import IN_COLLECTION, Strategy, indexes_present, prewarm
from bench.scale.quantized import RELAXED, member_queries
from bench.scale.widened import compare_sets, widen, widened_strategies
from bench.store_search import BOX, LANDMARKS, MODEL, log, mib

INSERTED = "inserted by bench.scale persons"

TABLE = """
CREATE TABLE person_vectors (
    person_id uuid PRIMARY KEY,
    collection_id uuid NOT NULL,
    total vector(512) NOT NULL,
    faces integer NOT NULL
)
"""
INDEX = "CREATE INDEX person_vectors_hnsw ON person_vectors USING hnsw (total vector_cosine_ops)"
FILL = """
INSERT INTO person_vectors
SELECT person_id, min(collection_id::text)::uuid, sum(face_vec), count(*) FROM faces GROUP BY person_id
"""
# The persons nearest the query (by their mean), then their faces ranked exactly.
PERSONS_FIRST = widen(
    "SELECT person_id FROM person_vectors WHERE true{filter} ORDER BY total <=> $1 LIMIT {persons}",
    keep_found=False,
)
# The nearest persons and the persons of the face graph's nearest faces, together (both walks at one
# ef_search).
BOTH = widen(
    "(SELECT person_id FROM person_vectors WHERE true{filter} ORDER BY total <=> $1 LIMIT {persons})\n"
    "    UNION\n"
    "    (SELECT person_id FROM faces WHERE model = $2{filter} ORDER BY face_vec <=> $1 LIMIT $3)",
    keep_found=False,
)
# A trigger that adds each new face to its person's sum, on the benchmark's table (one pack).
ADD_TRIGGER = """
CREATE OR REPLACE FUNCTION add_faces_to_persons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO person_vectors
    SELECT person_id, min(collection_id::text)::uuid, sum(face_vec), count(*) FROM added_rows
    GROUP BY person_id ORDER BY person_id
    ON CONFLICT (person_id) DO UPDATE
    SET total = person_vectors.total + excluded.total, faces = person_vectors.faces + excluded.faces;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER add_faces_to_persons AFTER INSERT ON faces REFERENCING NEW TABLE AS added_rows
FOR EACH STATEMENT EXECUTE FUNCTION add_faces_to_persons();
"""
RESUM = """
UPDATE person_vectors AS pv SET total = s.total, faces = s.n
FROM (SELECT person_id, sum(face_vec) AS total, count(*) AS n FROM faces
      WHERE person_id = ANY($1::uuid[]) GROUP BY person_id) AS s
WHERE pv.person_id = s.person_id
"""
INSERT_BLOCK = 25
FACE_EF_SEARCHES = (40, 80, 200)
BOTH_EF_SEARCHES = (10, 20)
PERSON_EF_SEARCHES = (10, 20, 40, 80)
PERSONS = (10, 20)


def strategies(filtered: bool) -> list[Strategy]:
    where = IN_COLLECTION if filtered else ""
    faces = widened_strategies(FACE_EF_SEARCHES, where)
    persons = [
        Strategy(
            f"person HNSW, ef_search {ef}, {count} persons' faces ranked",
            PERSONS_FIRST.format(filter=where, persons=count),
            (f"hnsw.ef_search = {max(ef, count)}", RELAXED),
        )
        for count in PERSONS
        for ef in PERSON_EF_SEARCHES
        if ef >= count
    ]
    both = [
        Strategy(
            f"person HNSW and face HNSW, ef_search {ef}, 10 persons and the faces' persons ranked",
            BOTH.format(filter=where, persons=10),
            (f"hnsw.ef_search = {ef}", RELAXED),
        )
        for ef in BOTH_EF_SEARCHES
    ]
    return faces + persons + both  # the baseline, the service's search (face ef_search 200), is third


async def build(conn: asyncpg.Connection) -> str:
    if await conn.fetchval("SELECT to_regclass('person_vectors') IS NOT NULL"):
        return "person_vectors kept from an earlier run"
    await conn.execute(TABLE)
    await conn.execute("ALTER TABLE person_vectors ALTER COLUMN total SET STORAGE PLAIN")
    started = time.perf_counter()
    await conn.execute(FILL)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    await conn.execute(INDEX)
    indexed = time.perf_counter() - started
    await conn.execute("VACUUM ANALYZE person_vectors")
    persons = await conn.fetchval("SELECT count(*) FROM person_vectors")
    size = await conn.fetchval("SELECT pg_relation_size('person_vectors_hnsw')")
    return (
        f"`person_vectors`: {persons:,} persons summed from `faces` in {filled:,.0f} s; "
        f"their HNSW index (m=16, ef_construction=64) built in {indexed:,.0f} s, {mib(size)} MiB."
    )


async def insert_rates(conn: asyncpg.Connection, scale: ScaleData, count: int) -> str:
    """Single-row INSERTs of new photos of stored persons (the generator's spare queries), in blocks with
    and without the person trigger, alternating; the rows are deleted and their persons' sums restored."""
    rows = [
        (
            uuid.uuid4(),
            scale.collection_ids[int(scale.identity_collection[identity])],
            scale.person_ids[identity],
            INSERTED,
            vector,
            MODEL,
            0.9,
            BOX,
            LANDMARKS,
        )
        for vector, identity in scale.spare_members(count)
    ]
    await conn.execute(ADD_TRIGGER)
    seconds = {True: 0.0, False: 0.0}
    try:
        for block, first in enumerate(range(0, count, INSERT_BLOCK)):
            with_trigger = block % 2 == 0
            state = "ENABLE" if with_trigger else "DISABLE"
            await conn.execute(f"ALTER TABLE faces {state} TRIGGER add_faces_to_persons")
            started = time.perf_counter()
            for row in rows[first : first + INSERT_BLOCK]:
                await conn.execute(INSERT, *row)
            seconds[with_trigger] += time.perf_counter() - started
    finally:
        await conn.execute("DROP TRIGGER add_faces_to_persons ON faces")
        await conn.execute("DELETE FROM faces WHERE display_name = $1", INSERTED)
        await conn.execute(RESUM, [row[2] for row in rows])
    each = count / 2
    return (
        f"Single-row INSERTs into the indexed table ({count} new photos of stored persons, blocks of "
        f"{INSERT_BLOCK} alternating): **{each / seconds[False]:,.1f} rows/s without the person trigger, "
        f"{each / seconds[True]:,.1f} rows/s with it** ({1000 * seconds[False] / each:,.1f} against "
        f"{1000 * seconds[True] / each:,.1f} ms each)."
    )


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = make_scale_data(args.rows, args.seed)
    query_sets = [(member_queries(scale, args.queries), False)]
    if args.celeba:
        query_sets.append((await celeba.query_set(conn, args, scale, filtered=False), False))
    query_sets.append((own_collection(scale, True, args.queries), True))
    built = await build(conn)
    log(built)
    present = await indexes_present(conn)
    await prewarm(
        conn,
        [
            *sorted(present.intersection(VECTOR_INDEXES)),
            "faces_person",
            "person_vectors",
            "person_vectors_hnsw",
        ],
    )
    sections = [built, *await compare_sets(conn, scale, query_sets, strategies, baseline=2)]
    sections.append(await insert_rates(conn, scale, args.inserts))
    return "\n\n".join(sections)
