"""The database connection: a pool that comes up when the server does, and failures that fail fast.

The service starts whether or not Postgres answers. Until it does, a background task retries (migrating
first where asked); requests that need the database get `DatabaseUnavailable` (503) at once instead of
hanging. A server lost while serving is found again by the pool's own reconnects.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import asyncpg

from facerec.db.pool import create_pool
from facerec.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)

# What a lost or absent server looks like to asyncpg. Anything else is a bug and stays a 500.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a protocol state broken by a connection lost mid-query
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InsufficientResourcesError,  # a full disk, no memory, no connection slot: the server's state
)
ACQUIRE_TIMEOUT_S = 5.0
PING_TIMEOUT_S = 2.0
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0


@dataclass(frozen=True)
class PoolOptions:
    min_size: int
    max_size: int
    statement_cache_size: int


class Database:
    def __init__(
        self, url: str, options: PoolOptions, *, prepare: Callable[[str], None] | None = None
    ) -> None:
        """`prepare` (blocking, run in a thread) runs before the first pool is made: migrations."""
        self._url = url
        self._options = options
        self._prepare = prepare
        self._pool: asyncpg.Pool | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect now if the server answers, else keep trying in the background."""
        try:
            await self._connect()
        except CONNECTION_ERRORS as error:
            logger.warning("database unavailable at startup (%s); retrying in the background", error)
            self._connecting = asyncio.create_task(self._keep_connecting(), name="facerec-db-connect")

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._pool is not None:
            await self._pool.close()

    @property
    def connected(self) -> bool:
        return self._pool is not None

    @property
    def connections_in_use(self) -> int:
        return 0 if self._pool is None else self._pool.get_size() - self._pool.get_idle_size()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; any sign of a lost server becomes `DatabaseUnavailable`."""
        if self._pool is None:
            raise DatabaseUnavailable("the database is not reachable yet; try again shortly")
        try:
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as connection:
                yield connection
        except CONNECTION_ERRORS as error:
            raise DatabaseUnavailable(f"the database is not reachable ({type(error).__name__})") from error

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection inside one transaction: committed when the block ends, else rolled back."""
        async with self.connection() as connection, connection.transaction():
            yield connection

    async def ping(self) -> bool:
        try:
            async with self.connection() as connection:
                await connection.fetchval("SELECT 1", timeout=PING_TIMEOUT_S)
        except DatabaseUnavailable:
            return False
        return True

    async def _connect(self) -> None:
        if self._prepare is not None:
            await asyncio.to_thread(self._prepare, self._url)
        self._pool = await create_pool(
            self._url,
            min_size=self._options.min_size,
            max_size=self._options.max_size,
            statement_cache_size=self._options.statement_cache_size,
        )

    async def _keep_connecting(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            await asyncio.sleep(delay)
            try:
                await self._connect()
            except CONNECTION_ERRORS as error:
                logger.warning("database still unavailable (%s)", error)
                delay = min(delay * 2, RETRY_MAX_S)
            else:
                logger.info("database connected")
                return
