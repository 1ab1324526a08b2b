"""SQL from the synchronous CLI tests: each call on its own connection and event loop."""

import asyncio
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from facerec.db.urls import asyncpg_url


def run_sql(url: str, sql: str, *args: object) -> list[Any]:
    """The rows of a query, or nothing for a script (statements separated by `;`, CREATE, DROP)."""
    return asyncio.run(query(url, sql, *args))


async def query(url: str, sql: str, *args: object) -> list[Any]:
    """`run_sql` inside a running event loop."""
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        if ";" in sql or sql.startswith(("CREATE", "DROP")):
            await connection.execute(sql, *args)
            return []
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


def fresh_database(url: str, name: str) -> str:
    """An empty database called `name` on the server of `url` (dropped first if it was left behind)."""
    run_sql(url, f"DROP DATABASE IF EXISTS {name}")
    run_sql(url, f"CREATE DATABASE {name}")
    return urlsplit(url)._replace(path=f"/{name}").geturl()
