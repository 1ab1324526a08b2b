"""Scale benchmarks on one 1M-face table kept between runs (issues 8 and 12).

    python -m bench.scale load                    # COPY 1M faces in 1,000 collections, build the btrees
    python -m bench.scale index faces_vec_hnsw    # build one vector index (see bench.scale.indexes)
    python -m bench.scale drop faces_bit_hnsw     # drop an index (before `inserts`)
    python -m bench.scale collections             # search inside a collection: strategies compared
    python -m bench.scale partial                 # the large collection with a partial index of its own
    python -m bench.scale quantized               # unfiltered search at 1M: vector, halfvec, bit + re-rank
    python -m bench.scale widened                 # the graph's top k widened to the persons' faces
    python -m bench.scale persons                 # the nearest persons first, one vector per person
    python -m bench.scale halves                  # two halves of the table searched at once
    python -m bench.scale service                 # FaceStore.nearest on the migrated schema, 1M faces
    python -m bench.scale inserts                 # insert rates into the indexed table
    python -m bench.scale builds                  # index build time against maintenance settings

The embedded Postgres lives in `--pgdata` (default /tmp/bench_scale/pg) and is kept between commands, so
the table is loaded and each index built once; delete the directory when done. Each command prints a
markdown section for docs/BENCHMARKS.md on stdout and its progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from bench.harness import machine
from bench.scale import (
    collection_search,
    dataset,
    halves,
    indexes,
    inserts,
    person_index,
    quantized,
    service_search,
    widened,
)
from bench.store_search import configure, connect, log, start_server

Command = Callable[[asyncpg.Connection, argparse.Namespace], Awaitable[str]]


async def load(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    scale = dataset.make_scale_data(args.rows, args.seed)
    copy_s, btree_s = await dataset.load(conn, scale)
    return (
        f"COPY of {args.rows:,} rows into the table without indexes (primary key only): {copy_s:,.0f} s, "
        f"**{args.rows / copy_s:,.0f} rows/s**; the btrees and VACUUM ANALYZE: {btree_s:,.0f} s."
    )


async def index(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    log(f"building {args.name}")
    result = await indexes.build(conn, args.name, indexes.HALVES.get(args.name, ""))
    return indexes.build_line(args.name, result)


async def drop(conn: asyncpg.Connection, args: argparse.Namespace) -> str:
    await conn.execute(f"DROP INDEX IF EXISTS {args.name}")
    return f"dropped {args.name}"


COMMANDS: dict[str, Command] = {
    "load": load,
    "index": index,
    "drop": drop,
    "collections": collection_search.run,
    "partial": collection_search.run_partial,
    "quantized": quantized.run,
    "widened": widened.run,
    "persons": person_index.run,
    "halves": halves.run,
    "service": service_search.run,
    "inserts": inserts.run,
    "builds": inserts.run_builds,
}


async def run(args: argparse.Namespace, database_url: str) -> None:
    conn = await connect(database_url, dataset.SCHEMA)
    try:
        settings = await configure(conn, args.maintenance_work_mem, args.parallel_workers)
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        args.url = database_url
        body = await COMMANDS[args.command](conn, args)
        print(
            f"<!-- {args.command}: {started}; {machine()}; {settings}; "
            f"load average {os.getloadavg()[0]:.1f} at the end -->\n{body}\n",
            flush=True,
        )
    finally:
        await conn.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("name", nargs="?", default="faces_vec_hnsw", help="the index of `index` and `drop`")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--pgdata", type=Path, default=Path("/tmp/bench_scale/pg"))
    parser.add_argument("--database-url", help="use this running server instead of starting the embedded one")
    parser.add_argument("--shared-buffers", default="6GB")
    parser.add_argument("--maintenance-work-mem", default="4GB")
    parser.add_argument("--parallel-workers", type=int, default=1, help="max_parallel_maintenance_workers")
    parser.add_argument("--queries", type=int, default=200, help="queries per measured configuration")
    parser.add_argument("--inserts", type=int, default=500, help="rows of each kind `inserts` adds")
    parser.add_argument("--build-rows", type=int, default=100_000, help="rows of the table `builds` indexes")
    parser.add_argument("--celeba", type=Path, help="faces-celeba folder: mix its real embeddings in")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.database_url:
        asyncio.run(run(args, args.database_url))
        return
    args.pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(args.pgdata, args.shared_buffers)
    try:
        asyncio.run(run(args, server.get_uri()))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
