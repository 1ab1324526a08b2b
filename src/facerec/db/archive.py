"""The whole gallery as rows, out and back in: `facerec export` reads it, `facerec import --from-export`
writes it into another database with the same ids, vectors and times, other packs' vectors included."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

FETCH_ROWS = 500

_FACES = """
    SELECT f.id, f.person_id, c.name AS collection, f.display_name, f.image_url, f.inserted_at, f.updated_at,
           f.model, f.det_score, f.box, f.landmarks, f.metadata, f.external_id, f.face_vec{image}
    FROM faces AS f JOIN collections AS c ON c.id = f.collection_id {join}
    ORDER BY f.inserted_at, f.id
"""


class ArchiveStore:
    """A repository over one connection; `rows` must run inside a transaction (it reads with a cursor)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def rows(self, *, with_images: bool) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Every collection, person, face and other pack's vector of a face (a pack switch under way), in
        an order that can be restored: (kind, row)."""
        for row in await self._connection.fetch(
            "SELECT id, name, metadata, created_at, updated_at FROM collections ORDER BY created_at, name"
        ):
            yield "collection", dict(row)
        persons = self._connection.cursor(
            """
            SELECT p.id, c.name AS collection, p.display_name, p.metadata, p.created_at, p.updated_at
            FROM persons AS p JOIN collections AS c ON c.id = p.collection_id ORDER BY p.created_at, p.id
            """,
            prefetch=FETCH_ROWS,
        )
        async for row in persons:
            yield "person", dict(row)
        image = ", i.content_type, i.data" if with_images else ""
        join = "LEFT JOIN face_images AS i ON i.face_id = f.id" if with_images else ""
        async for row in self._connection.cursor(_FACES.format(image=image, join=join), prefetch=FETCH_ROWS):
            yield "face", dict(row)
        async for row in self._connection.cursor(
            "SELECT face_id, model, embedding AS face_vec, created_at FROM face_embeddings "
            "ORDER BY face_id, model",
            prefetch=FETCH_ROWS,
        ):
            yield "embedding", dict(row)

    async def restore_collection(self, row: dict[str, Any]) -> None:
        """A collection of the same name already there (`default` always is) is kept as it is."""
        await self._connection.execute(
            """
            INSERT INTO collections (id, name, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            """,
            row["id"],
            row["name"],
            row["metadata"],
            row["created_at"],
            row["updated_at"],
        )

    async def restore_persons(self, rows: list[dict[str, Any]]) -> None:
        await self._connection.executemany(
            """
            INSERT INTO persons (id, collection_id, display_name, metadata, created_at, updated_at)
            SELECT $1, c.id, $3, $4, $5, $6 FROM collections AS c WHERE c.name = $2
            ON CONFLICT (id) DO NOTHING
            """,
            [
                (r["id"], r["collection"], r["display_name"], r["metadata"], r["created_at"], r["updated_at"])
                for r in rows
            ],
        )

    async def restore_faces(self, rows: list[dict[str, Any]]) -> None:
        await self._connection.executemany(
            """
            INSERT INTO faces (id, person_id, collection_id, display_name, image_url, inserted_at, updated_at,
                               model, det_score, box, landmarks, metadata, external_id, face_vec)
            SELECT $1, $2, c.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
            FROM collections AS c WHERE c.name = $3
            ON CONFLICT (id) DO NOTHING
            """,
            [
                (
                    r["id"],
                    r["person_id"],
                    r["collection"],
                    r["display_name"],
                    r["image_url"],
                    r["inserted_at"],
                    r["updated_at"],
                    r["model"],
                    r["det_score"],
                    r["box"],
                    r["landmarks"],
                    r["metadata"],
                    r["external_id"],
                    r["face_vec"],
                )
                for r in rows
            ],
        )
        await self._connection.executemany(
            """
            INSERT INTO face_images (face_id, content_type, data) VALUES ($1, $2, $3)
            ON CONFLICT (face_id) DO NOTHING
            """,
            [(r["id"], r["content_type"], r["data"]) for r in rows if r.get("data") is not None],
        )

    async def restore_embeddings(self, rows: list[dict[str, Any]]) -> None:
        """Other packs' vectors, each beside its face (restored before them)."""
        await self._connection.executemany(
            """
            INSERT INTO face_embeddings (face_id, model, collection_id, embedding, created_at)
            SELECT f.id, $2, f.collection_id, $3, $4 FROM faces AS f WHERE f.id = $1
            ON CONFLICT (face_id, model) DO NOTHING
            """,
            [(r["face_id"], r["model"], r["face_vec"], r["created_at"]) for r in rows],
        )
