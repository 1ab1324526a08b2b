"""Alembic environment: runs the hand-written revisions over SQLAlchemy's asyncpg dialect.

The URL comes from the `sqlalchemy.url` option when a caller sets one (the service does), else from
DATABASE_URL, so `alembic upgrade head` works against any Postgres with pgvector.
"""

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from facerec.db.urls import sqlalchemy_url

# Replicas started together on one database migrate one at a time: each takes this session-level advisory
# lock first, and the ones that wait find the schema already at head. The key is "facerec" in ASCII.
MIGRATION_LOCK_KEY = 0x66616365726563


def _database_url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    url = configured or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to the Postgres database to migrate")
    return sqlalchemy_url(url)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        transaction_per_migration=True,
        # facerec.db.migrate reports the steps in one line (Alembic's own line per step is DEBUG there)
        on_version_apply=context.config.attributes.get("on_version_apply"),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _advisory_lock(connection: AsyncConnection, function: str) -> None:
    """Take or release the migration lock, outside any transaction (committed at once), so that Alembic
    still runs each revision in its own transaction and the lock outlives them all."""
    await connection.execute(text(f"SELECT {function}(:key)"), {"key": MIGRATION_LOCK_KEY})
    await connection.commit()


async def _run_online() -> None:
    engine = create_async_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await _advisory_lock(connection, "pg_advisory_lock")
            try:
                await connection.run_sync(_migrate)
                await connection.commit()
            finally:
                await _advisory_lock(connection, "pg_advisory_unlock")
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
