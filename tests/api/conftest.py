from collections.abc import AsyncIterator

import asyncpg
import pytest

from facerec.db.urls import asyncpg_url


@pytest.fixture(autouse=True)
async def empty_store(database_url: str) -> AsyncIterator[None]:
    """Each API test starts and ends with no stored faces."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute("TRUNCATE faces CASCADE")
        yield
        await connection.execute("TRUNCATE faces CASCADE")
    finally:
        await connection.close()
