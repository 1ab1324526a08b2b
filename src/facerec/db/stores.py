"""The unit of work: one connection handed to every store, inside one transaction where writes happen."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from facerec.db.collections import CollectionStore
from facerec.db.database import Database
from facerec.db.faces import FaceStore
from facerec.db.persons import PersonStore
from facerec.db.webhooks import WebhookStore


class Stores:
    """The repositories over one connection."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.collections = CollectionStore(connection)
        self.persons = PersonStore(connection)
        self.faces = FaceStore(connection)
        self.webhooks = WebhookStore(connection)


@asynccontextmanager
async def transaction(database: Database) -> AsyncIterator[Stores]:
    """`async with transaction(database) as tx:` every store on one connection, in one transaction:
    everything done in the block is committed together, or nothing is."""
    async with database.transaction() as connection:
        yield Stores(connection)
