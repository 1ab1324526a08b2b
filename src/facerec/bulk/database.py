"""One connection to the service's database for the bulk commands, with the service's settings: the
configured server or the embedded one (the running service's server when a service holds the data
directory), migrated first where the service would migrate it."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from facerec.db.embedded import embedded_postgres_beside_service
from facerec.db.migrate import upgrade_to_head
from facerec.db.pool import create_pool
from facerec.settings import Settings


@asynccontextmanager
async def connection_of(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    async with _database_url(settings) as url:
        if settings.auto_migrate:
            await asyncio.to_thread(upgrade_to_head, url)
        pool = await create_pool(url, min_size=1, max_size=1, statement_cache_size=100)
        try:
            async with pool.acquire() as connection:
                yield connection
        finally:
            await pool.close()


@asynccontextmanager
async def _database_url(settings: Settings) -> AsyncIterator[str]:
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value()
        return
    with embedded_postgres_beside_service(settings.data_dir) as url:
        yield url
