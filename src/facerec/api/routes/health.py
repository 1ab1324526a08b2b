"""Liveness and readiness probes: open to everyone, never touching the models."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facerec.api.schemas import FaceCoverage, Health, Readiness
from facerec.coverage import coverage_of, reembed_command
from facerec.db.database import Database
from facerec.db.embedded import EmbeddedPostgres

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive and its event loop answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request) -> JSONResponse:
    """Models loaded and warm, and the database answering. `database` is `ok`, `unavailable`, or
    `restarting` while the embedded server is being brought back. `faces` counts the stored faces the
    running pack can search (`EmbeddingStore.coverage`: no face row is read unless a pack switch is under
    way)."""
    ready = await request.state.database.ping()
    embedded: EmbeddedPostgres | None = request.state.embedded_postgres
    restarting = embedded is not None and embedded.state == "restarting"
    database = "ok" if ready else "restarting" if restarting else "unavailable"
    model = request.state.service.model
    body = Readiness(
        status="ready" if ready else "not_ready",
        model=model,
        database=database,
        faces=await _faces(request.state.database, model) if ready else None,
    )
    return JSONResponse(body.model_dump(by_alias=True), status_code=200 if ready else 503)


async def _faces(database: Database, model: str) -> FaceCoverage | None:
    coverage = await coverage_of(database, model)
    if coverage is None:
        return None
    return FaceCoverage(
        stored=coverage.faces,
        searchable=coverage.searchable,
        unsearchable=coverage.unsearchable,
        reembed=reembed_command(coverage.model) if coverage.unsearchable else None,
    )
