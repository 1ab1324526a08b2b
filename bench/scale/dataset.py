"""The 1M-face table of the scale benchmarks: calibrated synthetic identities spread over collections.

Faces come from bench.store_search's generator (5 photos per identity, real-like similarities). Every
identity belongs to one collection: the first tenth of the identities to one large collection (100,000 faces
of 1,000,000), the rest round-robin over the other collections (~900 faces each), so the rows of a small
collection are scattered over the whole heap, as faces registered over time would be.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import asyncpg
import numpy as np
import numpy.typing as npt

from bench.store_search import BOX, LANDMARKS, MODEL, TOP_K, Dataset, Matrix, log, make_dataset, make_ids

SCHEMA = "bench_scale"
COLLECTIONS = 1_000
LARGE_SHARE = 10  # one identity in LARGE_SHARE belongs to the large collection
QUERY_POOL = 4_000  # member queries generated; each benchmark picks those it needs by collection
RANDOM_QUERIES = 50
QUERY_CHUNK = 50

# The faces table of migrations 0001 and 0002, without the foreign key to persons (no persons table).
CREATE_TABLE = """
CREATE TABLE faces (
    id uuid PRIMARY KEY,
    collection_id uuid NOT NULL,
    person_id uuid NOT NULL,
    display_name text NOT NULL,
    image_url text,
    face_vec vector(512) NOT NULL,
    inserted_at timestamptz NOT NULL DEFAULT now(),
    model text NOT NULL,
    det_score real NOT NULL,
    box real[] NOT NULL,
    landmarks real[] NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
COLUMNS = (
    "id",
    "collection_id",
    "person_id",
    "display_name",
    "face_vec",
    "model",
    "det_score",
    "box",
    "landmarks",
)
INSERT = (
    f"INSERT INTO faces ({', '.join(COLUMNS)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(COLUMNS)))})"
)
# The secondary btrees of migration 0002.
BTREES = (
    "CREATE INDEX faces_person ON faces (person_id, inserted_at, id)",
    "CREATE INDEX faces_collection_inserted_at_id ON faces (collection_id, inserted_at, id)",
)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ScaleData:
    """The rows, their ids, and which collection (0 = the large one) each identity belongs to."""

    data: Dataset
    ids: list[uuid.UUID]
    identity_collection: IntArray
    collection_ids: list[uuid.UUID]
    person_ids: list[uuid.UUID]

    @cached_property
    def row_collection(self) -> IntArray:
        collections: IntArray = self.identity_collection[self.data.identities]
        return collections

    def rows_of(self, collection: int) -> IntArray:
        rows: IntArray = np.flatnonzero(self.row_collection == collection)
        return rows

    def queries_in(self, large: bool, count: int) -> IntArray:
        """The first `count` member queries whose person is in the large (or else a small) collection."""
        owners = self.identity_collection[self.data.query_identities]
        picked: IntArray = np.flatnonzero((owners == 0) == large)[:count]
        return picked

    def spare_members(self, count: int) -> list[tuple[Matrix, int]]:
        """The last `count` member queries, new photos of stored identities that no search takes (searches
        take the first): each one's vector and identity, for the benchmarks that insert."""
        members = len(self.data.query_identities)  # the member queries come first, then random ones
        vectors = self.data.queries[members - count : members]
        return list(zip(vectors, self.data.query_identities[members - count :].tolist(), strict=True))

    def same_identity(self, query: int) -> set[uuid.UUID]:
        owner = self.data.query_identities[query]
        return {self.ids[int(i)] for i in np.flatnonzero(self.data.identities == owner)}


def make_scale_data(rows: int, seed: int) -> ScaleData:
    log(f"generating {rows:,} rows")
    data = make_dataset(rows, QUERY_POOL, RANDOM_QUERIES, seed)
    n_identities = int(data.identities.max()) + 1
    large = n_identities // LARGE_SHARE
    identity = np.arange(n_identities, dtype=np.int64)
    identity_collection = np.where(identity < large, 0, 1 + (identity - large) % (COLLECTIONS - 1))
    rng = np.random.default_rng(seed + 2)
    collection_ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(COLLECTIONS)]
    person_ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(n_identities)]
    return ScaleData(data, make_ids(rows, seed), identity_collection, collection_ids, person_ids)


def exact_top_k_ids(scale: ScaleData, queries: IntArray, rows: IntArray | None) -> list[set[uuid.UUID]]:
    """The exact top-k ids of each query among `rows` (all rows when None)."""
    vectors = scale.data.vectors if rows is None else scale.data.vectors[rows]
    row_of = np.arange(len(scale.data.vectors)) if rows is None else rows
    top = top_k_among([vectors], scale.data.queries[queries])
    return [{scale.ids[int(row_of[i])] for i in line} for line in top]


def top_k_among(parts: Sequence[Matrix], queries: Matrix) -> IntArray:
    """Each query's TOP_K most similar rows of the parts stacked (indices into that stack), in chunks."""
    top: list[IntArray] = []
    for start in range(0, len(queries), QUERY_CHUNK):
        chunk = queries[start : start + QUERY_CHUNK]
        scores = np.hstack([chunk @ part.T for part in parts])
        kth = min(TOP_K, scores.shape[1] - 1)  # a collection may hold fewer than k faces
        top.append(np.argpartition(-scores, kth, axis=1)[:, :TOP_K].astype(np.int64))
    return np.vstack(top)


def records(scale: ScaleData) -> Iterator[tuple[object, ...]]:
    data = scale.data
    for i, (face_id, vector) in enumerate(zip(scale.ids, data.vectors, strict=True)):
        identity = int(data.identities[i])
        yield (
            face_id,
            scale.collection_ids[int(scale.identity_collection[identity])],
            scale.person_ids[identity],
            f"identity-{identity}",
            vector,
            MODEL,
            0.9,
            BOX,
            LANDMARKS,
        )


async def load(conn: asyncpg.Connection, scale: ScaleData, schema: str = SCHEMA) -> tuple[float, float]:
    """Create the table, COPY every row in, then build the btrees; returns (COPY s, btree s)."""
    await conn.execute("DROP TABLE IF EXISTS faces")
    await conn.execute(CREATE_TABLE)
    await conn.execute("ALTER TABLE faces ALTER COLUMN face_vec SET STORAGE PLAIN")
    started = time.perf_counter()
    await conn.copy_records_to_table(
        "faces", schema_name=schema, columns=list(COLUMNS), records=records(scale)
    )
    copied = time.perf_counter() - started
    log(f"copied {len(scale.ids):,} rows in {copied:.0f} s; building the btrees")
    started = time.perf_counter()
    for sql in BTREES:
        await conn.execute(sql)
    await conn.execute("VACUUM ANALYZE faces")
    return copied, time.perf_counter() - started
