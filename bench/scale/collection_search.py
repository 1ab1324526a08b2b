"""Issue 8, search inside a collection: 1,000 collections in one 1M-face table, strategies compared.

A small collection holds ~900 faces (0.09% of the table), the large one 100,000 (10%). Each query is a fresh
photo of a person stored in that collection; the baseline is the same query unfiltered over the whole table.
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import replace

import asyncpg
import numpy as np

from bench.scale import celeba
from bench.scale.dataset import COLLECTIONS, IntArray, ScaleData, exact_top_k_ids, make_scale_data
from bench.scale.indexes import PARTIAL, build, build_line
from bench.scale.measure import IN_COLLECTION, NEAREST, QuerySet, Strategy, compare, prewarm
from bench.store_search import log

EF = "hnsw.ef_search = 200"
PARTIAL_WIDTH = 20  # ~18,000 faces: where neither the exact scan nor the filtered HNSW is fast enough
WIDTHS = (5, 20, 50)  # small collections searched together: ~4,500, 18,000 and 45,000 faces
HNSW_ONLY = "enable_sort = off"  # the btree plan needs a sort: this leaves the HNSW (ordered) plans
FILTERED = NEAREST.format(filter=IN_COLLECTION)
# Every face of the collection through the btree on collection_id, distances computed exactly.
EXACT = """
WITH members AS MATERIALIZED (
    SELECT id, face_vec FROM faces WHERE collection_id = $4 AND model = $2
)
SELECT id, 1 - (face_vec <=> $1) AS score FROM members ORDER BY face_vec <=> $1 LIMIT $3
"""

PLANNER = Strategy("planner's choice, relaxed_order", FILTERED, (EF, "hnsw.iterative_scan = relaxed_order"))
BASELINE = Strategy(
    "unfiltered HNSW, whole table (today)",
    NEAREST.format(filter=""),
    (EF, "hnsw.iterative_scan = relaxed_order"),
)


def hnsw_filtered(order: str, max_scan_tuples: int) -> Strategy:
    return Strategy(
        f"HNSW + filter, {order}, max_scan_tuples {max_scan_tuples:,}",
        FILTERED,
        (EF, f"hnsw.iterative_scan = {order}", f"hnsw.max_scan_tuples = {max_scan_tuples}", HNSW_ONLY),
    )


def strategies(wide: bool = False) -> list[Strategy]:
    """`wide`: also an iterative scan allowed 10x the default tuples (slow; tried on small collections)."""
    return [
        BASELINE,
        Strategy("exact scan via btree (collection_id, ...)", EXACT),
        hnsw_filtered("strict_order", 20_000),
        hnsw_filtered("relaxed_order", 20_000),
        *([hnsw_filtered("relaxed_order", 200_000)] if wide else []),
        PLANNER,
    ]


def over_several(strategy: Strategy) -> Strategy:
    """The strategy over the union of the collections `$4` lists: a stand-in for one larger collection."""
    return replace(
        strategy, sql=strategy.sql.replace("collection_id = $4", "collection_id = ANY($4::uuid[])")
    )


def scoped_queries(scale: ScaleData, name: str, picked: IntArray, scopes: list[list[int]]) -> QuerySet:
    """Queries `picked`, each searching the collections of its scope (one: the collection itself)."""
    exact: list[set[uuid.UUID]] = []
    for query, scope in zip(picked, scopes, strict=True):
        exact += exact_top_k_ids(
            scale, np.array([query]), np.flatnonzero(np.isin(scale.row_collection, scope))
        )
    ids = scale.collection_ids
    return QuerySet(
        name,
        scale.data.queries[picked],
        [ids[scope[0]] if len(scope) == 1 else [ids[c] for c in scope] for scope in scopes],
        [scale.same_identity(int(q)) for q in picked],
        exact,
    )


def own_collection(scale: ScaleData, large: bool, count: int, width: int = 1) -> QuerySet:
    """Queries in their person's collection; with `width` > 1, in it and the next small collections."""
    picked = scale.queries_in(large, count)
    owners = scale.identity_collection[scale.data.query_identities[picked]].tolist()
    scopes = [
        [owner] if large else [1 + (owner - 1 + j) % (COLLECTIONS - 1) for j in range(width)]
        for owner in owners
    ]
    return scoped_queries(scale, f"{'large' if large else 'small'} x {width}", picked, scopes)


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = make_scale_data(args.rows, args.seed)
    await prewarm(conn, ["faces_vec_hnsw", "faces_collection_inserted_at_id"])
    small = len(scale.rows_of(1))
    sections = [
        f"**Small collections** (~{small:,} faces each, {args.queries} queries):\n\n"
        + await compare(
            conn, strategies(wide=True), own_collection(scale, False, args.queries), BASELINE.name
        ),
        f"**The large collection** ({len(scale.rows_of(0)):,} faces, {args.queries} queries):\n\n"
        + await compare(
            conn,
            strategies(),
            own_collection(scale, True, args.queries),
            BASELINE.name,
        ),
    ]
    for width in WIDTHS:
        queries = own_collection(scale, False, args.queries // 2, width)
        sections.append(
            f"**{width} small collections searched together** (~{width * small:,} faces, "
            f"{len(queries.vectors)} queries):\n\n"
            + await compare(conn, [over_several(s) for s in strategies()], queries, BASELINE.name)
        )
    if args.celeba:
        log("real faces-celeba embeddings")
        real = await celeba.query_set(conn, args, scale, filtered=True)
        sections.append(
            f"**Real faces (faces-celeba, {len(real.vectors)} queries) in their own collection:**\n\n"
            + await compare(conn, strategies(), real, BASELINE.name)
        )
    return "\n\n".join(sections)


async def run_partial(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    """PARTIAL_WIDTH small collections (one mid-sized collection) with a partial HNSW index of their own."""
    scale = make_scale_data(args.rows, args.seed)
    scope = list(range(1, 1 + PARTIAL_WIDTH))
    members = ", ".join(f"'{scale.collection_ids[c]}'::uuid" for c in scope)
    where = f"collection_id = ANY(ARRAY[{members}])"
    log(f"building a partial index over {len(np.flatnonzero(np.isin(scale.row_collection, scope))):,} faces")
    built = await build(conn, PARTIAL, where)
    await prewarm(conn, ["faces_vec_hnsw", "faces_collection_inserted_at_id", PARTIAL])
    owners = scale.identity_collection[scale.data.query_identities]
    picked = np.flatnonzero(np.isin(owners, scope))[: args.queries]
    queries = scoped_queries(scale, "partial", picked, [scope] * len(picked))
    # the predicate written out lets the planner prove the partial index's; $4 repeats it
    partial = Strategy(
        "partial HNSW of these collections",
        NEAREST.format(filter=f" AND {where} AND collection_id = ANY($4::uuid[])"),
        (EF, "hnsw.iterative_scan = relaxed_order", HNSW_ONLY),
    )
    chosen = [BASELINE, partial, over_several(PLANNER)]
    table = await compare(conn, chosen, queries, BASELINE.name)
    await conn.execute(f"DROP INDEX {PARTIAL}")
    return f"{build_line(PARTIAL, built)}\n\n{table}"
