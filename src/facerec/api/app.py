"""The application factory. The lifespan owns every resource and releases them in reverse order."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TypedDict

from fastapi import FastAPI, params

from facerec.api.access import AccessControl, AccessPolicy, openapi_security
from facerec.api.cors import allow_origins
from facerec.api.errors import install_error_handlers
from facerec.api.limits import BodySizeLimit
from facerec.api.requests import RequestContext
from facerec.api.routes import collections, faces, health, persons, verify
from facerec.db.database import Database, PoolOptions
from facerec.db.embedded import embedded_postgres_server
from facerec.db.migrate import upgrade_to_head
from facerec.executor import BlockingRunner
from facerec.gallery import Gallery
from facerec.imaging.intake import ImageLimits
from facerec.models.loader import load_engine
from facerec.models.sessions import check_device
from facerec.service import FaceService
from facerec.settings import Settings

logger = logging.getLogger(__name__)


class State(TypedDict):
    settings: Settings
    service: FaceService
    gallery: Gallery
    database: Database


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    check_device(settings.device)
    app = FastAPI(
        title="facerec",
        summary="Self-hosted face recognition: InsightFace embeddings in Postgres + pgvector.",
        version="0.1.0",
        lifespan=_lifespan(settings),
        docs_url="/docs" if settings.public_docs else None,
        redoc_url="/redoc" if settings.public_docs else None,
        openapi_url="/openapi.json" if settings.public_docs else None,
    )
    install_error_handlers(app)
    security = _add_middleware(app, settings)
    app.include_router(health.router)
    for resource in (faces, persons, collections, verify):
        app.include_router(resource.router, dependencies=security)
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> list[params.Depends]:
    """Middleware added last runs first: the request id is set before anything logs, CORS answers
    preflights before access is checked, and access is checked before the body is counted or read.
    Returns the router dependencies that declare the accepted credentials in the OpenAPI schema."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    security = []
    if settings.access_control:
        policy = AccessPolicy.of(settings)
        app.add_middleware(AccessControl, policy=policy)
        security = openapi_security(policy)
    if settings.cors_origins:
        allow_origins(app, settings.cors_origins)
    app.add_middleware(RequestContext)
    return security


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[State]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[State]:
        async with AsyncExitStack() as stack:
            runner = stack.enter_context(
                BlockingRunner(settings.inference_workers, max_waiting=settings.max_waiting_jobs)
            )
            loading = asyncio.ensure_future(runner.run(load_engine, settings))
            database = Database(
                await _database_url(settings, stack),
                PoolOptions(
                    min_size=settings.db_pool_min_size,
                    max_size=settings.db_pool_max_size,
                    statement_cache_size=settings.db_statement_cache_size,
                ),
                prepare=upgrade_to_head if settings.auto_migrate else None,
            )
            await database.start()
            stack.push_async_callback(database.close)
            engine = await loading
            service = FaceService(
                engine=engine,
                runner=runner,
                database=database,
                image_limits=ImageLimits(settings.max_image_pixels, settings.max_decode_bytes),
                store_images=settings.store_images,
                quality_bar=settings.quality_bar,
            )
            logger.info("facerec ready: model %s", engine.pack_name)
            yield State(settings=settings, service=service, gallery=Gallery(database), database=database)

    return lifespan


async def _database_url(settings: Settings, stack: AsyncExitStack) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    server = embedded_postgres_server(settings.data_dir)
    url: str = await asyncio.to_thread(server.__enter__)
    stack.push(server.__exit__)
    return url
