"""The face store: every query on `faces` and `face_images`, beside the method that runs it. Every method
is scoped to one collection: a face of another collection is answered as absent."""

from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from facerec.domain import FacePage, FaceRecord, FaceVector, Match, Metadata, NewFace, PageCursor, StoredImage
from facerec.errors import ExternalIdTaken, FaceNotFound, ModelMismatch, PersonNotFound
from facerec.models.faces import Box, FloatArray

# Candidates the HNSW graph search keeps (pgvector's hnsw.ef_search). At 1M faces, with the found persons'
# faces added (_WIDENED), 200 finds every stored photo of the query person (1.000, against 0.988 without
# them) where 80 finds 0.985 (docs/BENCHMARKS.md, "Search at 1M, widened to the persons' faces").
EF_SEARCH = 200
# A collection of at most a tenth of the table needs far fewer: the filter keeps the iterative scan walking
# until enough of its own faces are found. In a collection of 10% of a 1M table, 40 found 1.000 in 6.9 ms,
# against 0.995 in 15.3 ms at 200 without the widening (same section).
EF_SEARCH_IN_PART = 40
PART_SHARE = 10

_RECORD_COLUMNS = """
    f.id, f.person_id, c.name AS collection, f.display_name, f.image_url, f.inserted_at, f.updated_at,
    f.model, f.det_score, f.box, f.landmarks, f.metadata, f.external_id,
    EXISTS (SELECT 1 FROM face_images AS i WHERE i.face_id = f.id) AS has_image
"""
_FROM = "faces AS f JOIN collections AS c ON c.id = f.collection_id"

# Collections of up to this many faces are searched exactly: at 1M faces in 1,000 collections, a scan of a
# ~900-face collection took 0.23x the time of a search of the whole table and found every face, where the
# filtered HNSW search took 6x and found 60% of the exact top 10 (docs/BENCHMARKS.md).
EXACT_SCAN_MAX_FACES = 5_000
# Every search reads vectors from the view `face_vectors` (migration 0006): the faces registered with the
# pack and the faces re-embedded with it (`facerec reembed`) are one set. The ranked vectors are joined to
# their faces only once the nearest are known.
_NEAREST = """
    SELECT f.id, f.person_id, f.display_name, f.image_url, nearest.score
    FROM ({ranked}) AS nearest JOIN faces AS f ON f.id = nearest.face_id
    ORDER BY nearest.score DESC
"""
# The materialized CTE keeps the planner off the HNSW indexes: every face of the collection is ranked.
_EXACT_NEAREST = _NEAREST.format(
    ranked="""
    WITH candidates AS MATERIALIZED (
        SELECT face_id, embedding FROM face_vectors WHERE model = $2 AND collection_id = $3
    )
    SELECT face_id, 1 - (embedding <=> $1) AS score FROM candidates ORDER BY embedding <=> $1 LIMIT $4
    """
)
# The graph's nearest faces are widened to the persons among them (each one's latest WIDEN_FACES faces) and
# ranked exactly: a person found by any one of their photos brings the others, which the graph search alone
# misses ever more often as the table grows (docs/BENCHMARKS.md, "Search at 1M, widened to the persons'
# faces"). The CTEs keep the planner off the HNSW indexes for the ranking.
WIDEN_FACES = 64
_GRAPH = """
    SELECT face_id FROM face_vectors WHERE model = $2 AND collection_id = $3
    ORDER BY embedding <=> $1
    LIMIT $4
"""
_WIDENED = """
    WITH graph AS MATERIALIZED ({graph}), widened AS MATERIALIZED (
        SELECT face_id FROM graph
        UNION
        SELECT own.id FROM (
            SELECT DISTINCT f.person_id FROM graph JOIN faces AS f ON f.id = graph.face_id
        ) AS found
        CROSS JOIN LATERAL (
            SELECT id FROM faces WHERE person_id = found.person_id
            ORDER BY inserted_at DESC, id DESC
            LIMIT {widen}
        ) AS own
    ), ranked AS MATERIALIZED (
        SELECT v.face_id, 1 - (v.embedding <=> $1) AS score
        FROM widened JOIN face_vectors AS v ON v.face_id = widened.face_id AND v.model = $2
    )
    SELECT face_id, score FROM ranked ORDER BY score DESC LIMIT $4
"""
_HNSW_NEAREST = _NEAREST.format(ranked=_WIDENED.format(graph=_GRAPH, widen=WIDEN_FACES))

# A face joined to its vector of one pack (the parameter `model`), for the queries that read vectors of
# known faces.
_WITH_VECTOR = (
    "faces AS f JOIN face_vectors AS v "
    "ON v.face_id = f.id AND v.collection_id = f.collection_id AND v.model = ${model}"
)


