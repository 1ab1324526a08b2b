"""The face store: every query on `faces` and `face_images`, beside the method that runs it."""

from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from facerec.db.database import Database
from facerec.db.records import FacePage, FaceRecord, Match, Metadata, NewFace, PageCursor, StoredImage
from facerec.errors import FaceNotFound
from facerec.models.faces import Box

# Candidates the HNSW graph search keeps (pgvector's hnsw.ef_search). At 1M faces, 200 finds 99.5% of the
# query person's stored photos against 98% at 100, for about 6 ms more (docs/BENCHMARKS.md).
EF_SEARCH = 200

_RECORD_COLUMNS = """
    f.id, f.display_name, f.image_url, f.inserted_at, f.updated_at, f.model, f.det_score, f.box,
    f.landmarks, f.metadata, EXISTS (SELECT 1 FROM face_images AS i WHERE i.face_id = f.id) AS has_image
"""


class FaceStore:
    """A repository over an asyncpg pool. Returns records or raises domain errors."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, face: NewFace) -> FaceRecord:
        """Insert the face and its image in one transaction: either both are stored or neither."""
        async with self._database.connection() as connection, connection.transaction():
            await connection.execute(
                """
                INSERT INTO faces (id, display_name, image_url, face_vec, model, det_score, box, landmarks,
                                   metadata)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                face.id,
                face.display_name,
                face.image_url,
                face.embedding,
                face.model,
                face.det_score,
                [face.box.x1, face.box.y1, face.box.x2, face.box.y2],
                face.landmarks.reshape(-1).tolist(),
                face.metadata,
            )
            if face.image is not None:
                await connection.execute(
                    "INSERT INTO face_images (face_id, content_type, data) VALUES ($1, $2, $3)",
                    face.id,
                    face.image.content_type,
                    face.image.data,
                )
            return await self._fetch(connection, face.id, with_embedding=False)

    async def get(self, face_id: UUID, *, with_embedding: bool = False) -> FaceRecord:
        async with self._database.connection() as connection:
            return await self._fetch(connection, face_id, with_embedding=with_embedding)

    async def image(self, face_id: UUID) -> StoredImage:
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT content_type, data FROM face_images WHERE face_id = $1", face_id
            )
        if row is None:
            raise FaceNotFound(f"no stored image for face {face_id}")
        return StoredImage(content_type=row["content_type"], data=row["data"])

    async def nearest(self, embedding: np.ndarray, *, model: str, limit: int) -> list[Match]:
        """The `limit` faces of `model` most similar to `embedding`, best first, however far they are."""
        async with self._database.connection() as connection, connection.transaction():
            await connection.execute(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, limit)}")
            await connection.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = await connection.fetch(
                """
                SELECT id, display_name, image_url, score FROM (
                    SELECT id, display_name, image_url, 1 - (face_vec <=> $1) AS score
                    FROM faces WHERE model = $2
                    ORDER BY face_vec <=> $1
                    LIMIT $3
                ) AS nearest
                ORDER BY score DESC
                """,
                embedding,
                model,
                limit,
            )
        return [
            Match(
                id=row["id"], display_name=row["display_name"], score=row["score"], image_url=row["image_url"]
            )
            for row in rows
        ]

    async def page(self, *, limit: int, after: PageCursor | None, display_name: str | None) -> FacePage:
        """Faces in insertion order, keyset-paginated; `display_name` matches case-insensitively."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                f"""
            SELECT {_RECORD_COLUMNS} FROM faces AS f
            WHERE ($1::text IS NULL OR lower(f.display_name) = lower($1))
              AND ($2::timestamptz IS NULL OR (f.inserted_at, f.id) > ($2, $3::uuid))
            ORDER BY f.inserted_at, f.id
            LIMIT $4
            """,
                display_name,
                after.inserted_at if after else None,
                after.id if after else None,
                limit + 1,
            )
        faces = [_record(row, embedding=None) for row in rows[:limit]]
        more = len(rows) > limit
        cursor = PageCursor(faces[-1].inserted_at, faces[-1].id) if more and faces else None
        return FacePage(faces=faces, next_cursor=cursor)

    async def update(
        self, face_id: UUID, *, display_name: str | None, metadata: Metadata | None
    ) -> FaceRecord:
        async with self._database.connection() as connection, connection.transaction():
            status = await connection.execute(
                """
                UPDATE faces SET display_name = coalesce($2, display_name),
                                 metadata = coalesce($3, metadata),
                                 updated_at = now()
                WHERE id = $1
                """,
                face_id,
                display_name,
                metadata,
            )
            if status == "UPDATE 0":
                raise FaceNotFound(f"no face with id {face_id}")
            return await self._fetch(connection, face_id, with_embedding=False)

    async def delete(self, face_id: UUID) -> None:
        """Erase the face, its vector and its image (the image goes by ON DELETE CASCADE)."""
        async with self._database.connection() as connection:
            status = await connection.execute("DELETE FROM faces WHERE id = $1", face_id)
        if status == "DELETE 0":
            raise FaceNotFound(f"no face with id {face_id}")

    async def _fetch(
        self, connection: asyncpg.Connection, face_id: UUID, *, with_embedding: bool
    ) -> FaceRecord:
        vector = ", f.face_vec" if with_embedding else ""
        row = await connection.fetchrow(
            f"SELECT {_RECORD_COLUMNS}{vector} FROM faces AS f WHERE f.id = $1", face_id
        )
        if row is None:
            raise FaceNotFound(f"no face with id {face_id}")
        return _record(row, embedding=row["face_vec"].to_numpy() if with_embedding else None)


def _record(row: Any, *, embedding: np.ndarray | None) -> FaceRecord:
    return FaceRecord(
        id=row["id"],
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
    )
