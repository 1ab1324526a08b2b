"""Real buffalo_s embeddings of faces-celeba mixed into the synthetic 1M table.

Four photos of each person are stored (single-row INSERTs, in a collection of their own); the other photos
are the queries. Embeddings are computed once and kept in a file beside the data directory.
"""

from __future__ import annotations

import argparse
import time
import uuid
import warnings
from collections import defaultdict
from pathlib import Path

import asyncpg
import numpy as np

from bench.accuracy.data import embed_all, read_photos
from bench.scale.dataset import INSERT, ScaleData, top_k_among
from bench.scale.measure import QuerySet
from bench.store_search import BOX, LANDMARKS, MODEL, Matrix, log
from facerec.models.loader import load_engine
from facerec.settings import Settings

ENROLLED_PER_PERSON = 4
CELEBA_CACHE = "celeba-buffalo_s.npz"
COLLECTION = uuid.UUID("00000000-0000-4000-8000-0000000ce1eb")


def embeddings(dataset: Path, cache: Path) -> list[tuple[str, str, Matrix]]:
    """(path, identity, embedding) of every photo where a face was found, embedded once into `cache`."""
    if not cache.exists():
        warnings.filterwarnings("ignore", "`estimate` is deprecated", FutureWarning)
        settings = Settings(_env_file=None)
        photos = read_photos(dataset)
        log(f"embedding {len(photos)} faces-celeba photos")
        paths = [p.path for p in photos]
        found = embed_all(load_engine(settings), dataset, paths, settings.max_image_pixels).vectors
        kept = [p for p in photos if p.path in found]
        np.savez(
            cache,
            paths=np.array([p.path for p in kept]),
            identities=np.array([p.identity for p in kept]),
            vectors=np.vstack([found[p.path] for p in kept]).astype(np.float32),
        )
    with np.load(cache) as saved:
        return list(zip(saved["paths"].tolist(), saved["identities"].tolist(), saved["vectors"], strict=True))


async def enrol(conn: asyncpg.Connection, enrolled: list[tuple[str, str, Matrix]]) -> dict[str, uuid.UUID]:
    """Insert the enrolled photos once; their face ids by path."""
    ids = {path: uuid.uuid5(COLLECTION, path) for path, _, _ in enrolled}
    if await conn.fetchval("SELECT count(*) FROM faces WHERE collection_id = $1", COLLECTION):
        return ids
    persons = {identity: uuid.uuid5(COLLECTION, identity) for _, identity, _ in enrolled}
    started = time.perf_counter()
    for path, identity, vector in enrolled:
        await conn.execute(
            INSERT, ids[path], COLLECTION, persons[identity], identity, vector, MODEL, 0.9, BOX, LANDMARKS
        )
    seconds = time.perf_counter() - started
    log(f"inserted {len(enrolled)} real faces one by one: {len(enrolled) / seconds:.1f} rows/s")
    await conn.execute("ANALYZE faces")
    return ids


async def query_set(
    conn: asyncpg.Connection, args: argparse.Namespace, scale: ScaleData, *, filtered: bool
) -> QuerySet:
    """`args.queries` of the photos not enrolled; exact top-k among the collection (filtered) or the table."""
    count: int = args.queries
    by_person: dict[str, list[tuple[str, str, Matrix]]] = defaultdict(list)
    for row in embeddings(args.celeba, args.pgdata.parent / CELEBA_CACHE):
        by_person[row[1]].append(row)
    enrolled = [row for rows in by_person.values() for row in rows[:ENROLLED_PER_PERSON]]
    others = [row for rows in by_person.values() for row in rows[ENROLLED_PER_PERSON:]]
    queries = others[:: max(1, len(others) // count)][:count]
    ids = await enrol(conn, enrolled)
    stored_ids = [ids[path] for path, _, _ in enrolled] + ([] if filtered else scale.ids)
    stored = np.vstack([vector for _, _, vector in enrolled])
    vectors = np.vstack([vector for _, _, vector in queries])
    top = top_k_among([stored] if filtered else [stored, scale.data.vectors], vectors)
    person_faces = {
        identity: {ids[path] for path, _, _ in rows[:ENROLLED_PER_PERSON]}
        for identity, rows in by_person.items()
    }
    return QuerySet(
        "faces-celeba",
        vectors,
        [COLLECTION if filtered else None] * len(queries),
        [person_faces[identity] for _, identity, _ in queries],
        [{stored_ids[i] for i in line} for line in top],
    )