class FaceStore:
    """A repository over one connection (`facerec.db.stores`). Returns records or raises domain errors."""

    def __init__(self, connection: asyncpg.Connection, *, exact_scan_max: int = EXACT_SCAN_MAX_FACES) -> None:
        self._connection = connection
        self._exact_scan_max = exact_scan_max

    async def add(self, collection_id: UUID, face: NewFace) -> FaceRecord:
        """Insert the face and its image; call it inside a transaction, so that both are stored or neither.
        The face takes its person's display name; a person absent from the collection is `PersonNotFound`
        (the foreign key decides, so a person deleted at the same moment cannot be left with a face)."""
        try:
            status = await self._connection.execute(
                """
                INSERT INTO faces (id, person_id, collection_id, display_name, image_url, face_vec, model,
                                   det_score, box, landmarks, metadata, external_id)
                SELECT $1, p.id, p.collection_id, p.display_name, $4, $5, $6, $7, $8, $9, $10, $11
                FROM persons AS p WHERE p.id = $2 AND p.collection_id = $3
                """,
                face.id,
                face.person_id,
                collection_id,
                face.image_url,
                face.embedding,
                face.model,
                face.det_score,
                [face.box.x1, face.box.y1, face.box.x2, face.box.y2],
                face.landmarks.reshape(-1).tolist(),
                face.metadata,
                face.external_id,
            )
        except asyncpg.ForeignKeyViolationError as error:
            raise PersonNotFound(f"no person with id {face.person_id}") from error
        except asyncpg.UniqueViolationError as error:
            raise ExternalIdTaken(f"external id {face.external_id!r} is already stored") from error
        if status == "INSERT 0 0":
            raise PersonNotFound(f"no person with id {face.person_id}")
        if face.image is not None:
            await self._connection.execute(
                "INSERT INTO face_images (face_id, content_type, data) VALUES ($1, $2, $3)",
                face.id,
                face.image.content_type,
                face.image.data,
            )
        return await self.get(collection_id, face.id)

    async def get(self, collection_id: UUID, face_id: UUID, *, with_embedding: bool = False) -> FaceRecord:
        vector = ", f.face_vec" if with_embedding else ""
        row = await self._connection.fetchrow(
            f"SELECT {_RECORD_COLUMNS}{vector} FROM {_FROM} WHERE f.id = $1 AND f.collection_id = $2",
            face_id,
            collection_id,
        )
        if row is None:
            raise FaceNotFound(f"no face with id {face_id}")
        return _record(row, embedding=row["face_vec"].to_numpy() if with_embedding else None)

    async def vector_of(self, collection_id: UUID, face_id: UUID, *, model: str) -> FaceVector:
        """The face's vector of `model`: `FaceNotFound` if the face is absent, `ModelMismatch` if it has
        no vector of that pack (registered with another and not re-embedded)."""
        row = await self._connection.fetchrow(
            """
            SELECT f.id, f.person_id, f.display_name, f.model, v.embedding
            FROM faces AS f LEFT JOIN face_vectors AS v ON v.face_id = f.id AND v.model = $3
            WHERE f.id = $1 AND f.collection_id = $2
            """,
            face_id,
            collection_id,
            model,
        )
        if row is None:
            raise FaceNotFound(f"no face with id {face_id}")
        if row["embedding"] is None:
            raise ModelMismatch(
                f"face {face_id} was embedded by model pack {row['model']}, this service runs {model}: "
                f"embeddings of different packs cannot be compared; run `facerec reembed --model {model}`"
            )
        return _vector(row)

    async def with_external_ids(self, collection_id: UUID, external_ids: list[str]) -> dict[str, FaceRecord]:
        """The stored faces of the collection that carry one of these external ids, by external id."""
        rows = await self._connection.fetch(
            f"SELECT {_RECORD_COLUMNS} FROM {_FROM} WHERE f.collection_id = $1 AND f.external_id = ANY($2)",
            collection_id,
            external_ids,
        )
        return {row["external_id"]: _record(row, embedding=None) for row in rows}

    async def image(self, collection_id: UUID, face_id: UUID) -> StoredImage:
        row = await self._connection.fetchrow(
            """
            SELECT i.content_type, i.data FROM face_images AS i JOIN faces AS f ON f.id = i.face_id
            WHERE i.face_id = $1 AND f.collection_id = $2
            """,
            face_id,
            collection_id,
        )
        if row is None:
            raise FaceNotFound(f"no stored image for face {face_id}")
        return StoredImage(content_type=row["content_type"], data=row["data"])

    async def nearest(
        self, collection_id: UUID, embedding: FloatArray, *, model: str, limit: int
    ) -> list[Match]:
        """The `limit` faces of `model` in the collection most similar to `embedding`, best first, however
        far they are. Call it inside a transaction (the search settings are transaction-local).

        A collection of up to `exact_scan_max` faces is read whole through its btree and ranked exactly: the
        HNSW graph, filtered down to a small share of the table, misses faces and is slower
        (docs/BENCHMARKS.md, "Search inside a collection"). A larger collection is searched through the
        HNSW index with pgvector's iterative scan, which keeps walking the graph until enough faces of the
        collection are found, with fewer candidates where it is a small part of the table."""
        faces, table_faces = await self._sizes(collection_id)
        if faces > self._exact_scan_max:
            ef_search = max(ef_search_for(faces, table_faces), limit)
            await self._connection.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
            await self._connection.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            query = _HNSW_NEAREST
        else:
            query = _EXACT_NEAREST
        rows = await self._connection.fetch(query, embedding, model, collection_id, limit)
        return [_match(row) for row in rows]

    async def _sizes(self, collection_id: UUID) -> tuple[int, int]:
        """The collection's faces (its kept count) and the table's: no face row is read. The table's is the
        smaller of the planner's estimate (too high after a mass delete, until the table is analysed again)
        and the statistics' live rows (counted at each commit; 0 after a crash), so that a collection is
        never taken for a smaller share of the table than it is; 0 before the table was first analysed."""
        row = await self._connection.fetchrow(
            """
            SELECT c.face_count,
                   least(greatest(t.reltuples, 0), pg_stat_get_live_tuples(t.oid))::bigint AS table_faces
            FROM collections AS c, pg_class AS t
            WHERE c.id = $1 AND t.oid = 'faces'::regclass
            """,
            collection_id,
        )
        return (0, 0) if row is None else (row["face_count"], row["table_faces"])

    async def vectors_of_persons(
        self, collection_id: UUID, person_ids: list[UUID], *, model: str
    ) -> list[FaceVector]:
        """Every face of `model` of these persons, with its embedding."""
        rows = await self._connection.fetch(
            f"""
            SELECT f.id, f.person_id, f.display_name, v.embedding FROM {_WITH_VECTOR.format(model=3)}
            WHERE f.person_id = ANY($1::uuid[]) AND f.collection_id = $2
            """,
            person_ids,
            collection_id,
            model,
        )
        return [_vector(row) for row in rows]

    async def sample(self, collection_id: UUID, *, model: str, limit: int) -> list[FaceVector]:
        """At most `limit` faces of `model`, spread over persons: every person's first face, then every
        person's second, and so on. Reads every face's row of the collection once (a sequential scan and a
        sort, linear in its faces)."""
        rows = await self._connection.fetch(
            f"""
            SELECT id, person_id, display_name, embedding FROM (
                SELECT f.id, f.person_id, f.display_name, v.embedding,
                       row_number() OVER (PARTITION BY f.person_id ORDER BY f.inserted_at, f.id) AS nth
                FROM {_WITH_VECTOR.format(model=2)} WHERE f.collection_id = $1
            ) AS numbered
            ORDER BY nth, person_id
            LIMIT $3
            """,
            collection_id,
            model,
            limit,
        )
        return [_vector(row) for row in rows]

    async def of_persons_or_singletons(
        self, collection_id: UUID, person_ids: list[UUID] | None, *, model: str, limit: int
    ) -> list[FaceVector]:
        """The faces of `model` of these persons or, without persons, of the persons who have exactly one
        face; oldest first, at most `limit`."""
        rows = await self._connection.fetch(
            f"""
            SELECT f.id, f.person_id, f.display_name, v.embedding FROM {_WITH_VECTOR.format(model=2)}
            WHERE f.collection_id = $1
              AND CASE WHEN $3::uuid[] IS NULL
                       THEN NOT EXISTS (SELECT 1 FROM faces AS g WHERE g.person_id = f.person_id
                                                                   AND g.id <> f.id)
                       ELSE f.person_id = ANY($3::uuid[]) END
            ORDER BY f.inserted_at, f.id
            LIMIT $4
            """,
            collection_id,
            model,
            person_ids,
            limit,
        )
        return [_vector(row) for row in rows]

    async def move(self, collection_id: UUID, face_ids: list[UUID], person_id: UUID) -> list[UUID]:
        """Give these faces to the person (who must be locked, `PersonStore.lock`); the persons they
        belonged to. A face absent from the collection is `FaceNotFound`."""
        rows = await self._connection.fetch(
            """
            WITH moved AS (
                SELECT f.id, f.person_id FROM faces AS f
                WHERE f.id = ANY($1::uuid[]) AND f.collection_id = $2 FOR UPDATE
            ), updated AS (
                UPDATE faces AS f SET person_id = $3, updated_at = now(),
                       display_name = (SELECT p.display_name FROM persons AS p WHERE p.id = $3)
                FROM moved WHERE f.id = moved.id
                RETURNING f.id
            )
            SELECT moved.id, moved.person_id FROM moved JOIN updated ON updated.id = moved.id
            """,
            face_ids,
            collection_id,
            person_id,
        )
        missing = set(face_ids) - {row["id"] for row in rows}
        if missing:
            raise FaceNotFound(f"no face with id {min(missing)}")
        return list(dict.fromkeys(row["person_id"] for row in rows if row["person_id"] != person_id))

    async def page(
        self,
        collection_id: UUID,
        *,
        limit: int,
        after: PageCursor | None,
        display_name: str | None = None,
        person_id: UUID | None = None,
    ) -> FacePage:
        """Faces in insertion order, keyset-paginated; `display_name` matches whole names, ignoring case."""
        rows = await self._connection.fetch(
            f"""
            SELECT {_RECORD_COLUMNS} FROM {_FROM}
            WHERE f.collection_id = $1
              AND ($2::text IS NULL OR lower(f.display_name) = lower($2))
              AND ($3::uuid IS NULL OR f.person_id = $3)
              AND ($4::timestamptz IS NULL OR (f.inserted_at, f.id) > ($4, $5::uuid))
            ORDER BY f.inserted_at, f.id
            LIMIT $6
            """,
            collection_id,
            display_name,
            person_id,
            after.created_at if after else None,
            after.id if after else None,
            limit + 1,
        )
        faces = [_record(row, embedding=None) for row in rows[:limit]]
        more = len(rows) > limit
        cursor = PageCursor(faces[-1].inserted_at, faces[-1].id) if more and faces else None
        return FacePage(faces=faces, next_cursor=cursor)

    async def update(
        self, collection_id: UUID, face_id: UUID, *, metadata: Metadata | None, person_id: UUID | None
    ) -> FaceRecord:
        """Replace the metadata and/or move the face to another person of the same collection."""
        try:
            await self._connection.execute(
                """
                UPDATE faces AS f SET metadata = coalesce($3, f.metadata),
                                      person_id = coalesce($4, f.person_id),
                                      display_name = coalesce(
                                          (SELECT p.display_name FROM persons AS p WHERE p.id = $4),
                                          f.display_name),
                                      updated_at = now()
                WHERE f.id = $1 AND f.collection_id = $2
                """,
                face_id,
                collection_id,
                metadata,
                person_id,
            )
        except asyncpg.ForeignKeyViolationError as error:
            raise PersonNotFound(f"no person with id {person_id}") from error
        return await self.get(collection_id, face_id)  # FaceNotFound where there was none to update

    async def delete(self, collection_id: UUID, face_id: UUID) -> None:
        """Erase the face, its vector and its image (the image goes by ON DELETE CASCADE)."""
        status = await self._connection.execute(
            "DELETE FROM faces WHERE id = $1 AND collection_id = $2", face_id, collection_id
        )
        if status == "DELETE 0":
            raise FaceNotFound(f"no face with id {face_id}")


