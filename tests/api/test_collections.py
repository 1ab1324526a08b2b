"""Collections on the real service: separate galleries that never see each other's faces or persons."""

from typing import Any

import asyncpg
import httpx
import pytest

from facerec.db.urls import asyncpg_url
from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


async def create_collection(client: httpx.AsyncClient, name: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/collections", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def register(
    client: httpx.AsyncClient, photo: bytes, name: str, collection: str = "default"
) -> dict[str, Any]:
    response = await client.post(
        "/api/face/register",
        files=image_file(photo),
        data={"displayName": name, "qualityCheck": "false"},
        params={"collection": collection},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_collection_is_created_counted_and_listed(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    created = await create_collection(client, "staff.2026_v-1", metadata={"site": "Leeds"})
    assert created["metadata"] == {"site": "Leeds"}
    assert (created["personCount"], created["faceCount"]) == (0, 0)
    await register(client, cast[0].photo(), "Ada", "staff.2026_v-1")

    fetched = (await client.get("/api/collections/staff.2026_v-1")).json()
    listed = (await client.get("/api/collections")).json()["collections"]

    assert (fetched["personCount"], fetched["faceCount"]) == (1, 1)
    assert [collection["name"] for collection in listed] == ["default", "staff.2026_v-1"]


async def test_default_always_exists(client: httpx.AsyncClient, cast: list[Person]) -> None:
    await register(client, cast[0].photo(), "Ada")

    assert (await client.delete("/api/collections/default")).status_code == 204

    emptied = await client.get("/api/collections/default")
    assert emptied.status_code == 200
    assert (emptied.json()["personCount"], emptied.json()["faceCount"]) == (0, 0)


async def test_names_are_unique_and_well_formed(client: httpx.AsyncClient) -> None:
    await create_collection(client, "staff")
    assert_error(await client.post("/api/collections", json={"name": "staff"}), 409, "collection_exists")
    for name in ("", "a" * 65, "has space", "slash/name", "ünï"):
        assert_error(await client.post("/api/collections", json={"name": name}), 422, "validation_error")
    assert_error(await client.get("/api/faces", params={"collection": "bad name"}), 422, "validation_error")


async def test_an_unknown_collection_is_404(client: httpx.AsyncClient, cast: list[Person]) -> None:
    photo = image_file(cast[0].photo())
    assert_error(await client.get("/api/collections/nowhere"), 404, "collection_not_found")
    assert_error(await client.delete("/api/collections/nowhere"), 404, "collection_not_found")
    assert_error(
        await client.get("/api/faces", params={"collection": "nowhere"}), 404, "collection_not_found"
    )
    assert_error(
        await client.post("/api/face/search", files=photo, params={"collection": "nowhere"}),
        404,
        "collection_not_found",
    )
    assert_error(
        await client.post(
            "/api/face/register", files=photo, data={"displayName": "Ada"}, params={"collection": "nowhere"}
        ),
        404,
        "collection_not_found",
    )


async def test_collections_are_isolated(client: httpx.AsyncClient, cast: list[Person]) -> None:
    """Every read and write by id from another collection behaves as if the face or person were absent."""
    await create_collection(client, "other")
    face = await register(client, cast[0].photo(), "Ada")
    person = face["personId"]
    elsewhere = {"collection": "other"}

    search = await client.post("/api/face/search", files=image_file(cast[0].other_photo()), params=elsewhere)
    persons = await client.post(
        "/api/persons/search", files=image_file(cast[0].other_photo()), params=elsewhere
    )
    assert search.json()["matches"] == []
    assert search.json()["verdict"] == "unknown"
    assert persons.json()["matches"] == []
    assert (await client.get("/api/faces", params=elsewhere)).json()["faces"] == []
    assert (await client.get("/api/persons", params=elsewhere)).json()["persons"] == []
    face_calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/face/{face['id']}", None),
        ("GET", f"/api/face/{face['id']}/image", None),
        ("PATCH", f"/api/face/{face['id']}", {"metadata": {"moved": True}}),
        ("DELETE", f"/api/face/{face['id']}", None),
    ]
    for method, path, json in face_calls:
        assert_error(await client.request(method, path, params=elsewhere, json=json), 404, "face_not_found")
    person_calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/persons/{person}", None),
        ("GET", f"/api/persons/{person}/faces", None),
        ("PATCH", f"/api/persons/{person}", {"displayName": "Mallory"}),
        ("DELETE", f"/api/persons/{person}", None),
    ]
    for method, path, json in person_calls:
        assert_error(await client.request(method, path, params=elsewhere, json=json), 404, "person_not_found")
    added = await client.post(
        f"/api/persons/{person}/faces", files=image_file(cast[0].photo()), params=elsewhere
    )
    assert_error(added, 404, "person_not_found")
    verify = await client.post(
        "/api/face/verify", files=image_file(cast[0].photo()), data={"faceId": face["id"]}, params=elsewhere
    )
    assert_error(verify, 404, "face_not_found")

    unchanged = await client.get(f"/api/face/{face['id']}")
    assert unchanged.json() == {
        key: value for key, value in face.items() if key not in {"otherFaces", "possibleDuplicateOf"}
    }


async def test_a_face_cannot_move_to_a_person_of_another_collection(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    await create_collection(client, "other")
    here = await register(client, cast[0].photo(), "Ada")
    there = await register(client, cast[1].photo(), "Bob", "other")

    moved = await client.patch(f"/api/face/{here['id']}", json={"personId": there["personId"]})

    assert_error(moved, 404, "person_not_found")
    assert (await client.get(f"/api/face/{here['id']}")).json()["personId"] == here["personId"]


async def test_the_same_person_in_two_collections_is_found_in_each(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    await create_collection(client, "other")
    here = await register(client, cast[0].photo(), "Ada")
    there = await register(client, cast[0].photo(), "Ada", "other")

    for collection, expected in (("default", here), ("other", there)):
        body = (
            await client.post(
                "/api/face/search",
                files=image_file(cast[0].other_photo()),
                params={"collection": collection},
            )
        ).json()
        assert body["verdict"] == "match"
        assert [match["id"] for match in body["matches"]] == [expected["id"]]
    assert here["possibleDuplicateOf"] is None
    assert there["possibleDuplicateOf"] is None


async def test_deleting_a_collection_leaves_nothing_behind(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    await create_collection(client, "doomed")
    for person in cast[:3]:
        await register(client, person.photo(), person.name, "doomed")
    kept = await register(client, cast[0].photo(), "Ada")

    assert (await client.delete("/api/collections/doomed")).status_code == 204

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        counts = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM persons) AS persons, (SELECT count(*) FROM faces) AS faces, "
            "(SELECT count(*) FROM face_images) AS images, (SELECT count(*) FROM collections) AS collections"
        )
    finally:
        await connection.close()
    assert dict(counts) == {"persons": 1, "faces": 1, "images": 1, "collections": 1}
    assert_error(await client.get("/api/collections/doomed"), 404, "collection_not_found")
    assert (await client.get(f"/api/face/{kept['id']}")).status_code == 200
