"""The application factory. The lifespan owns every resource and releases them in reverse order."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TypedDict

import asyncpg
from fastapi import FastAPI

from facerec.api.errors import install_error_handlers
from facerec.api.limits import BodySizeLimit
from facerec.api.routes import faces, health, verify
from facerec.db.embedded import embedded_postgres_server
from facerec.db.faces import FaceStore
from facerec.db.migrate import upgrade_to_head
from facerec.db.pool import create_pool
from facerec.executor import BlockingRunner
from facerec.models.loader import load_engine
from facerec.service import FaceService
from facerec.settings import Settings

logger = logging.getLogger(__name__)


class State(TypedDict):
    settings: Settings
    service: FaceService
    store: FaceStore
    pool: asyncpg.Pool


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="facerec",
        summary="Self-hosted face recognition: InsightFace embeddings in Postgres + pgvector.",
        version="0.1.0",
        lifespan=_lifespan(settings),
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.include_router(health.router)
    app.include_router(faces.router)
    app.include_router(verify.router)
    return app


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[State]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[State]:
        async with AsyncExitStack() as stack:
            runner = stack.enter_context(BlockingRunner(settings.inference_workers))
            loading = asyncio.ensure_future(runner.run(load_engine, settings))
            database_url = await _database_url(settings, stack)
            if settings.auto_migrate:
                await asyncio.to_thread(upgrade_to_head, database_url)
            pool = await create_pool(
                database_url,
                min_size=settings.db_pool_min_size,
                max_size=settings.db_pool_max_size,
                statement_cache_size=settings.db_statement_cache_size,
            )
            stack.push_async_callback(pool.close)
            engine = await loading
            store = FaceStore(pool)
            service = FaceService(
                engine=engine,
                runner=runner,
                store=store,
                max_image_pixels=settings.max_image_pixels,
                store_images=settings.store_images,
                quality_bar=settings.quality_bar,
            )
            logger.info("facerec ready: model %s", engine.pack_name)
            yield State(settings=settings, service=service, store=store, pool=pool)

    return lifespan


async def _database_url(settings: Settings, stack: AsyncExitStack) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    server = embedded_postgres_server(settings.data_dir)
    url: str = await asyncio.to_thread(server.__enter__)
    stack.push(server.__exit__)
    return url
