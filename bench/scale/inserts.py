"""Issue 12, bulk loading: insert rates into the indexed 1M table, and index build time against settings.

`inserts` adds fresh photos of stored people (the generator's spare queries) to the 1M table: one INSERT per
transaction, as registering does, then one COPY; it deletes them afterwards. `builds` loads a smaller copy
in its own schema and times the vector index build under several maintenance settings.
"""

from __future__ import annotations

import argparse
import time
import uuid

import asyncpg

from bench.scale.dataset import COLUMNS, INSERT, SCHEMA, ScaleData, load, make_scale_data
from bench.scale.indexes import index_sql
from bench.scale.measure import indexes_present
from bench.store_search import BOX, LANDMARKS, MODEL, create_index, log, mib

BUILD_SCHEMA = "bench_scale_builds"
INSERTED = "inserted by bench.scale"
# (maintenance_work_mem, max_parallel_maintenance_workers) tried by `builds`
BUILD_SETTINGS = (("64MB", 0), ("2GB", 0), ("2GB", 1))


def spare_rows(scale: ScaleData, start: int, count: int) -> list[tuple[object, ...]]:
    """New faces of stored people (queries the benchmarks do not use), in the small collection 1."""
    collection = scale.collection_ids[1]
    return [
        (uuid.uuid4(), collection, uuid.uuid4(), INSERTED, vector, MODEL, 0.9, BOX, LANDMARKS)
        for vector in scale.data.queries[start : start + count]
    ]


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = make_scale_data(args.rows, args.seed)
    present = sorted(await indexes_present(conn))
    single = spare_rows(scale, len(scale.data.queries) - 2 * args.inserts, args.inserts)
    log(f"{len(single)} single-row inserts with {present}")
    started = time.perf_counter()
    for row in single:
        await conn.execute(INSERT, *row)
    single_s = time.perf_counter() - started
    copied = spare_rows(scale, len(scale.data.queries) - args.inserts, args.inserts)
    log(f"COPY of {len(copied)} rows")
    started = time.perf_counter()
    await conn.copy_records_to_table("faces", schema_name=SCHEMA, columns=list(COLUMNS), records=copied)
    copy_s = time.perf_counter() - started
    await conn.execute("DELETE FROM faces WHERE display_name = $1", INSERTED)
    return (
        f"| {', '.join(f'`{name}`' for name in present)} | {args.inserts / single_s:,.1f} "
        f"| {1000 * single_s / args.inserts:,.1f} | {args.inserts / copy_s:,.1f} |"
    )


async def run_builds(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    vector_schema = await conn.fetchval(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
    )
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {BUILD_SCHEMA}")
    await conn.execute(f"SET search_path = {BUILD_SCHEMA}, {vector_schema}")
    scale = make_scale_data(args.build_rows, args.seed)
    copy_s, btree_s = await load(conn, scale, BUILD_SCHEMA)
    lines = [
        f"{args.build_rows:,} rows: COPY {copy_s:,.1f} s ({args.build_rows / copy_s:,.0f} rows/s), "
        f"btrees {btree_s:,.1f} s.",
        "",
        "| maintenance_work_mem | max_parallel_maintenance_workers | build s | rows/s | index MiB "
        "| graph fit in memory |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for memory, workers in BUILD_SETTINGS:
        await conn.execute(f"SET maintenance_work_mem = '{memory}'")
        await conn.execute(f"SET max_parallel_maintenance_workers = {workers}")
        await conn.execute("DROP INDEX IF EXISTS faces_vec_hnsw")
        log(f"building with {memory}, {workers} workers")
        built = await create_index(conn, "faces_vec_hnsw", index_sql("faces_vec_hnsw"))
        lines.append(
            f"| {memory} | {workers} | {built.seconds:,.1f} | {args.build_rows / built.seconds:,.0f} "
            f"| {mib(built.index_bytes)} | {'yes' if built.graph_fit_in_memory else 'no'} |"
        )
    await conn.execute(f"DROP SCHEMA {BUILD_SCHEMA} CASCADE")
    return "\n".join(lines)
