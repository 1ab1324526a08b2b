"""Cross-origin access for browsers: closed unless CORS_ORIGINS lists the origins allowed."""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from facerec.api.access import API_KEY_HEADER
from facerec.api.requests import REQUEST_ID_HEADER

ALLOWED_METHODS = ["GET", "POST", "PATCH", "DELETE"]
ALLOWED_HEADERS = ["Authorization", API_KEY_HEADER, "Content-Type", REQUEST_ID_HEADER]
PREFLIGHT_MAX_AGE_S = 600


def allow_origins(app: FastAPI, origins: list[str]) -> None:
    """Credentials travel in headers, never cookies, so `allow_credentials` stays off. Added after the
    access middleware, it runs before it: preflights are answered without credentials, and a 401 still
    carries the CORS headers a browser needs to read it."""
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=[REQUEST_ID_HEADER],
        max_age=PREFLIGHT_MAX_AGE_S,
    )
