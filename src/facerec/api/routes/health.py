"""Liveness and readiness probes: open to everyone, never touching the models."""

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facerec.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])
DATABASE_PING_TIMEOUT_S = 2.0


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive and its event loop answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request) -> JSONResponse:
    """Models loaded and warm, and the database answering."""
    pool = request.state.pool
    try:
        await pool.fetchval("SELECT 1", timeout=DATABASE_PING_TIMEOUT_S)
        database = "ok"
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        database = "unavailable"
    ready = database == "ok"
    body = Readiness(
        status="ready" if ready else "not_ready", model=request.state.service.model, database=database
    )
    return JSONResponse(body.model_dump(by_alias=True), status_code=200 if ready else 503)
