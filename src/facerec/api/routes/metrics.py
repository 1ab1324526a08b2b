"""GET /metrics in Prometheus's text format. With access control on it needs a credential, unless
METRICS_PUBLIC=true (api/app.py tells AccessControl)."""

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import HTTPConnection

from facerec.db.collections import CollectionStore
from facerec.db.database import Database
from facerec.errors import DatabaseUnavailable
from facerec.metrics import Metrics, StoredCounts

METRICS_PATH = "/metrics"
COUNTS_TIMEOUT_S = 5.0

router = APIRouter(tags=["health"])


@router.get(
    METRICS_PATH,
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."}},
)
async def metrics(connection: HTTPConnection) -> Response:
    """Requests by route and status with latency histograms, inference queue depth and wait, detector and
    recognizer time, faces and persons stored, database connections in use, errors by code."""
    registry: Metrics = connection.state.metrics
    stored = await _stored_counts(connection.state.database)
    return Response(registry.exposition(stored), media_type=CONTENT_TYPE_LATEST)


async def _stored_counts(database: Database) -> StoredCounts | None:
    try:
        async with database.connection() as connection:
            faces, persons = await CollectionStore(connection).totals(within_s=COUNTS_TIMEOUT_S)
            in_use = database.connections_in_use
    except DatabaseUnavailable:
        return None
    return StoredCounts(faces=faces, persons=persons, pool_in_use=in_use)
