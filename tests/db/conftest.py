from collections.abc import AsyncIterator

import asyncpg
import pytest

from facerec.db.pool import init_connection
from facerec.db.urls import asyncpg_url


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
