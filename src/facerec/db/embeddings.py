"""The vectors of packs other than a face's own (`face_embeddings`, migration 0006): what changing the
model pack reads and writes, every query beside its method."""

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from facerec.db.status import rows_affected
from facerec.domain import FaceToReembed
from facerec.errors import FacesNotReembedded
from facerec.models.faces import Box, FloatArray

# A face still to be re-embedded with the pack `$1`: registered with another, and no vector of `$1` yet.
# "Another" is written as two ranges rather than `<>`, so that the btree `faces_model` answers it: when
# every face is on the pack (the usual state) no row is read, however many faces there are.
_PENDING = """
    (f.model < $1 OR f.model > $1)
    AND NOT EXISTS (SELECT 1 FROM face_embeddings AS e WHERE e.face_id = f.id AND e.model = $1)
"""


@dataclass(frozen=True)
class Promotion:
    promoted: int  # faces whose own vector is now the pack's
    left: int  # faces without a vector of the pack, which kept their own (only with `force`)
    dropped: int  # vectors of other packs deleted from `face_embeddings`


class EmbeddingStore:
    """A repository over one connection."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def count_pending(self, model: str) -> int:
        """Faces still to be re-embedded with `model` (`_PENDING`)."""
        count: int = await self._connection.fetchval(
            f"SELECT count(*) FROM faces AS f WHERE {_PENDING}", model
        )
        return count

    async def pending(self, model: str, *, after: UUID | None, limit: int) -> list[FaceToReembed]:
        """The next `limit` faces without a vector of `model`, in id order after `after`, with their
        stored photos."""
        rows = await self._connection.fetch(
            f"""
            SELECT f.id, c.name AS collection, f.display_name, f.box, i.data
            FROM faces AS f JOIN collections AS c ON c.id = f.collection_id
            LEFT JOIN face_images AS i ON i.face_id = f.id
            WHERE {_PENDING} AND ($2::uuid IS NULL OR f.id > $2)
            ORDER BY f.id
            LIMIT $3
            """,
            model,
            after,
            limit,
        )
        return [
            FaceToReembed(
                id=row["id"],
                collection=row["collection"],
                display_name=row["display_name"],
                box=Box(*row["box"]),
                photo=row["data"],
            )
            for row in rows
        ]

    async def add(self, model: str, vectors: list[tuple[UUID, FloatArray]]) -> None:
        """Store each face's vector of `model`. A face deleted meanwhile, or already holding one, is
        skipped."""
        await self._connection.executemany(
            """
            INSERT INTO face_embeddings (face_id, model, collection_id, embedding)
            SELECT id, $2, collection_id, $3 FROM faces WHERE id = $1 AND model <> $2
            ON CONFLICT DO NOTHING
            """,
            [(face_id, model, vector) for face_id, vector in vectors],
        )

    async def promote(self, model: str, *, force: bool) -> Promotion:
        """Make `model` every face's own pack: its vectors move into `faces` (and into the rejections
        made from those faces), every other pack's vector in `face_embeddings` is deleted. Faces without
        a vector of `model` are `FacesNotReembedded` unless `force`, where they keep their own vector.
        Call it inside a transaction; it holds off new faces until the end."""
        await self._connection.execute("LOCK TABLE faces IN SHARE ROW EXCLUSIVE MODE")
        left = await self.count_pending(model)
        if left and not force:
            raise FacesNotReembedded(
                f"{left} stored faces have no vector of model pack {model}; dropping the old vectors would "
                f"leave them out of search. Run `facerec reembed --model {model}` first, or delete or "
                "register those faces again; --force drops the others' old vectors and keeps theirs"
            )
        promoted = await self._connection.execute(
            """
            UPDATE faces AS f SET model = e.model, face_vec = e.embedding
            FROM face_embeddings AS e WHERE e.face_id = f.id AND e.model = $1
            """,
            model,
        )
        await self._connection.execute(
            """
            UPDATE rejections AS r SET model = e.model, embedding = e.embedding
            FROM face_embeddings AS e WHERE e.face_id = r.face_id AND e.model = $1 AND r.model <> $1
            """,
            model,
        )
        deleted = await self._connection.execute("DELETE FROM face_embeddings")
        updated = rows_affected(promoted)
        return Promotion(promoted=updated, left=left, dropped=rows_affected(deleted) - updated)
