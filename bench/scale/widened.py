"""Issue 12, search at 1M: the graph's nearest faces widened to every face of the persons among them.

The HNSW search finds some of a person's photos and, at 1M faces, misses others; widening its top k to
each found person's latest 64 faces and ranking them exactly (as db/faces.py searches) brings the others.
Measured unfiltered (the whole table, as `quantized`), inside the large collection (100,000 faces, with the
filter and the iterative scan, as the service searches a collection of more than 5,000 faces) and inside
5, 20 and 50 small collections searched together (about 4,500, 18,000 and 45,000 faces).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import asyncpg

from bench.scale import celeba
from bench.scale.collection_search import WIDTHS, over_several, own_collection
from bench.scale.dataset import ScaleData, make_scale_data
from bench.scale.indexes import VECTOR_INDEXES
from bench.scale.measure import IN_COLLECTION, NEAREST, QuerySet, Strategy, compare, indexes_present, prewarm
from bench.scale.quantized import RELAXED, member_queries
from bench.store_search import log

_WIDEN = """
WITH found AS MATERIALIZED (
    <found>
), widened AS MATERIALIZED (
    <keep>SELECT own.id FROM (SELECT DISTINCT person_id FROM found) AS persons
    CROSS JOIN LATERAL (
        SELECT id FROM faces WHERE person_id = persons.person_id ORDER BY inserted_at DESC, id DESC LIMIT 64
    ) AS own
), ranked AS MATERIALIZED (
    SELECT f.id, 1 - (f.face_vec <=> $1) AS score FROM widened JOIN faces AS f ON f.id = widened.id
    WHERE f.model = $2
)
SELECT id, score FROM ranked ORDER BY score DESC LIMIT $3
"""


def widen(found: str, *, keep_found: bool) -> str:
    """A search that ranks exactly the latest 64 faces of each person `found` returns (a query of `id` and
    `person_id`, or of `person_id` alone), and the faces it returned where `keep_found`. The CTEs keep the
    planner off the HNSW index for the ranking. (Not formatted: `found` may hold `{filter}`.)"""
    keep = "SELECT id FROM found\n    UNION\n    " if keep_found else ""
    return _WIDEN.replace("<found>", found).replace("<keep>", keep)


WIDENED = widen(
    "SELECT id, person_id FROM faces WHERE model = $2{filter} ORDER BY face_vec <=> $1 LIMIT $3",
    keep_found=True,
)
PLAIN_EF_SEARCHES = (40, 200)
WIDENED_EF_SEARCHES = (10, 20, 40, 80, 200)


def strategies(filtered: bool) -> list[Strategy]:
    where = IN_COLLECTION if filtered else ""
    plain = [
        Strategy(
            f"vector HNSW, ef_search {ef}", NEAREST.format(filter=where), (f"hnsw.ef_search = {ef}", RELAXED)
        )
        for ef in PLAIN_EF_SEARCHES
    ]
    return plain + widened_strategies(WIDENED_EF_SEARCHES, where)  # the baseline, 200 unwidened, is second


def widened_strategies(ef_searches: tuple[int, ...], where: str) -> list[Strategy]:
    return [
        Strategy(
            f"vector HNSW, ef_search {ef}, widened to the persons' faces",
            WIDENED.format(filter=where),
            (f"hnsw.ef_search = {ef}", RELAXED),
        )
        for ef in ef_searches
    ]


async def compare_sets(
    conn: asyncpg.Connection,
    scale: ScaleData,
    query_sets: list[tuple[QuerySet, bool]],
    strategies_for: Callable[[bool], list[Strategy]],
    baseline: int,
) -> list[str]:
    """A section for each (queries, filtered): the strategies for it compared, against the `baseline`th."""
    sections = []
    for queries, filtered in query_sets:
        log(f"{queries.name}: {len(queries.vectors)} queries")
        compared = strategies_for(filtered)
        table = await compare(conn, compared, queries, compared[baseline].name)
        title = f"the large collection ({len(scale.rows_of(0)):,} faces)" if filtered else "unfiltered"
        sections.append(f"**{queries.name}**, {title} ({len(queries.vectors)} queries):\n\n{table}")
    return sections


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = make_scale_data(args.rows, args.seed)
    present = await indexes_present(conn)
    await prewarm(conn, [*sorted(present.intersection(VECTOR_INDEXES)), "faces_person"])
    query_sets = [(member_queries(scale, args.queries), False)]
    if args.celeba:
        query_sets.append((await celeba.query_set(conn, args, scale, filtered=False), False))
    large = own_collection(scale, True, args.queries)
    query_sets.append((large, True))
    sections = await compare_sets(conn, scale, query_sets, strategies, baseline=1)
    small = len(scale.rows_of(1))
    for width in WIDTHS:
        queries = own_collection(scale, False, args.queries // 2, width)
        several = [over_several(strategy) for strategy in strategies(True)]
        table = await compare(conn, several, queries, several[1].name)
        sections.append(
            f"**{width} small collections searched together** (~{width * small:,} faces, "
            f"{len(queries.vectors)} queries):\n\n{table}"
        )
    return "\n\n".join(sections)
