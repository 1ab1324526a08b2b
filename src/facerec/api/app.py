"""The application factory. The lifespan owns every resource and releases them in reverse order."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TypedDict

from fastapi import Depends, FastAPI, params

from facerec import __version__
from facerec.api.access import AccessControl, AccessPolicy, openapi_security
from facerec.api.console import add_console
from facerec.api.cors import allow_origins
from facerec.api.docs import OPENAPI_URL, add_documentation
from facerec.api.errors import install_error_handlers
from facerec.api.form_text import FormTextCheck
from facerec.api.json_images import JsonImages, add_json_bodies
from facerec.api.limits import RequestLimits
from facerec.api.origins import SiteGuard, SitePolicy
from facerec.api.ratelimit import RateLimit, TokenBuckets
from facerec.api.requests import RequestContext
from facerec.api.routes import batch, collections, curation, faces, health, persons, stream, verify, webhooks
from facerec.api.routes import metrics as metrics_route
from facerec.api.streaming import StreamSlots
from facerec.api.text import refuse_unstorable_text
from facerec.coverage import warn_if_unsearchable
from facerec.curation import Curator
from facerec.db.database import Database, PoolOptions
from facerec.db.embedded import EmbeddedPostgres, running_database
from facerec.db.migrate import upgrade_to_head
from facerec.executor import BlockingRunner
from facerec.gallery import Gallery
from facerec.imaging.fetch import FetchOptions, PhotoFetcher
from facerec.imaging.intake import ImageLimits
from facerec.metrics import Metrics
from facerec.models.loader import load_engine
from facerec.models.sessions import check_device
from facerec.service import FaceService, SearchPolicy
from facerec.settings import Settings
from facerec.webhooks.dispatcher import DispatchOptions, dispatching
from facerec.webhooks.service import WebhookService

logger = logging.getLogger(__name__)


class State(TypedDict):
    settings: Settings
    service: FaceService
    gallery: Gallery
    curator: Curator
    database: Database
    metrics: Metrics
    runner: BlockingRunner
    stream_slots: StreamSlots
    webhooks: WebhookService
    embedded_postgres: EmbeddedPostgres | None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    check_device(settings.device)
    metrics = Metrics()
    app = FastAPI(
        title="facerec",
        summary="Self-hosted face recognition: InsightFace embeddings in Postgres + pgvector.",
        version=__version__,
        lifespan=_lifespan(settings, metrics),
        docs_url=None,  # add_documentation serves them without a CDN
        redoc_url=None,
        openapi_url=OPENAPI_URL if settings.public_docs else None,
        dependencies=[Depends(refuse_unstorable_text)],
    )
    if settings.public_docs:
        add_documentation(app)
    add_console(app)
    install_error_handlers(app)
    security = _add_middleware(app, settings, metrics)
    app.include_router(health.router)
    app.include_router(metrics_route.router)
    for resource in (faces, batch, persons, collections, verify, curation, webhooks):
        app.include_router(resource.router, dependencies=security)
    app.include_router(stream.router)  # WebSockets are not in the OpenAPI schema; AccessControl guards them
    if settings.public_docs:
        add_json_bodies(app)
    return app


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> list[params.Depends]:
    """Middleware added last runs first: the request id is set before anything logs, the Host and Origin
    are checked before anything else, CORS answers preflights before access is checked, access is checked
    before the rate limit (which counts per credential), and all of these before the body is read; a JSON
    body with photos becomes a form last, and the form's text fields are decoded strictly beside the app.
    Returns the router dependencies that declare the accepted credentials in the OpenAPI schema."""
    app.add_middleware(FormTextCheck)
    fetcher = PhotoFetcher(_fetch_options(settings)) if settings.allow_image_urls else None
    app.add_middleware(JsonImages, fastapi=app, max_image_bytes=settings.max_upload_bytes, fetcher=fetcher)
    app.add_middleware(
        RequestLimits,
        max_bytes=settings.max_upload_bytes,
        max_headers=settings.max_headers,
        body_timeout_s=settings.body_timeout_s,
        larger={batch.PATH: batch.max_body_bytes(settings)},
    )
    if settings.rate_limit_per_minute:
        buckets = TokenBuckets(per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst)
        app.add_middleware(RateLimit, buckets=buckets, per_address=not settings.access_control)
    security = []
    if settings.access_control:
        policy = AccessPolicy.of(settings)
        also_protected = () if settings.metrics_public else (metrics_route.METRICS_PATH,)
        app.add_middleware(AccessControl, policy=policy, also_protected=also_protected)
        security = openapi_security(policy)
    if settings.cors_origins:
        allow_origins(app, settings.cors_origins)
    app.add_middleware(SiteGuard, policy=SitePolicy.of(settings))
    app.add_middleware(RequestContext, metrics=metrics)
    return security


def _lifespan(
    settings: Settings, metrics: Metrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[State]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[State]:
        async with AsyncExitStack() as stack:
            runner = stack.enter_context(
                BlockingRunner(
                    settings.inference_workers,
                    max_waiting=settings.max_waiting_jobs,
                    niceness=settings.inference_niceness,
                    observer=metrics,
                )
            )
            loading = asyncio.ensure_future(runner.run(load_engine, settings, metrics.stage))
            url, embedded = await running_database(settings.database_url, settings.data_dir, stack)
            database = Database(
                url,
                PoolOptions(
                    min_size=settings.db_pool_min_size,
                    max_size=settings.db_pool_max_size,
                    statement_cache_size=settings.db_statement_cache_size,
                ),
                prepare=upgrade_to_head if settings.auto_migrate else None,
            )
            await database.start()
            stack.push_async_callback(database.close)
            await stack.enter_async_context(dispatching(database, _dispatch_options(settings)))
            engine = await loading
            service = FaceService(
                engine=engine,
                runner=runner,
                database=database,
                image_limits=ImageLimits(settings.max_image_pixels, settings.max_decode_bytes),
                store_images=settings.store_images,
                keep_photo_metadata=settings.keep_photo_metadata,
                quality_bar=settings.quality_bar,
                search_policy=SearchPolicy(settings.search_auto_threshold, settings.search_fpir),
            )
            await warn_if_unsearchable(database, engine.pack_name)
            logger.info("facerec ready: model %s", engine.pack_name)
            yield State(
                settings=settings,
                service=service,
                gallery=Gallery(database),
                curator=Curator(service=service, runner=runner, database=database),
                database=database,
                metrics=metrics,
                runner=runner,
                stream_slots=StreamSlots(settings.stream_max_concurrent),
                webhooks=WebhookService(database),
                embedded_postgres=embedded,
            )

    return lifespan


def _fetch_options(settings: Settings) -> FetchOptions:
    return FetchOptions(
        max_bytes=settings.max_upload_bytes,
        allowed_networks=tuple(settings.image_url_allowed_networks),
        max_redirects=settings.image_url_max_redirects,
        connect_timeout_s=settings.image_url_connect_timeout_s,
        read_timeout_s=settings.image_url_read_timeout_s,
        total_timeout_s=settings.image_url_timeout_s,
    )


def _dispatch_options(settings: Settings) -> DispatchOptions:
    return DispatchOptions(
        poll_s=settings.webhook_poll_s,
        timeout_s=settings.webhook_timeout_s,
        retry_base_s=settings.webhook_retry_base_s,
        retry_max_s=settings.webhook_retry_max_s,
        max_attempts=settings.webhook_max_attempts,
    )
