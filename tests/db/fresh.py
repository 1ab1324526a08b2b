"""An empty database of its own on the session's Postgres server, for tests that migrate from nothing."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic.config import Config
from alembic.script import ScriptDirectory

from facerec.db.migrate import migrations_dir
from facerec.db.urls import asyncpg_url


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """Yields the URL of a new, empty database on the server of `server_url`; drops it on exit."""
    name = f"facerec_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(asyncpg_url(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
