"""The rejection store: "not this person" feedback, every query on `rejections` beside its method."""

from uuid import UUID

import asyncpg

from facerec.errors import PersonNotFound
from facerec.models.faces import FloatArray


class RejectionStore:
    """A repository over one connection (`facerec.db.stores`)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def add(
        self,
        collection_id: UUID,
        person_id: UUID,
        *,
        embedding: FloatArray,
        model: str,
        face_id: UUID | None,
    ) -> UUID:
        try:
            rejection_id: UUID = await self._connection.fetchval(
                """
                INSERT INTO rejections (person_id, collection_id, face_id, embedding, model)
                VALUES ($1, $2, $3, $4, $5) RETURNING id
                """,
                person_id,
                collection_id,
                face_id,
                embedding,
                model,
            )
        except asyncpg.ForeignKeyViolationError as error:
            raise PersonNotFound(f"no person with id {person_id}") from error
        return rejection_id

    async def persons_rejected(
        self, collection_id: UUID, embedding: FloatArray, *, model: str, similarity: float
    ) -> set[UUID]:
        """Persons rejected for a face within `similarity` of this one. A scan of the collection's
        rejections (no vector index: feedback is few rows next to the faces). A rejection of a stored
        face made under another pack counts with that face's `model` vector, once it has one
        (`facerec reembed`); one made from a probe photo of another pack cannot be carried over."""
        rows = await self._connection.fetch(
            """
            SELECT DISTINCT r.person_id FROM rejections AS r
            LEFT JOIN face_vectors AS v ON v.face_id = r.face_id AND v.model = $2 AND r.model <> $2
            WHERE r.collection_id = $1 AND (r.model = $2 OR v.face_id IS NOT NULL)
              AND 1 - (coalesce(v.embedding, r.embedding) <=> $3) >= $4
            """,
            collection_id,
            model,
            embedding,
            similarity,
        )
        return {row["person_id"] for row in rows}
