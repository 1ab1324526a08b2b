"""The asyncpg pool, with pgvector's codec registered on every connection."""

import json

import asyncpg
from pgvector.asyncpg import register_vector

from facerec.db.urls import asyncpg_url

CONNECT_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 10.0


async def init_connection(connection: asyncpg.Connection) -> None:
    """What every connection of the pool has: the pgvector codec, and jsonb as Python values."""
    await register_vector(connection)
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    database_url: str, *, min_size: int, max_size: int, statement_cache_size: int
) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        asyncpg_url(database_url),
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        statement_cache_size=statement_cache_size,
        timeout=CONNECT_TIMEOUT_S,
        command_timeout=COMMAND_TIMEOUT_S,
    )
    return pool
