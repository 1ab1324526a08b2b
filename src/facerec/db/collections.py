"""The collection store: every query on `collections`, beside the method that runs it."""

from typing import Any
from uuid import UUID

import asyncpg

from facerec.domain import DEFAULT_COLLECTION, CollectionRecord, Metadata
from facerec.errors import CollectionExists, CollectionNotFound

# person_count and face_count are kept by triggers (migration 0007): reading them costs nothing however
# large the collection.
_COLUMNS = "c.id, c.name, c.metadata, c.created_at, c.updated_at, c.person_count, c.face_count"


class CollectionStore:
    """A repository over one connection (`facerec.db.stores`). Returns records or raises domain errors."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def create(self, *, name: str, metadata: Metadata) -> CollectionRecord:
        try:
            await self._connection.execute(
                "INSERT INTO collections (name, metadata) VALUES ($1, $2)", name, metadata
            )
        except asyncpg.UniqueViolationError as error:
            raise CollectionExists(f"a collection named {name!r} already exists") from error
        return await self.get(name)

    async def id_of(self, name: str) -> UUID:
        collection_id: UUID | None = await self._connection.fetchval(
            "SELECT id FROM collections WHERE name = $1", name
        )
        if collection_id is None:
            raise CollectionNotFound(f"no collection named {name!r}")
        return collection_id

    async def totals(self, *, within_s: float | None = None) -> tuple[int, int]:
        """(faces, persons) stored in every collection, from the kept counts: no face or person row is
        read, so health checks and metrics may ask as often as they like. `within_s` bounds the query."""
        faces, persons = await self._connection.fetchrow(
            "SELECT coalesce(sum(face_count), 0)::bigint, coalesce(sum(person_count), 0)::bigint "
            "FROM collections",
            timeout=within_s,
        )
        return faces, persons

    async def person_count(self, collection_id: UUID) -> int:
        count: int = await self._connection.fetchval(
            "SELECT person_count FROM collections WHERE id = $1", collection_id
        )
        return count

    async def get(self, name: str) -> CollectionRecord:
        row = await self._connection.fetchrow(
            f"SELECT {_COLUMNS} FROM collections AS c WHERE c.name = $1", name
        )
        if row is None:
            raise CollectionNotFound(f"no collection named {name!r}")
        return _record(row)

    async def all(self) -> list[CollectionRecord]:
        rows = await self._connection.fetch(f"SELECT {_COLUMNS} FROM collections AS c ORDER BY c.name")
        return [_record(row) for row in rows]

    async def delete(self, name: str) -> list[UUID]:
        """Erase the collection with every person, face and photo in it; the ids of the persons erased.
        `default` is emptied instead: it always exists. The row is locked first, so a person added
        meanwhile waits, and is either erased here (and listed) or refused."""
        collection_id: UUID | None = await self._connection.fetchval(
            "SELECT id FROM collections WHERE name = $1 FOR UPDATE", name
        )
        if collection_id is None:
            raise CollectionNotFound(f"no collection named {name!r}")
        rows = await self._connection.fetch(
            "DELETE FROM persons WHERE collection_id = $1 RETURNING id", collection_id
        )
        if name != DEFAULT_COLLECTION:
            await self._connection.execute("DELETE FROM collections WHERE id = $1", collection_id)
        return [row["id"] for row in rows]


def _record(row: Any) -> CollectionRecord:
    return CollectionRecord(
        id=row["id"],
        name=row["name"],
        metadata=row["metadata"],
        person_count=row["person_count"],
        face_count=row["face_count"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
