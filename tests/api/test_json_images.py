"""Every photo route also takes application/json with base64 photos: same answers, limits and codes."""

import base64
from typing import Any

import httpx
import pytest

from facerec.api.app import create_app
from facerec.settings import Settings
from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.asgi import BASE_URL
from tests.photos import Photos


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_a_base64_encode_gives_the_multipart_embedding(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    data = photos.bytes_of(photos.group)
    multipart = await client.post("/api/face/encode", files=image_file(data), data={"allFaces": "true"})
    plain = await client.post("/api/face/encode", json={"image": b64(data), "allFaces": True})
    data_url = await client.post("/api/face/encode", json={"image": f"data:image/jpeg;base64,{b64(data)}"})

    assert multipart.status_code == plain.status_code == data_url.status_code == 200, plain.text
    assert plain.json()["embedding"] == multipart.json()["embedding"]
    assert plain.json()["faces"] == multipart.json()["faces"]
    assert len(plain.json()["faces"]) == 6
    assert data_url.json()["embedding"] == multipart.json()["embedding"]


async def test_register_and_search_by_json(client: httpx.AsyncClient, cast: list[Person]) -> None:
    ada = cast[0]
    registered = await client.post(
        "/api/face/register",
        json={"image": b64(ada.photo()), "displayName": ada.name, "metadata": {"team": "x", "n": [1, 2]}},
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["metadata"] == {"team": "x", "n": [1, 2]}

    found = await client.post("/api/face/search", json={"image": b64(ada.other_photo()), "topK": 1})
    assert found.status_code == 200, found.text
    assert found.json()["matches"][0]["id"] == registered.json()["id"]


async def test_verify_takes_two_base64_photos(client: httpx.AsyncClient, cast: list[Person]) -> None:
    first, second = cast[0].photo(), cast[0].other_photo()
    multipart = await client.post(
        "/api/face/verify", files={"image1": ("a.jpg", first), "image2": ("b.jpg", second)}
    )
    plain = await client.post("/api/face/verify", json={"image1": b64(first), "image2": b64(second)})
    assert plain.status_code == 200, plain.text
    assert plain.json()["similarity"] == multipart.json()["similarity"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"image": "not base64!"}, "body.image"),
        ({"image": 12}, "body.image"),
        ([1, 2], "body.body"),
        ("{", "body.body"),
    ],
)
async def test_malformed_json_is_refused_with_422(client: httpx.AsyncClient, body: Any, field: str) -> None:
    if isinstance(body, str):
        response = await client.post(
            "/api/face/encode", content=body, headers={"Content-Type": "application/json"}
        )
    else:
        response = await client.post("/api/face/encode", json=body)
    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == field


async def test_the_same_codes_as_multipart(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post("/api/face/encode", json={"image": b64(b"not an image")}), 400, "invalid_image"
    )
    assert_error(await client.post("/api/face/encode", json={"allFaces": True}), 422, "validation_error")


async def test_the_upload_limit_applies_to_the_decoded_photo(settings: Settings) -> None:
    small = Settings(_env_file=None, **{**settings.model_dump(), "max_upload_bytes": 3000})
    transport = httpx.ASGITransport(app=create_app(small))  # refused before any route: no lifespan needed
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        over = await http.post("/api/face/encode", json={"image": b64(b"x" * 3003)})
        far_over = await http.post("/api/face/encode", json={"image": b64(b"x" * 200_000)})
    assert_error(over, 413, "payload_too_large")
    assert_error(far_over, 413, "payload_too_large")


async def test_openapi_describes_the_json_form_of_every_photo_route(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    photo_routes = {
        (path, method)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert ("/api/face/encode", "post") in photo_routes
    assert ("/api/face/verify", "post") in photo_routes
    for path, method in photo_routes:
        content = document["paths"][path][method]["requestBody"]["content"]
        schema = schemas[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
        photo = schema["properties"].get("image") or schema["properties"]["images"]["items"]
        base64_form, url_form = photo["anyOf"]
        assert base64_form["type"] == "string"
        assert "base64" in base64_form["description"]
        assert url_form["required"] == ["url"]
        assert "ALLOW_IMAGE_URLS" in url_form["description"]
