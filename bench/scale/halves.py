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
    search,
)
from bench.scale.quantized import member_queries
from bench.scale.widened import widened_strategies
from bench.store_search import TOP_K, Matrix, connect, log

WHOLE_EF_SEARCHES = (40, 80, 200)
HALF_EF_SEARCHES = (10, 20, 40, 80)


def widened(ef: int, scope: Scope, rows: str = "") -> Strategy:
    """The widened search at `ef`, in the query's collection(s) if it has a `scope`, restricted to `rows`
    (an SQL condition) if any."""
    where = (IN_COLLECTION if scope is not None else "") + (f" AND {rows}" if rows else "")
    return widened_strategies((ef,), where)[0]


def whole(conn: asyncpg.Connection, ef: int) -> Search:
    async def search_whole(vector: Matrix, scope: Scope) -> tuple[list[uuid.UUID], float]:
        searched = await search(conn, widened(ef, scope), vector, scope)
        return searched.ids, searched.query_ms

    return search_whole


def halves(conns: tuple[asyncpg.Connection, asyncpg.Connection], ef: int) -> Search:
    """Both halves at once; the time from the first query's start to the last one's end, with the merge."""

    async def search_halves(vector: Matrix, scope: Scope) -> tuple[list[uuid.UUID], float]:
        answers = await asyncio.gather(
            *(
                search(conn, widened(ef, scope, rows), vector, scope)
                for conn, rows in zip(conns, HALVES.values(), strict=True)
            )
        )
        scores: dict[uuid.UUID, float] = {}
        for answer in answers:
            scores.update((row["id"], row["score"]) for row in answer.rows)
        best = sorted(scores, key=lambda face: -scores[face])[:TOP_K]
        return best, (time.perf_counter() - min(answer.started for answer in answers)) * 1000

    return search_halves


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
        await plan_of(conn, widened(WHOLE_EF_SEARCHES[0], None, rows), query_sets[0])
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