def ef_search_for(collection_faces: int, table_faces: int) -> int:
    """The graph candidates a collection's search keeps: fewer where it is at most 1/PART_SHARE of the table
    (never where the table's size is not yet known: 0)."""
    return EF_SEARCH_IN_PART if collection_faces * PART_SHARE <= table_faces else EF_SEARCH


def _match(row: Any) -> Match:
    return Match(
        id=row["id"],
        person_id=row["person_id"],
        display_name=row["display_name"],
        score=row["score"],
        image_url=row["image_url"],
    )


def _vector(row: Any) -> FaceVector:
    return FaceVector(
        id=row["id"],
        person_id=row["person_id"],
        display_name=row["display_name"],
        embedding=np.asarray(row["embedding"].to_numpy(), dtype=np.float32),
    )


def _record(row: Any, *, embedding: np.ndarray | None) -> FaceRecord:
    return FaceRecord(
        id=row["id"],
        person_id=row["person_id"],
        collection=row["collection"],
        display_name=row["display_name"],
        image_url=row["image_url"],
        inserted_at=row["inserted_at"],
        updated_at=row["updated_at"],
        model=row["model"],
        det_score=row["det_score"],
        box=Box(*row["box"]),
        landmarks=np.asarray(row["landmarks"], dtype=np.float32).reshape(5, 2),
        metadata=row["metadata"],
        has_image=row["has_image"],
        embedding=None if embedding is None else np.asarray(embedding, dtype=np.float32),
        external_id=row["external_id"],
    )
