import asyncio
import os
import sys

import asyncpg

from facerec.db.urls import asyncpg_url
from tests.db.fresh import fresh_database, head_revision


async def test_migrations_create_the_seed_schema(database_url: str) -> None:
    """The session database was migrated from empty by `alembic upgrade head` (see conftest)."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        columns = dict(
            await connection.fetch(
                "SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns "
                "JOIN pg_attribute ON attrelid = 'faces'::regclass AND attname = column_name "
                "WHERE table_name = 'faces'"
            )
        )
        index = await connection.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'faces_face_vec_hnsw'"
        )
        storage = await connection.fetchval(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'faces'::regclass AND attname = 'face_vec'"
        )
        version = await connection.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    assert columns["id"] == "uuid"
    assert columns["display_name"] == "text"
    assert columns["image_url"] == "text"
    assert columns["face_vec"] == "vector(512)"
    assert columns["inserted_at"] == "timestamp with time zone"
    assert columns["metadata"] == "jsonb"
    assert "USING hnsw (face_vec vector_cosine_ops)" in index
    assert storage == b"p"  # PLAIN: kept inline, never TOASTed
    assert version == head_revision()


async def test_concurrent_migrations_take_turns(database_url: str) -> None:
    """Four `facerec migrate` processes start on an empty database at once (replicas starting together):
    the advisory lock lets one migrate while the others wait and then find the schema at head."""
    async with fresh_database(database_url) as url:
        codes = await asyncio.gather(*(_migrate_in_a_process(url) for _ in range(4)))
        connection = await asyncpg.connect(asyncpg_url(url))
        try:
            versions = await connection.fetch("SELECT version_num FROM alembic_version")
        finally:
            await connection.close()
    assert codes == [0, 0, 0, 0]
    assert [row["version_num"] for row in versions] == [head_revision()]


async def _migrate_in_a_process(url: str) -> int:
    """Alembic keeps its context in module globals: concurrent migrations need processes, as replicas are."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "facerec", "migrate", env={**os.environ, "DATABASE_URL": url}
    )
    return await process.wait()
