"""Search strategies timed side by side: every query runs through every strategy, in rotating order."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import numpy as np

from bench.store_search import MODEL, TOP_K, Matrix, log, percentile

# The production search (db/faces.py), optionally restricted to one collection; $4 is the collection id.
NEAREST = """
SELECT id, score FROM (
    SELECT id, 1 - (face_vec <=> $1) AS score
    FROM faces WHERE model = $2{filter}
    ORDER BY face_vec <=> $1
    LIMIT $3
) AS nearest
ORDER BY score DESC
"""
IN_COLLECTION = " AND collection_id = $4"


@dataclass(frozen=True)
class Strategy:
    """A query and the `SET LOCAL` settings it runs under; `$4` in the SQL takes the query's collection."""

    name: str
    sql: str
    settings: tuple[str, ...] = ()

    @property
    def filtered(self) -> bool:
        return "$4" in self.sql


Scope = uuid.UUID | list[uuid.UUID] | None  # what a query's `$4` takes: its collection(s), if filtered


@dataclass(frozen=True)
class QuerySet:
    """Query vectors and, per query: its collection (or None), its person's stored faces, the exact top-k."""

    name: str
    vectors: Matrix
    collections: list[Scope]
    same_identity: list[set[uuid.UUID]]
    exact: list[set[uuid.UUID]]


@dataclass
class Tally:
    query_ms: list[float] = field(default_factory=list)
    transaction_ms: list[float] = field(default_factory=list)
    same_found: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    short: int = 0  # searches that returned fewer than k rows

    def add(self, queries: QuerySet, query: int, found: list[uuid.UUID], query_ms: float) -> None:
        """What the search found for query number `query`, and how long it took."""
        self.query_ms.append(query_ms)
        same = queries.same_identity[query]
        self.same_found.append(len(same.intersection(found)) / len(same))
        self.recall.append(len(queries.exact[query].intersection(found)) / len(queries.exact[query]))
        self.short += len(found) < TOP_K

    def line(self, strategy: Strategy, plan: str, baseline_p50: float, scoped: bool) -> str:
        """`scoped`: the exact top-k is the collection's, which an unfiltered search is not asked for."""
        p50 = float(np.percentile(self.query_ms, 50))
        recall = "n/a" if scoped and not strategy.filtered else f"{np.mean(self.recall):.4f}"
        return (
            f"| {strategy.name} | {plan} | {np.mean(self.same_found):.4f} | {recall} "
            f"| {self.short} | {p50:.2f} | {percentile(self.query_ms, 95)} "
            f"| {percentile(self.transaction_ms, 50)} | {p50 / baseline_p50:.2f}x |"
        )


HEADER = (
    "| strategy | plan | same-identity found | recall@10 | short answers | query p50 ms | query p95 ms "
    "| txn p50 ms | p50 / baseline |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
)


@dataclass(frozen=True)
class Searched:
    """A search's rows, when its query started and ended (perf_counter, after the settings) and how long
    its whole transaction took (the settings and the commit included)."""

    rows: list[asyncpg.Record]
    started: float
    ended: float
    transaction_ms: float

    @property
    def ids(self) -> list[uuid.UUID]:
        return [row["id"] for row in self.rows]

    @property
    def query_ms(self) -> float:
        return (self.ended - self.started) * 1000


async def search(
    conn: asyncpg.Connection, strategy: Strategy, vector: Matrix, collection: Scope, limit: int = TOP_K
) -> Searched:
    args: list[object] = [vector, MODEL, limit]
    if strategy.filtered:
        args.append(collection)
    started = time.perf_counter()
    async with conn.transaction():
        for setting in strategy.settings:
            await conn.execute(f"SET LOCAL {setting}")
        query_started = time.perf_counter()
        rows = await conn.fetch(strategy.sql, *args)
        query_ended = time.perf_counter()
    return Searched(rows, query_started, query_ended, (time.perf_counter() - started) * 1000)


