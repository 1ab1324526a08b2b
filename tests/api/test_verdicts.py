"""Search verdicts and named thresholds on real photos."""

from typing import Any

import httpx
import pytest

from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


async def enrol(client: httpx.AsyncClient, photo: bytes, name: str) -> str:
    """Register the photo as a new person's first face; the face's id."""
    return (await enrol_face(client, photo, displayName=name))["id"]


async def enrol_face(client: httpx.AsyncClient, photo: bytes, **fields: str) -> dict[str, str]:
    response = await client.post(
        "/api/face/register", files=image_file(photo), data={"qualityCheck": "false", **fields}
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


async def search(client: httpx.AsyncClient, photo: bytes, **fields: str) -> dict[str, Any]:
    response = await client.post("/api/face/search", files=image_file(photo), data=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_registered_person_is_a_match(client: httpx.AsyncClient, cast: list[Person]) -> None:
    ids = {person.name: await enrol(client, person.photo(), person.name) for person in cast}

    body = await search(client, cast[2].other_photo())

    assert body["verdict"] == "match"
    assert body["matches"][0]["id"] == ids["person 3"]
    assert body["runnerUp"]["displayName"] != "person 3"
    assert body["ambiguityMargin"] == pytest.approx(0.06)


async def test_a_person_never_registered_is_unknown(client: httpx.AsyncClient, cast: list[Person]) -> None:
    for person in cast[1:]:
        await enrol(client, person.photo(), person.name)

    body = await search(client, cast[0].other_photo())

    assert body["verdict"] == "unknown"
    assert body["matches"] == []
    assert body["runnerUp"] is None


async def test_one_face_under_two_names_is_ambiguous(client: httpx.AsyncClient, cast: list[Person]) -> None:
    await enrol(client, cast[0].photo(), "Ada")
    await enrol(client, cast[0].photo(), "Grace")
    for person in cast[1:]:
        await enrol(client, person.photo(), person.name)

    body = await search(client, cast[0].other_photo(), topK="1")

    assert body["verdict"] == "ambiguous"
    assert len(body["matches"]) == 1
    names = {body["matches"][0]["displayName"], body["runnerUp"]["displayName"]}
    assert names == {"Ada", "Grace"}


async def test_one_face_as_two_persons_of_one_name_is_ambiguous(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    """Identity is the person, not the name: two persons called alike are still two."""
    first = await enrol_face(client, cast[0].photo(), displayName="Alex Kim")
    second = await enrol_face(client, cast[0].photo(), displayName="Alex Kim")

    body = await search(client, cast[0].other_photo())

    assert body["verdict"] == "ambiguous"
    assert {body["matches"][0]["personId"], body["runnerUp"]["personId"]} == {
        first["personId"],
        second["personId"],
    }


async def test_several_faces_of_one_person_are_not_rivals(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    first = await enrol_face(client, cast[0].photo(), displayName="Ada")
    second = await enrol_face(client, cast[0].other_photo(), personId=first["personId"])
    for person in cast[1:]:
        await enrol(client, person.photo(), person.name)

    body = await search(client, cast[0].other_photo())

    assert body["verdict"] == "match"
    assert [m["id"] for m in body["matches"][:2]] == [second["id"], first["id"]]
    assert {m["personId"] for m in body["matches"][:2]} == {first["personId"]}
    assert body["runnerUp"]["personId"] != first["personId"]


async def test_two_people_of_one_name_are_each_found_as_themselves(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    first = await enrol_face(client, cast[0].photo(), displayName="Alex Kim")
    second = await enrol_face(client, cast[1].photo(), displayName="Alex Kim")
    for person in cast[2:]:
        await enrol(client, person.photo(), person.name)

    for photo, expected in ((cast[0].other_photo(), first), (cast[1].other_photo(), second)):
        body = await search(client, photo)
        assert body["verdict"] == "match"
        assert body["matches"][0]["personId"] == expected["personId"]

    assert first["personId"] != second["personId"]


@pytest.mark.parametrize(
    ("sent", "value", "name"),
    [(None, 0.40, "default"), ("strict", 0.45, "strict"), ("loose", 0.35, "loose"), ("0.3", 0.3, "custom")],
)
async def test_threshold_by_name_or_number(
    client: httpx.AsyncClient, cast: list[Person], sent: str | None, value: float, name: str
) -> None:
    await enrol(client, cast[0].photo(), "Ada")

    body = await search(client, cast[0].other_photo(), **({} if sent is None else {"threshold": sent}))

    assert body["threshold"] == pytest.approx(value)
    assert body["thresholdName"] == name


@pytest.mark.parametrize("sent", ["strictest", "1.5", "nan"])
async def test_a_bad_threshold_is_refused(client: httpx.AsyncClient, cast: list[Person], sent: str) -> None:
    response = await client.post(
        "/api/face/search", files=image_file(cast[0].photo()), data={"threshold": sent}
    )

    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "body.threshold"
