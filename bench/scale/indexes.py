"""The vector indexes the scale benchmarks compare, built once each on the 1M table."""

from __future__ import annotations

import asyncpg

from bench.store_search import BuildResult, create_index, mib

HNSW_WITH = "WITH (m = {m}, ef_construction = 64)"
# name -> the index expression and operator class
INDEXES = {
    "faces_vec_hnsw": "face_vec vector_cosine_ops",
    "faces_vec_hnsw_m32": "face_vec vector_cosine_ops",  # twice the links of each node
    "faces_half_hnsw": "(face_vec::halfvec(512)) halfvec_cosine_ops",
    "faces_bit_hnsw": "(binary_quantize(face_vec)::bit(512)) bit_hamming_ops",
}
VECTOR_INDEXES = ("faces_vec_hnsw", "faces_vec_hnsw_m32")  # either serves the `face_vec` searches
PARTIAL = "faces_part_vec_hnsw"  # a vector index over some collections only (`partial`)
# The table split in two by a hash of the face id, each half with a vector index of its own (`halves`):
# name -> the rows it holds.
HALVES = {f"faces_vec_hnsw_half{half}": f"(hashtext(id::text) & 1) = {half}" for half in (0, 1)}


def index_sql(name: str, where: str = "") -> str:
    """The HNSW index `name`; with `where`, a partial vector index (named anything) over those rows."""
    expression = INDEXES["faces_vec_hnsw" if where else name]
    links = HNSW_WITH.format(m=32 if name.endswith("_m32") else 16)
    return f"CREATE INDEX {name} ON faces USING hnsw ({expression}) {links}" + (
        f" WHERE {where}" if where else ""
    )


async def build(conn: asyncpg.Connection, name: str, where: str = "") -> BuildResult:
    await conn.execute(f"DROP INDEX IF EXISTS {name}")
    return await create_index(conn, name, index_sql(name, where))


def build_line(name: str, result: BuildResult) -> str:
    fits = "yes" if result.graph_fit_in_memory else "**no**"
    return (
        f"| `{name}` | {result.seconds:,.0f} s | {mib(result.index_bytes)} MiB "
        f"| {mib(result.table_bytes)} MiB | {fits} |"
    )
