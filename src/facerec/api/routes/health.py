"""Liveness and readiness probes: open to everyone, never touching the models."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facerec.api.schemas import Health, Readiness
from facerec.db.embedded import EmbeddedPostgres

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive and its event loop answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request) -> JSONResponse:
    """Models loaded and warm, and the database answering. `database` is `ok`, `unavailable`, or
    `restarting` while the embedded server is being brought back."""
    ready = await request.state.database.ping()
    embedded: EmbeddedPostgres | None = request.state.embedded_postgres
    restarting = embedded is not None and embedded.state == "restarting"
    database = "ok" if ready else "restarting" if restarting else "unavailable"
    body = Readiness(
        status="ready" if ready else "not_ready", model=request.state.service.model, database=database
    )
    return JSONResponse(body.model_dump(by_alias=True), status_code=200 if ready else 503)
