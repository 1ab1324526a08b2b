"""POST /api/face/verify: two photos, or a photo and a stored face, on real photos."""

from typing import Any

import asyncpg
import httpx
import pytest

from facerec.db.urls import asyncpg_url
from tests.api.faces import Person, people
from tests.api.helpers import assert_error
from tests.photos import Photos


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


def photo(data: bytes) -> tuple[str, bytes, str]:
    return ("photo.jpg", data, "image/jpeg")


async def stored(client: httpx.AsyncClient, person: Person) -> str:
    response = await client.post(
        "/api/face/register", files={"image": photo(person.photo())}, data={"displayName": person.name}
    )
    assert response.status_code == 201, response.text
    face_id: str = response.json()["id"]
    return face_id


async def test_two_photos_of_one_person_match(client: httpx.AsyncClient, cast: list[Person]) -> None:
    response = await client.post(
        "/api/face/verify",
        files={"image1": photo(cast[0].photo()), "image2": photo(cast[0].other_photo())},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "match"
    assert body["isSamePerson"] is True
    assert body["similarity"] >= body["threshold"] == pytest.approx(0.40)
    assert body["thresholdName"] == "default"
    assert body["face"]["quality"]["reasons"] == []
    assert body["otherFace"]["box"]["width"] > body["face"]["box"]["width"]  # image2 is 1.5x larger


async def test_two_people_are_not_the_same_person(client: httpx.AsyncClient, cast: list[Person]) -> None:
    response = await client.post(
        "/api/face/verify",
        files={"image1": photo(cast[0].photo()), "image2": photo(cast[2].photo())},
        data={"threshold": "loose"},
    )

    body = response.json()
    assert body["verdict"] == "unknown"
    assert body["isSamePerson"] is False
    assert body["similarity"] < body["threshold"] == pytest.approx(0.35)


async def test_a_photo_against_a_stored_face(client: httpx.AsyncClient, cast: list[Person]) -> None:
    face_id = await stored(client, cast[2])

    same = await client.post(
        "/api/face/verify", files={"image": photo(cast[2].other_photo())}, data={"faceId": face_id}
    )
    other = await client.post(
        "/api/face/verify", files={"image": photo(cast[3].photo())}, data={"faceId": face_id}
    )

    assert same.status_code == 200, same.text
    assert same.json()["verdict"] == "match"
    assert same.json()["otherFace"] is None
    assert other.json()["verdict"] == "unknown"


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"image1"}, {"body.image2"}),
        ({"image"}, {"body.faceId"}),
        (set(), {"body.image", "body.faceId"}),
        ({"image1", "image2", "faceId"}, {"body.faceId"}),
        ({"image", "image2", "faceId"}, {"body.image", "body.faceId", "body.image1"}),
    ],
)
async def test_bad_combinations_are_validation_errors(
    client: httpx.AsyncClient, cast: list[Person], fields: set[str], problems: set[str]
) -> None:
    files = {name: photo(cast[0].photo()) for name in fields & {"image", "image1", "image2"}}
    data: dict[str, Any] = {"faceId": "2b1f0e4e-8a57-4df6-9d0e-0d2a6a3e1c11"} if "faceId" in fields else {}

    response = await client.post("/api/face/verify", files=files or {"other": photo(b"x")}, data=data)

    assert_error(response, 422, "validation_error")
    assert {detail["field"] for detail in response.json()["error"]["details"]} == problems


async def test_an_unknown_face_id_is_not_found(client: httpx.AsyncClient, cast: list[Person]) -> None:
    response = await client.post(
        "/api/face/verify",
        files={"image": photo(cast[0].photo())},
        data={"faceId": "2b1f0e4e-8a57-4df6-9d0e-0d2a6a3e1c11"},
    )

    assert_error(response, 404, "face_not_found")


async def test_a_face_of_another_model_pack_is_refused(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    face_id = await stored(client, cast[0])
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute("UPDATE faces SET model = 'buffalo_l' WHERE id = $1::uuid", face_id)
    finally:
        await connection.close()

    response = await client.post(
        "/api/face/verify", files={"image": photo(cast[0].photo())}, data={"faceId": face_id}
    )

    assert_error(response, 409, "model_mismatch")
    assert "buffalo_l" in response.json()["error"]["message"]
