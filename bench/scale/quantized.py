"""Issue 12, unfiltered search at 1M: the vector HNSW against halfvec and binary quantization + re-ranking.

`face_vec vector(512)` stays; the other indexes are expression indexes on it (bench.scale.indexes).
"""

from __future__ import annotations

import argparse

import asyncpg
import numpy as np

from bench.scale import celeba
from bench.scale.dataset import ScaleData, exact_top_k_ids, make_scale_data
from bench.scale.measure import NEAREST, QuerySet, Strategy, compare, indexes_present, prewarm
from bench.store_search import log

RELAXED = "hnsw.iterative_scan = relaxed_order"
HALF = """
SELECT id, score FROM (
    SELECT id, 1 - (face_vec <=> $1) AS score
    FROM faces WHERE model = $2
    ORDER BY face_vec::halfvec(512) <=> $1::halfvec(512)
    LIMIT $3
) AS nearest
ORDER BY score DESC
"""
# Hamming distance on the sign bits finds `candidates`; exact cosine on face_vec picks the k best of them.
BIT_RERANK = """
SELECT id, 1 - (face_vec <=> $1) AS score FROM (
    SELECT id, face_vec FROM faces WHERE model = $2
    ORDER BY binary_quantize(face_vec)::bit(512) <~> binary_quantize($1::vector)
    LIMIT {candidates}
) AS candidates
ORDER BY face_vec <=> $1
LIMIT $3
"""


EF_SEARCHES = (40, 80, 100, 150, 200)


def vector(ef: int) -> Strategy:
    return Strategy(
        f"vector HNSW, ef_search {ef}", NEAREST.format(filter=""), (f"hnsw.ef_search = {ef}", RELAXED)
    )


def half(ef: int) -> Strategy:
    return Strategy(f"halfvec HNSW, ef_search {ef}", HALF, (f"hnsw.ef_search = {ef}", RELAXED))


def bit(candidates: int) -> Strategy:
    return Strategy(
        f"bit HNSW, {candidates} candidates (ef_search {candidates}) re-ranked exactly",
        BIT_RERANK.format(candidates=candidates),
        (f"hnsw.ef_search = {candidates}", RELAXED),
    )


def member_queries(scale: ScaleData, count: int) -> QuerySet:
    picked = np.arange(count)
    return QuerySet(
        "synthetic",
        scale.data.queries[picked],
        [None] * count,
        [scale.same_identity(int(q)) for q in picked],
        exact_top_k_ids(scale, picked, None),
    )


async def run(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = make_scale_data(args.rows, args.seed)
    query_sets = [member_queries(scale, args.queries)]
    if args.celeba:
        query_sets.append(await celeba.query_set(conn, args, scale, filtered=False))
    present = await indexes_present(conn)
    strategies = [vector(ef) for ef in EF_SEARCHES] if "faces_vec_hnsw" in present else []
    if "faces_half_hnsw" in present:
        strategies += [half(ef) for ef in EF_SEARCHES]
    if "faces_bit_hnsw" in present:
        strategies += [bit(candidates) for candidates in (40, 100, 200, 400)]
    await prewarm(conn, sorted(present & {"faces_vec_hnsw", "faces_half_hnsw", "faces_bit_hnsw"}))
    sections = []
    for queries in query_sets:
        log(f"{queries.name}: {len(queries.vectors)} queries")
        # the baseline: vector HNSW at ef_search 200 (today), or the last of the first kind where it is absent
        table = await compare(conn, strategies, queries, strategies[len(EF_SEARCHES) - 1].name)
        sections.append(f"**{queries.name}** ({len(queries.vectors)} queries):\n\n{table}")
    return "\n\n".join(sections)
