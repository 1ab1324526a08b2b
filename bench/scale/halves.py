"""Issue 12, search at 1M: the table's graph split in two halves, both searched at once on two connections.

pgvector walks one HNSW graph on one core. Split by a hash of the face id, each half of the table has a
vector index of its own (a partial index, `bench.scale.indexes.HALVES`); a query searches both halves at
the same time, one connection each, each half's nearest faces widened to their persons' faces as the
service widens, and the two answers are merged. A person is missed only where both walks miss them: each
half holds some of their photos. Compared, every query in rotating order, with the one graph of the whole
table widened (the service's search). (The same curve: docs/BENCHMARKS.md, "the graph in two halves".)
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import asyncpg

from bench.scale import celeba
from bench.scale.collection_search import own_collection
from bench.scale.dataset import SCHEMA, make_scale_data
from bench.scale.indexes import HALVES
from bench.scale.measure import (
    IN_COLLECTION,
    Scope,
    Search,
    Strategy,
    compare_searches,
    indexes_present,
    plan_of,
    prewarm,
)
from bench.scale.quantized import RELAXED, member_queries
from bench.scale.widened import WIDENED
from bench.store_search import MODEL, TOP_K, Matrix, connect, log

WHOLE_EF_SEARCHES = (40, 80, 200)
HALF_EF_SEARCHES = (10, 20, 40, 80)


async def widened(
    conn: asyncpg.Connection, vector: Matrix, scope: Scope, ef: int, rows: str
) -> tuple[list[asyncpg.Record], float, float]:
    """The widened search restricted to `rows` (an SQL condition, "" for all); its rows, and when its query
    started and ended (perf_counter; the transaction and its settings around it are not counted)."""
    where = (IN_COLLECTION if scope is not None else "") + (f" AND {rows}" if rows else "")
    args: list[object] = [vector, MODEL, TOP_K] + ([scope] if scope is not None else [])
    async with conn.transaction():
        await conn.execute(f"SET LOCAL hnsw.ef_search = {ef}")
        await conn.execute(f"SET LOCAL {RELAXED}")
        started = time.perf_counter()
        found = await conn.fetch(WIDENED.format(filter=where), *args)
        ended = time.perf_counter()
    return found, started, ended


def whole(conn: asyncpg.Connection, ef: int) -> Search:
    async def search(vector: Matrix, scope: Scope) -> tuple[list[uuid.UUID], float]:
        found, started, ended = await widened(conn, vector, scope, ef, "")
        return [row["id"] for row in found], (ended - started) * 1000

    return search


def halves(conns: tuple[asyncpg.Connection, asyncpg.Connection], ef: int) -> Search:
    """Both halves at once; the time from the first query's start to the last one's end, with the merge."""

    async def search(vector: Matrix, scope: Scope) -> tuple[list[uuid.UUID], float]:
        answers = await asyncio.gather(
            *(
                widened(conn, vector, scope, ef, rows)
                for conn, rows in zip(conns, HALVES.values(), strict=True)
            )
        )
        scores: dict[uuid.UUID, float] = {}
        for found, _, _ in answers:
            scores.update((row["id"], row["score"]) for row in found)
        best = sorted(scores, key=lambda face: -scores[face])[:TOP_K]
        return best, (time.perf_counter() - min(started for _, started, _ in answers)) * 1000

    return search


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = make_scale_data(args.rows, args.seed)
    present = await indexes_present(conn)
    missing = [name for name in ["faces_vec_hnsw", *HALVES] if name not in present]
    if missing:
        raise SystemExit(f"build these first: {missing} (python -m bench.scale index NAME)")
    await prewarm(conn, ["faces_vec_hnsw", *HALVES, "faces_person"])
    query_sets = [member_queries(scale, args.queries)]
    if args.celeba:
        query_sets.append(await celeba.query_set(conn, args, scale, filtered=False))
    query_sets.append(own_collection(scale, True, args.queries))
    plans = [
        await plan_of(conn, Strategy(name, WIDENED.format(filter=f" AND {rows}")), query_sets[0])
        for name, rows in HALVES.items()
    ]
    log(f"the halves' plans: {plans}")
    other = await connect(args.url, SCHEMA)
    try:
        searches = {f"one graph, ef_search {ef}, widened": whole(conn, ef) for ef in WHOLE_EF_SEARCHES}
        searches |= {
            f"two halves at once, ef_search {ef} each, widened": halves((conn, other), ef)
            for ef in HALF_EF_SEARCHES
        }
        sections = []
        for queries in query_sets:
            log(f"{queries.name}: {len(queries.vectors)} queries x {len(searches)} searches")
            table = await compare_searches(
                searches, queries, f"one graph, ef_search {WHOLE_EF_SEARCHES[-1]}, widened"
            )
            sections.append(f"**{queries.name}** ({len(queries.vectors)} queries):\n\n{table}")
    finally:
        await other.close()
    return f"Each half's graph search (plans): {', '.join(plans)}.\n\n" + "\n\n".join(sections)
