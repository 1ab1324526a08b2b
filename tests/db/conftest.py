import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from facerec.db.migrate import upgrade_to_head
from facerec.db.pool import init_connection
from facerec.db.urls import asyncpg_url
from tests.db.fresh import fresh_database


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that is rolled back: the test leaves nothing behind."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    await init_connection(connection)
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture
async def committing(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a migrated database of its own, outside any transaction: what it writes is
    committed (for TRUNCATE, and for what only commits change, such as the statistics)."""
    async with fresh_database(database_url) as url:
        await asyncio.to_thread(upgrade_to_head, url)  # Alembic runs its own event loop
        connection = await asyncpg.connect(asyncpg_url(url))
        await init_connection(connection)
        try:
            yield connection
        finally:
            await connection.close()
