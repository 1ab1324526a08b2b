"""Photos sent as URLs (`{"image": {"url": ...}}`): off by default; when on, fetched from a real local web
server and taken exactly as an upload of the same bytes; refusals in the one error body."""

import base64
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from facerec.settings import Settings
from tests.api.helpers import assert_error, image_file
from tests.asgi import running_client
from tests.photo_host import PAGE, photo_host
from tests.photos import Photos


@pytest.fixture(scope="module")
def photo(photos: Photos) -> bytes:
    return photos.bytes_of(photos.group)


@pytest.fixture(scope="module")
def upload_limit(settings: Settings) -> int:
    return settings.max_upload_bytes


@pytest.fixture(scope="module")
def host(photo: bytes, upload_limit: int) -> Iterator[str]:
    with photo_host(photo, large_bytes=upload_limit + 1) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def fetching(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service with photo URLs on, and the test server's loopback network allowed."""
    allowed = {"allow_image_urls": True, "image_url_allowed_networks": "127.0.0.0/8"}
    async with running_client(Settings(_env_file=None, **{**settings.model_dump(), **allowed})) as http:
        yield http


async def test_photo_urls_are_refused_by_default(client: httpx.AsyncClient, host: str) -> None:
    response = await client.post("/api/face/encode", json={"image": {"url": f"{host}/photo.jpg"}})
    assert_error(response, 422, "image_urls_disabled")


async def test_a_fetched_photo_gives_the_uploaded_embedding(
    fetching: httpx.AsyncClient, host: str, photo: bytes
) -> None:
    uploaded = await fetching.post("/api/face/encode", files=image_file(photo), data={"allFaces": "true"})
    fetched = await fetching.post(
        "/api/face/encode", json={"image": {"url": f"{host}/photo.jpg"}, "allFaces": True}
    )
    assert fetched.status_code == uploaded.status_code == 200, fetched.text
    assert fetched.json()["embedding"] == uploaded.json()["embedding"]
    assert fetched.json()["faces"] == uploaded.json()["faces"]


async def test_a_fetched_photo_is_verified_against_an_uploaded_one(
    fetching: httpx.AsyncClient, host: str, photo: bytes
) -> None:
    response = await fetching.post(
        "/api/face/verify",
        json={"image1": {"url": f"{host}/photo.jpg"}, "image2": base64.b64encode(photo).decode()},
    )
    assert response.status_code == 200, response.text
    assert response.json()["similarity"] == pytest.approx(1.0, abs=1e-5)


async def test_content_that_is_not_a_photo_is_refused_as_an_upload_is(
    fetching: httpx.AsyncClient, host: str
) -> None:
    uploaded = await fetching.post("/api/face/encode", files=image_file(PAGE))
    fetched = await fetching.post("/api/face/encode", json={"image": {"url": f"{host}/text"}})
    assert_error(fetched, 400, "invalid_image")
    assert fetched.json() == uploaded.json()


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/redirect?to=http://169.254.169.254/latest/meta-data/", 422, "image_url_address"),
        ("/large", 413, "image_url_too_large"),
        ("/missing.jpg", 422, "image_url_unreachable"),
        ("/loop", 422, "image_url_redirects"),
    ],
)
async def test_refusals_come_in_the_one_error_body(
    fetching: httpx.AsyncClient, host: str, path: str, status: int, code: str
) -> None:
    assert_error(await fetching.post("/api/face/encode", json={"image": {"url": host + path}}), status, code)


@pytest.mark.parametrize(
    "photo_value", [{"url": 12}, {"url": "https://example.com/a.jpg", "more": 1}, {"href": "x"}]
)
async def test_a_malformed_photo_object_is_a_validation_error(
    fetching: httpx.AsyncClient, photo_value: dict[str, object]
) -> None:
    response = await fetching.post("/api/face/encode", json={"image": photo_value})
    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "body.image"
