"""The person store: every query on `persons`, beside the method that runs it. Every method is scoped to
one collection: a person of another collection is answered as absent."""

from typing import Any
from uuid import UUID

import asyncpg

from facerec.domain import Metadata, PageCursor, PersonPage, PersonRecord
from facerec.errors import PersonNotFound

_COLUMNS = """
    p.id, c.name AS collection, p.display_name, p.metadata, p.created_at, p.updated_at,
    (SELECT count(*) FROM faces AS f WHERE f.person_id = p.id) AS face_count
"""
_FROM = "persons AS p JOIN collections AS c ON c.id = p.collection_id"


class PersonStore:
    """A repository over one connection (`facerec.db.stores`). Returns records or raises domain errors."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def create(self, collection_id: UUID, *, display_name: str, metadata: Metadata) -> PersonRecord:
        person_id: UUID = await self._connection.fetchval(
            "INSERT INTO persons (collection_id, display_name, metadata) VALUES ($1, $2, $3) RETURNING id",
            collection_id,
            display_name,
            metadata,
        )
        return await self.get(collection_id, person_id)

    async def get(self, collection_id: UUID, person_id: UUID) -> PersonRecord:
        row = await self._connection.fetchrow(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.id = $1 AND p.collection_id = $2",
            person_id,
            collection_id,
        )
        if row is None:
            raise _absent(person_id)
        return _record(row)

    async def lock(self, collection_id: UUID, person_id: UUID) -> None:
        """Hold the person until the transaction ends, so that no face is added while they are deleted
        (the foreign key refuses it anyway; this turns the refusal into `PersonNotFound` before any work)."""
        found = await self._connection.fetchval(
            "SELECT true FROM persons WHERE id = $1 AND collection_id = $2 FOR KEY SHARE",
            person_id,
            collection_id,
        )
        if found is None:
            raise _absent(person_id)

    async def page(
        self, collection_id: UUID, *, limit: int, after: PageCursor | None, name_prefix: str | None
    ) -> PersonPage:
        """Persons in creation order, keyset-paginated; `name_prefix` matches the start of the display
        name, ignoring case."""
        rows = await self._connection.fetch(
            f"""
            SELECT {_COLUMNS} FROM {_FROM}
            WHERE p.collection_id = $1
              AND ($2::text IS NULL OR starts_with(lower(p.display_name), lower($2)))
              AND ($3::timestamptz IS NULL OR (p.created_at, p.id) > ($3, $4::uuid))
            ORDER BY p.created_at, p.id
            LIMIT $5
            """,
            collection_id,
            name_prefix,
            after.created_at if after else None,
            after.id if after else None,
            limit + 1,
        )
        persons = [_record(row) for row in rows[:limit]]
        more = len(rows) > limit
        cursor = PageCursor(persons[-1].created_at, persons[-1].id) if more and persons else None
        return PersonPage(persons=persons, next_cursor=cursor)

    async def update(
        self, collection_id: UUID, person_id: UUID, *, display_name: str | None, metadata: Metadata | None
    ) -> PersonRecord:
        """A new name is the name of every face of the person too (`faces.display_name`, which the seed's
        `match_faces()` returns)."""
        status = await self._connection.execute(
            """
            UPDATE persons SET display_name = coalesce($3, display_name),
                               metadata = coalesce($4, metadata),
                               updated_at = now()
            WHERE id = $1 AND collection_id = $2
            """,
            person_id,
            collection_id,
            display_name,
            metadata,
        )
        if status == "UPDATE 0":
            raise _absent(person_id)
        if display_name is not None:
            await self._connection.execute(
                "UPDATE faces SET display_name = $2 WHERE person_id = $1 AND display_name <> $2",
                person_id,
                display_name,
            )
        return await self.get(collection_id, person_id)

    async def delete_faceless(self, collection_id: UUID, person_ids: list[UUID]) -> list[UUID]:
        """Erase those of these persons who have no face left; their ids."""
        rows = await self._connection.fetch(
            """
            DELETE FROM persons AS p WHERE p.id = ANY($1::uuid[]) AND p.collection_id = $2
              AND NOT EXISTS (SELECT 1 FROM faces AS f WHERE f.person_id = p.id)
            RETURNING p.id
            """,
            person_ids,
            collection_id,
        )
        return [row["id"] for row in rows]

    async def delete(self, collection_id: UUID, person_id: UUID) -> None:
        """Erase the person with every face and photo (ON DELETE CASCADE)."""
        status = await self._connection.execute(
            "DELETE FROM persons WHERE id = $1 AND collection_id = $2", person_id, collection_id
        )
        if status == "DELETE 0":
            raise _absent(person_id)


def _absent(person_id: UUID) -> PersonNotFound:
    return PersonNotFound(f"no person with id {person_id}")


def _record(row: Any) -> PersonRecord:
    return PersonRecord(
        id=row["id"],
        collection=row["collection"],
        display_name=row["display_name"],
        metadata=row["metadata"],
        face_count=row["face_count"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
