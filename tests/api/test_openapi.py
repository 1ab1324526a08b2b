"""The OpenAPI document promises the one error body for every failure, and its viewers are served."""

from typing import Any

import httpx
import pytest

from facerec.api.app import create_app
from facerec.settings import Settings
from tests.asgi import BASE_URL

UPLOADS = [
    "/api/face/encode",
    "/api/face/register",
    "/api/face/search",
    "/api/persons/search",
    "/api/persons/{person_id}/faces",
]


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def error_schema(operation: dict[str, Any], status: int) -> str:
    ref: str = operation["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


@pytest.mark.parametrize("path", UPLOADS)
@pytest.mark.parametrize("status", [400, 413, 415, 422, 503])
def test_uploads_document_their_failures(document: dict[str, Any], path: str, status: int) -> None:
    assert error_schema(document["paths"][path]["post"], status) == "ErrorBody"


def test_every_api_operation_documents_422_and_503_as_the_error_body(document: dict[str, Any]) -> None:
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]
    walked = {(method, path) for path, method, _ in operations}
    assert walked >= {
        ("post", "/api/face/verify"),
        ("post", "/api/persons/{person_id}/faces"),
        ("delete", "/api/collections/{name}"),
    }
    for path, method, operation in operations:
        for status in (422, 503):
            assert error_schema(operation, status) == "ErrorBody", (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_documentation_pages_are_served(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


async def test_an_unexpected_error_gets_the_one_error_body(settings: Settings) -> None:
    """A bug still answers 500 in the documented body, not Starlette's plain text."""
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # the route needs no lifespan
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "an unexpected error occurred; it has been logged",
            "details": None,
        }
    }
