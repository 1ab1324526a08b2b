"""The web console at `/` and its camera page at `/camera`: static HTML, JS and CSS shipped in the package
(`facerec/console`, found with importlib.resources so a wheel serves it as an editable install does). The
pages themselves need no credential; their calls to /api carry one (tests/browser/)."""

from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/console"
PAGES = {"/": "index.html", "/camera": "camera.html"}
# Scripts and styles only from the service itself, none inline; photos shown from blob: URLs; the camera
# page's stream is a WebSocket to the service itself (ws: and wss: are 'self' for a page on http(s))
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def console_dir() -> Path:
    return Path(str(files("facerec") / "console"))


def add_console(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=console_dir()), name="console")
    for url, name in PAGES.items():
        app.add_api_route(url, _page((console_dir() / name).read_bytes()), include_in_schema=False)


def _page(content: bytes) -> Callable[[], Awaitable[Response]]:
    async def page() -> Response:
        headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}
        return Response(content, media_type="text/html", headers=headers)

    return page
