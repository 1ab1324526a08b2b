"""Issue 12, search at 1M through the service's own code: `FaceStore.nearest` on the migrated schema.

The other scale benchmarks search a table of their own (`bench_scale.faces`, the columns of `faces` only).
This one migrates the database's public schema as `facerec serve` does, copies the 1M faces into it as one
collection of one million faces (their persons too), rebuilds the migration's vector index after the copy,
and times the whole `FaceStore.nearest` call (the size query, the settings, the search through the
`face_vectors` view, the widening) against the same widened search on the benchmark's table, every query
through both in rotating order; then registering's insert (`FaceStore.add`, one face a transaction) into
that collection, with every index and trigger of the migrations.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import asyncpg
import numpy as np

from bench.scale.dataset import ScaleData, make_scale_data
from bench.scale.indexes import HNSW_WITH, INDEXES
from bench.scale.measure import Search, compare_searches, prewarm, search
from bench.scale.quantized import member_queries
from bench.scale.widened import widened_strategies
from bench.store_search import BOX, LANDMARKS, MODEL, TOP_K, Matrix, configure, log
from facerec.db.faces import EF_SEARCH, FaceStore
from facerec.db.migrate import upgrade_to_head
from facerec.db.pool import init_connection
from facerec.domain import NewFace
from facerec.matching import CANDIDATES
from facerec.models.faces import Box

COLLECTION = "million"
INDEX = "faces_face_vec_hnsw"
INDEX_SQL = f"CREATE INDEX {INDEX} ON faces USING hnsw ({INDEXES['faces_vec_hnsw']}) {HNSW_WITH.format(m=16)}"


async def load(service: asyncpg.Connection, args: argparse.Namespace) -> str:
    """Copy the benchmark's faces into the migrated schema without its vector index, then build the index
    (each step once: a run stopped half way goes on where it stopped); what they took."""
    done = []
    if not await service.fetchval("SELECT count(*) FROM collections WHERE name = $1", COLLECTION):
        await service.execute(f"DROP INDEX IF EXISTS {INDEX}")
        started = time.perf_counter()
        async with service.transaction():  # all of it or none: the next run starts again
            await copy(service)
        done.append(
            f"filled with {await service.fetchval('SELECT count(*) FROM faces'):,} faces in "
            f"{time.perf_counter() - started:,.0f} s"
        )
    if not await service.fetchval("SELECT to_regclass($1) IS NOT NULL", INDEX):
        log(f"building {INDEX}")
        await configure(service, args.maintenance_work_mem, args.parallel_workers)
        started = time.perf_counter()
        await service.execute(INDEX_SQL)
        done.append(
            f"`{INDEX}` (as migration 0001 defines it) built in {time.perf_counter() - started:,.0f} s"
        )
        await service.execute("VACUUM ANALYZE faces")
    return (
        f"The migrated schema {'; '.join(done)}." if done else "The migrated schema kept from an earlier run."
    )


async def copy(service: asyncpg.Connection) -> None:
    collection_id = await service.fetchval(
        "INSERT INTO collections (name) VALUES ($1) RETURNING id", COLLECTION
    )
    await service.execute(
        """
        INSERT INTO persons (id, collection_id, display_name)
        SELECT DISTINCT person_id, $1::uuid, 'person' FROM bench_scale.faces
        """,
        collection_id,
    )
    await service.execute(
        """
        INSERT INTO faces (id, person_id, collection_id, display_name, face_vec, model, det_score, box,
                           landmarks, inserted_at)
        SELECT id, person_id, $1, 'person', face_vec, model, det_score, box, landmarks, inserted_at
        FROM bench_scale.faces
        """,
        collection_id,
    )


# The widened search on the benchmark's table at the service's settings.
BENCH_WIDENED = widened_strategies((EF_SEARCH,), "")[0]


async def bench_widened(conn: asyncpg.Connection, vector: Matrix) -> tuple[list[uuid.UUID], float]:
    """Timed as the service's call is: the transaction and its settings included."""
    searched = await search(conn, BENCH_WIDENED, vector, None, limit=CANDIDATES)
    return searched.ids[:TOP_K], searched.transaction_ms


async def service_nearest(
    service: asyncpg.Connection, collection_id: uuid.UUID, vector: Matrix
) -> tuple[list[uuid.UUID], float]:
    """`FaceStore.nearest` as `FaceService.search` calls it (top k 10: CANDIDATES faces), in a transaction."""
    started = time.perf_counter()
    async with service.transaction():
        matches = await FaceStore(service).nearest(collection_id, vector, model=MODEL, limit=CANDIDATES)
    return [match.id for match in matches][:TOP_K], (time.perf_counter() - started) * 1000


async def insert_rate(
    service: asyncpg.Connection, collection_id: uuid.UUID, scale: ScaleData, count: int
) -> str:
    """`FaceStore.add` one face per transaction, as registering does: new photos of stored persons (the
    generator's spare member queries), deleted afterwards."""
    faces = [
        NewFace(
            id=uuid.uuid4(),
            person_id=scale.person_ids[identity],
            image_url=None,
            embedding=vector,
            model=MODEL,
            det_score=0.9,
            box=Box(*BOX),
            landmarks=np.asarray(LANDMARKS, dtype=np.float32).reshape(5, 2),
            metadata={},
            image=None,
        )
        for vector, identity in scale.spare_members(count)
    ]
    started = time.perf_counter()
    for face in faces:
        async with service.transaction():
            await FaceStore(service).add(collection_id, face)
    seconds = time.perf_counter() - started
    await service.execute("DELETE FROM faces WHERE id = ANY($1::uuid[])", [face.id for face in faces])
    stored = await service.fetchval("SELECT face_count FROM collections WHERE id = $1", collection_id)
    return (
        f"`FaceStore.add`, one face a transaction into the collection of {stored:,} faces, with every index "
        f"and trigger of the migrations: **{count / seconds:,.1f} faces/s** "
        f"({1000 * seconds / count:,.1f} ms each, {count} faces)."
    )


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = make_scale_data(args.rows, args.seed)
    await asyncio.to_thread(upgrade_to_head, args.url)
    service = await asyncpg.connect(args.url)
    try:
        await init_connection(service)
        loaded = await load(service, args)
        log(loaded)
        collection_id = await service.fetchval("SELECT id FROM collections WHERE name = $1", COLLECTION)
        await prewarm(conn, ["faces_vec_hnsw", "faces_person"])
        await prewarm(service, [INDEX, "faces_person"])
        queries = member_queries(scale, args.queries)
        searches: dict[str, Search] = {
            f"the benchmark's table, widened SQL at ef_search {EF_SEARCH}": lambda v, _: bench_widened(
                conn, v
            ),
            "the service's schema, `FaceStore.nearest`": lambda v, _: service_nearest(
                service, collection_id, v
            ),
        }
        table = await compare_searches(searches, queries, next(iter(searches)))
        inserted = await insert_rate(service, collection_id, scale, args.inserts)
    finally:
        await service.close()
    title = f"**synthetic** ({len(queries.vectors)} queries, one collection of all faces)"
    return f"{loaded}\n\n{title}:\n\n{table}\n\n{inserted}"
