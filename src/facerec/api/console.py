"""The web console at `/`: static HTML, JS and CSS shipped in the package (`facerec/console`, found with
importlib.resources so a wheel serves it as an editable install does). The page itself needs no credential;
its calls to /api carry one (tests/browser/test_console.py)."""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

CONSOLE_URL = "/"
ASSETS_URL = "/console"
# Scripts and styles only from the service itself, none inline; photos shown from blob: URLs
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def console_dir() -> Path:
    return Path(str(files("facerec") / "console"))


def add_console(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=console_dir()), name="console")
    page = (console_dir() / "index.html").read_bytes()

    @app.get(CONSOLE_URL, include_in_schema=False)
    async def console() -> Response:
        headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}
        return Response(page, media_type="text/html", headers=headers)
