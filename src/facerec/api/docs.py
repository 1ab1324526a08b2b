"""Swagger UI at /docs and ReDoc at /redoc, their scripts and styles served from the `fastapi-offline`
package instead of a CDN: the pages work on a machine without internet, and ask no other host for anything
(tests/browser/test_docs.py)."""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
OPENAPI_URL = "/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# validatorUrl None: Swagger UI would otherwise send the document to validator.swagger.io for a badge
SWAGGER_PARAMETERS = {"validatorUrl": None}
# ReDoc's footer shows its logo from Redocly's CDN; ours is served instead
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_URL = "/docs-redoc.js"


def assets_dir() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def add_documentation(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets; `app` must have been made with docs_url and redoc_url None."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    title = app.title
    redoc_bundle = (assets_dir() / "redoc.standalone.js").read_text(encoding="utf-8")
    redoc_bundle = redoc_bundle.replace(REDOC_LOGO, f"{ASSETS_URL}/favicon.png")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{title} - ReDoc",
            redoc_js_url=REDOC_URL,
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(redoc_bundle, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})
