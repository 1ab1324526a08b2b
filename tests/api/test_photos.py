"""Stored photos: served as images only, upright, without the camera's metadata unless asked to keep it."""

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image, ImageOps

from facerec.settings import Settings
from tests.api.faces import Person, people
from tests.api.helpers import image_file
from tests.asgi import running_client
from tests.photos import SERIAL, XMP, Photos, camera_jpeg


@pytest.fixture(scope="module")
def person(photos: Photos) -> Person:
    return people(photos)[0]


async def register(client: httpx.AsyncClient, photo: bytes) -> str:
    response = await client.post(
        "/api/face/register", files=image_file(photo), data={"displayName": "Ada", "qualityCheck": "false"}
    )
    assert response.status_code == 201, response.text
    face_id: str = response.json()["id"]
    return face_id


async def test_a_photo_is_served_as_an_image_and_nothing_else(
    client: httpx.AsyncClient, person: Person
) -> None:
    face_id = await register(client, person.photo())

    response = await client.get(f"/api/face/{face_id}/image")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"] == f'inline; filename="face-{face_id}.jpg"'


async def test_a_stored_photo_has_no_gps_serial_or_xmp(client: httpx.AsyncClient, person: Person) -> None:
    sent = camera_jpeg(person.portrait, quality=95)
    face_id = await register(client, sent)

    stored = (await client.get(f"/api/face/{face_id}/image")).content

    assert SERIAL.encode() not in stored
    assert XMP not in stored
    assert Image.open(io.BytesIO(stored)).getexif() == {}
    assert stored[stored.index(b"\xff\xda") :] in sent  # the pixels' bytes were copied, not re-encoded


async def test_a_turned_photo_is_stored_upright_where_its_face_box_is(
    client: httpx.AsyncClient, person: Person
) -> None:
    """A phone holds a portrait as landscape pixels with orientation 6 (turn 90° clockwise to view)."""
    sideways = person.portrait.transpose(Image.Transpose.ROTATE_90)
    sent = camera_jpeg(sideways, orientation=6, quality=95)
    face_id = await register(client, sent)
    record = (await client.get(f"/api/face/{face_id}")).json()

    stored = Image.open(io.BytesIO((await client.get(f"/api/face/{face_id}/image")).content))

    assert stored.size == person.portrait.size == ImageOps.exif_transpose(Image.open(io.BytesIO(sent))).size
    assert stored.getexif() == {}
    box = record["face"]["box"]
    assert 0 <= box["x"] < box["x"] + box["width"] <= stored.width
    assert 0 <= box["y"] < box["y"] + box["height"] <= stored.height


@pytest.fixture(scope="module")
async def keeping_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_client(settings.model_copy(update={"keep_photo_metadata": True})) as http:
        yield http


async def test_keep_photo_metadata_stores_the_photo_as_sent(
    keeping_client: httpx.AsyncClient, person: Person
) -> None:
    sent = camera_jpeg(person.portrait, quality=95)
    face_id = await register(keeping_client, sent)

    assert (await keeping_client.get(f"/api/face/{face_id}/image")).content == sent
