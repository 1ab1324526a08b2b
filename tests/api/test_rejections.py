""" "Not this person": feedback that a face is not a person, and searches that honour it."""

from typing import Any

import httpx
import pytest

from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


async def enrol(client: httpx.AsyncClient, photo: bytes, name: str) -> dict[str, Any]:
    response = await client.post(
        "/api/face/register", files=image_file(photo), data={"displayName": name, "qualityCheck": "false"}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def persons_found(client: httpx.AsyncClient, route: str, photo: bytes) -> set[str]:
    """Everyone the search answers with, at a threshold that lets everybody in."""
    response = await client.post(route, files=image_file(photo), data={"threshold": "-1", "topK": "10"})
    assert response.status_code == 200, response.text
    return {match["personId"] for match in response.json()["matches"]}


@pytest.mark.parametrize("route", ["/api/face/search", "/api/persons/search"])
async def test_a_stored_face_rejected_for_a_person_never_finds_them_again(
    client: httpx.AsyncClient, cast: list[Person], route: str
) -> None:
    ada = await enrol(client, cast[0].photo(), "Ada")
    grace = await enrol(client, cast[1].photo(), "Grace")
    await enrol(client, cast[2].photo(), "Alan")
    assert ada["personId"] in await persons_found(client, route, cast[1].photo())

    response = await client.post(f"/api/persons/{ada['personId']}/rejections", data={"faceId": grace["id"]})

    assert response.status_code == 201, response.text
    assert response.json()["faceId"] == grace["id"]
    found = await persons_found(client, route, cast[1].photo())
    assert ada["personId"] not in found
    assert grace["personId"] in found
    assert ada["personId"] in await persons_found(client, route, cast[0].photo())


async def test_a_rejected_photo_hides_the_person_from_that_face_only(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    ada = await enrol(client, cast[0].photo(), "Ada")

    response = await client.post(
        f"/api/persons/{ada['personId']}/rejections", files=image_file(cast[3].photo())
    )

    assert response.status_code == 201, response.text
    assert response.json()["faceId"] is None
    assert ada["personId"] not in await persons_found(client, "/api/face/search", cast[3].other_photo())
    assert ada["personId"] in await persons_found(client, "/api/face/search", cast[4].photo())


async def test_a_persons_own_face_cannot_be_rejected(client: httpx.AsyncClient, cast: list[Person]) -> None:
    ada = await enrol(client, cast[0].photo(), "Ada")

    response = await client.post(f"/api/persons/{ada['personId']}/rejections", data={"faceId": ada["id"]})

    assert_error(response, 409, "own_face")


async def test_a_rejection_needs_a_face_or_a_photo(client: httpx.AsyncClient, cast: list[Person]) -> None:
    ada = await enrol(client, cast[0].photo(), "Ada")

    neither = await client.post(f"/api/persons/{ada['personId']}/rejections", data={})
    both = await client.post(
        f"/api/persons/{ada['personId']}/rejections",
        data={"faceId": ada["id"]},
        files=image_file(cast[1].photo()),
    )

    assert_error(neither, 422, "validation_error")
    assert_error(both, 422, "validation_error")
