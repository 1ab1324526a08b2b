"""Collections, persons and stored faces: reading and changing what is stored, without inference.
Each call is one unit of work over the stores."""

from uuid import UUID

from facerec.db.database import Database
from facerec.db.stores import transaction
from facerec.domain import (
    CollectionRecord,
    FacePage,
    FaceRecord,
    Metadata,
    PageCursor,
    PersonPage,
    PersonRecord,
    StoredImage,
    WebhookEvent,
)
from facerec.webhooks.events import person_deleted


class Gallery:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create_collection(self, name: str, metadata: Metadata) -> CollectionRecord:
        async with transaction(self._database) as tx:
            return await tx.collections.create(name=name, metadata=metadata)

    async def collections(self) -> list[CollectionRecord]:
        async with transaction(self._database) as tx:
            return await tx.collections.all()

    async def collection(self, name: str) -> CollectionRecord:
        async with transaction(self._database) as tx:
            return await tx.collections.get(name)

    async def delete_collection(self, name: str) -> None:
        """Each person erased is reported as `person.deleted`, in the same transaction."""
        async with transaction(self._database) as tx:
            erased = await tx.collections.delete(name)
            await tx.webhooks.enqueue_many(
                WebhookEvent.PERSON_DELETED, [person_deleted(name, person_id) for person_id in erased]
            )

    async def create_person(self, collection: str, display_name: str, metadata: Metadata) -> PersonRecord:
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            return await tx.persons.create(collection_id, display_name=display_name, metadata=metadata)

    async def person(self, collection: str, person_id: UUID) -> PersonRecord:
        async with transaction(self._database) as tx:
            return await tx.persons.get(await tx.collections.id_of(collection), person_id)

    async def persons(
        self, collection: str, *, limit: int, after: PageCursor | None, name_prefix: str | None
    ) -> PersonPage:
        async with transaction(self._database) as tx:
            return await tx.persons.page(
                await tx.collections.id_of(collection), limit=limit, after=after, name_prefix=name_prefix
            )

    async def update_person(
        self, collection: str, person_id: UUID, *, display_name: str | None, metadata: Metadata | None
    ) -> PersonRecord:
        async with transaction(self._database) as tx:
            return await tx.persons.update(
                await tx.collections.id_of(collection),
                person_id,
                display_name=display_name,
                metadata=metadata,
            )

    async def delete_person(self, collection: str, person_id: UUID) -> None:
        async with transaction(self._database) as tx:
            await tx.persons.delete(await tx.collections.id_of(collection), person_id)
            await tx.webhooks.enqueue(WebhookEvent.PERSON_DELETED, person_deleted(collection, person_id))

    async def face(self, collection: str, face_id: UUID, *, with_embedding: bool) -> FaceRecord:
        async with transaction(self._database) as tx:
            return await tx.faces.get(
                await tx.collections.id_of(collection), face_id, with_embedding=with_embedding
            )

    async def faces_with_external_ids(
        self, collection: str, external_ids: list[str]
    ) -> dict[str, FaceRecord]:
        async with transaction(self._database) as tx:
            return await tx.faces.with_external_ids(await tx.collections.id_of(collection), external_ids)

    async def image(self, collection: str, face_id: UUID) -> StoredImage:
        async with transaction(self._database) as tx:
            return await tx.faces.image(await tx.collections.id_of(collection), face_id)

    async def faces(
        self,
        collection: str,
        *,
        limit: int,
        after: PageCursor | None,
        display_name: str | None = None,
        person_id: UUID | None = None,
    ) -> FacePage:
        """Faces of the collection, or of one person in it (`PersonNotFound` if there is no such person)."""
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            if person_id is not None:
                await tx.persons.get(collection_id, person_id)
            return await tx.faces.page(
                collection_id, limit=limit, after=after, display_name=display_name, person_id=person_id
            )

    async def update_face(
        self,
        collection: str,
        face_id: UUID,
        *,
        display_name: str | None,
        metadata: Metadata | None,
        person_id: UUID | None,
    ) -> FaceRecord:
        """Replace the face's metadata, move it to another person, and/or rename its person (a face's
        name is its person's)."""
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            record = await tx.faces.update(collection_id, face_id, metadata=metadata, person_id=person_id)
            if display_name is not None:
                await tx.persons.update(
                    collection_id, record.person_id, display_name=display_name, metadata=None
                )
                record = await tx.faces.get(collection_id, face_id)
            return record

    async def delete_face(self, collection: str, face_id: UUID) -> None:
        async with transaction(self._database) as tx:
            await tx.faces.delete(await tx.collections.id_of(collection), face_id)
