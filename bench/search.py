"""End-to-end search benchmark: POST /api/face/search over N stored faces against POST /api/face/encode.

    python -m bench.search [--rows 100000] [--requests 60]

Starts an embedded Postgres in a temporary directory, migrates it, bulk-loads N synthetic identity-clustered
buffalo_s faces (bench.store_search's generator) with the HNSW index built after the load, registers one
real face, then runs `facerec serve` against it and times encode and search of the same photo, interleaved
so both see the same machine noise. Search = encode + the database query + JSON.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from pgvector.asyncpg import register_vector

from bench.encode import DEFAULT_IMAGE, FALLBACK_IMAGE
from bench.harness import machine, running_service
from bench.store_search import make_dataset
from facerec.db.embedded import embedded_postgres_server
from facerec.db.migrate import upgrade_to_head

HNSW_INDEX = "faces_face_vec_hnsw"
LOAD_SETTINGS = "SET maintenance_work_mem = '4GB'; SET max_parallel_maintenance_workers = 1"


async def seed(url: str, rows: int) -> float:
    """Load `rows` faces with the migration's own HNSW index dropped and rebuilt; returns build seconds."""
    data = make_dataset(rows, member_queries=0, random_queries=0, seed=7)
    connection = await asyncpg.connect(url)
    try:
        await register_vector(connection)
        index_sql = await connection.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = $1", HNSW_INDEX
        )
        await connection.execute(f"DROP INDEX {HNSW_INDEX}")
        records = (
            (uuid.uuid4(), f"identity-{identity}", vector, "buffalo_s", 0.9, [0.0, 0.0, 1.0, 1.0], [0.0] * 10)
            for identity, vector in zip(data.identities, data.vectors, strict=True)
        )
        columns = ["id", "display_name", "face_vec", "model", "det_score", "box", "landmarks"]
        await connection.copy_records_to_table("faces", records=records, columns=columns)
        await connection.execute(LOAD_SETTINGS)
        started = time.perf_counter()
        await connection.execute(index_sql)
        built = time.perf_counter() - started
        await connection.execute("VACUUM ANALYZE faces")
    finally:
        await connection.close()
    return built


def interleaved(base_url: str, image: bytes, requests: int) -> tuple[list[float], list[float], int]:
    """Seconds per encode and per search, alternating, and the matches of the last search."""
    files = {"image": ("photo.jpg", image, "image/jpeg")}
    encodes, searches = [], []
    matches = 0
    with httpx.Client(base_url=base_url, timeout=60) as client:
        client.post(
            "/api/face/register", files=files, data={"displayName": "the query person"}
        ).raise_for_status()
        for round_number in range(requests + 3):
            started = time.perf_counter()
            client.post("/api/face/encode", files=files).raise_for_status()
            middle = time.perf_counter()
            response = client.post("/api/face/search", files=files)
            response.raise_for_status()
            if round_number >= 3:  # the first rounds warm connections and caches
                encodes.append(middle - started)
                searches.append(time.perf_counter() - middle)
            matches = len(response.json()["matches"])
    return encodes, searches, matches


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--image", type=Path, default=DEFAULT_IMAGE if DEFAULT_IMAGE.is_file() else FALLBACK_IMAGE
    )
    args = parser.parse_args()
    image = args.image.read_bytes()
    with (
        tempfile.TemporaryDirectory(prefix="facerec-search-") as folder,
        embedded_postgres_server(Path(folder)) as url,
    ):
        upgrade_to_head(url)
        build_s = asyncio.run(seed(url, args.rows))
        with running_service(Path(folder), DATABASE_URL=url) as service:
            encodes, searches, matches = interleaved(service.base_url, image, args.requests)
    encode_ms, search_ms = statistics.median(encodes) * 1000, statistics.median(searches) * 1000
    print(f"# end-to-end search\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}\n")
    print(f"{args.rows:,} stored faces (HNSW built in {build_s:.0f} s); `{args.image.name}`; ")
    print(f"{args.requests} interleaved encode/search pairs; the last search returned {matches} match(es).\n")
    print("| endpoint | p50 ms | p95 ms |\n| --- | --- | --- |")
    for name, samples in (("encode", encodes), ("search", searches)):
        ordered = sorted(samples)
        p95 = ordered[int(0.95 * (len(ordered) - 1))] * 1000
        print(f"| {name} | {statistics.median(samples) * 1000:.1f} | {p95:.1f} |")
    print(f"\nsearch p50 / encode p50 = {search_ms / encode_ms:.2f}x")


if __name__ == "__main__":
    main()