async def plan_of(conn: asyncpg.Connection, strategy: Strategy, queries: QuerySet) -> str:
    """The indexes the strategy's plan scans for the first query, e.g. `faces_vec_hnsw`."""
    args: list[object] = [queries.vectors[0], MODEL, TOP_K]
    if strategy.filtered:
        args.append(queries.collections[0])
    async with conn.transaction():
        for setting in strategy.settings:
            await conn.execute(f"SET LOCAL {setting}")
        lines = [row[0] for row in await conn.fetch(f"EXPLAIN {strategy.sql}", *args)]
    used = re.findall(
        r"(?:Index Scan using|Index Only Scan using|Bitmap Index Scan on) (\w+)", "\n".join(lines)
    )
    seq = any("Seq Scan" in line for line in lines)
    return " + ".join(f"`{name}`" for name in used) + (" + seq scan" if seq else "") or "seq scan"


async def compare(
    conn: asyncpg.Connection, strategies: Sequence[Strategy], queries: QuerySet, baseline: str
) -> str:
    """A markdown table: each strategy over every query, alternating; p50 relative to `baseline`."""
    tallies = {s.name: Tally() for s in strategies}
    plans = {s.name: await plan_of(conn, s, queries) for s in strategies}
    log(f"{queries.name}: {len(queries.vectors)} queries x {len(strategies)} strategies; plans {plans}")
    for i, vector in enumerate(queries.vectors):
        turn = i % len(strategies)
        for strategy in [*strategies[turn:], *strategies[:turn]]:
            searched = await search(conn, strategy, vector, queries.collections[i])
            tally = tallies[strategy.name]
            tally.add(queries, i, searched.ids, searched.query_ms)
            tally.transaction_ms.append(searched.transaction_ms)
    baseline_p50 = float(np.percentile(tallies[baseline].query_ms, 50))
    scoped = queries.collections[0] is not None
    lines = [tallies[s.name].line(s, plans[s.name], baseline_p50, scoped) for s in strategies]
    exact_found = np.mean(
        [len(s & e) / len(s) for s, e in zip(queries.same_identity, queries.exact, strict=True)]
    )
    return "\n".join(
        [f"Exact search finds {exact_found:.4f} of same-identity faces in its top {TOP_K}.\n", HEADER, *lines]
    )


async def indexes_present(conn: asyncpg.Connection) -> set[str]:
    """The names of the indexes built on `faces` so far."""
    return {row[0] for row in await conn.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'faces'")}


async def prewarm(conn: asyncpg.Connection, relations: Sequence[str]) -> None:
    """Load the heap and the given indexes into shared_buffers."""
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm SCHEMA public")
    for relation in ["faces", *relations]:
        log(f"prewarming {relation}")
        await conn.execute("SELECT public.pg_prewarm($1::regclass)", relation)


# A search that is not one statement: a query vector and its scope -> the ids found and the time it took.
Search = Callable[[Matrix, Scope], Awaitable[tuple[list[uuid.UUID], float]]]


async def compare_searches(searches: dict[str, Search], queries: QuerySet, baseline: str) -> str:
    """Like `compare`, for searches that are not one SQL statement (several connections, the service's own
    code): each times itself."""
    tallies = {name: Tally() for name in searches}
    names = list(searches)
    for i, vector in enumerate(queries.vectors):
        turn = i % len(names)
        for name in [*names[turn:], *names[:turn]]:
            found, query_ms = await searches[name](vector, queries.collections[i])
            tallies[name].add(queries, i, found, query_ms)
    base = float(np.percentile(tallies[baseline].query_ms, 50))
    lines = [
        "| search | same-identity found | recall@10 | query p50 ms | query p95 ms | p50 / baseline |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, tally in tallies.items():
        p50 = float(np.percentile(tally.query_ms, 50))
        lines.append(
            f"| {name} | {np.mean(tally.same_found):.4f} | {np.mean(tally.recall):.4f} | {p50:.2f} "
            f"| {percentile(tally.query_ms, 95)} | {p50 / base:.2f}x |"
        )
    return "\n".join(lines)
