"""Persons on the real service: many faces each, search by person, verify by person, the duplicate guard."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from PIL import Image

from facerec.db.urls import asyncpg_url
from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos, encoded


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


async def create_person(client: httpx.AsyncClient, name: str, **params: str) -> dict[str, Any]:
    response = await client.post("/api/persons", json={"displayName": name}, params=params)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_face(client: httpx.AsyncClient, person_id: str, photo: bytes, **params: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/persons/{person_id}/faces",
        files=image_file(photo),
        data={"qualityCheck": "false"},
        params=params,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def enrol_cast(client: httpx.AsyncClient, cast: list[Person]) -> dict[str, str]:
    """Each person of the cast with one face; name -> person id."""
    ids = {}
    for person in cast:
        created = await create_person(client, person.name)
        await add_face(client, created["id"], person.photo())
        ids[person.name] = created["id"]
    return ids


async def table_counts(database_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        return {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("persons", "faces", "face_images")
        }
    finally:
        await connection.close()


async def test_a_person_is_created_read_renamed_and_listed(client: httpx.AsyncClient) -> None:
    created = await create_person(client, "  Ada Lovelace ")
    assert created["displayName"] == "Ada Lovelace"
    assert created["faceCount"] == 0
    assert created["metadata"] == {}
    assert (await client.get(f"/api/persons/{created['id']}")).json() == created

    renamed = await client.patch(
        f"/api/persons/{created['id']}", json={"displayName": "Ada King", "metadata": {"team": "analytics"}}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["displayName"] == "Ada King"
    assert renamed.json()["metadata"] == {"team": "analytics"}
    await create_person(client, "Grace Hopper")
    await create_person(client, "adam smith")

    listed = (await client.get("/api/persons", params={"displayName": "AD"})).json()
    assert [person["displayName"] for person in listed["persons"]] == ["Ada King", "adam smith"]


async def test_persons_are_paged_in_creation_order(client: httpx.AsyncClient) -> None:
    names = [f"person {index}" for index in range(5)]
    for name in names:
        await create_person(client, name)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/persons", params=params)).json()
        seen += [person["displayName"] for person in page["persons"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == names


async def test_faces_added_to_a_person_carry_their_person(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    person = await create_person(client, "Ada")
    first = await add_face(client, person["id"], cast[0].photo())
    second = await add_face(client, person["id"], cast[0].other_photo())

    assert first["personId"] == second["personId"] == person["id"]
    assert first["displayName"] == "Ada"
    assert second["possibleDuplicateOf"] is None  # a person's own face is no duplicate
    faces = (await client.get(f"/api/persons/{person['id']}/faces")).json()["faces"]
    assert [face["id"] for face in faces] == [first["id"], second["id"]]
    assert (await client.get(f"/api/persons/{person['id']}")).json()["faceCount"] == 2


async def test_register_adds_to_a_person_or_creates_one(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    new = await client.post(
        "/api/face/register",
        files=image_file(cast[0].photo()),
        data={"displayName": "Ada", "qualityCheck": "false"},
    )
    assert new.status_code == 201, new.text
    added = await client.post(
        "/api/face/register",
        files=image_file(cast[0].other_photo()),
        data={"personId": new.json()["personId"], "qualityCheck": "false"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["personId"] == new.json()["personId"]
    assert (await client.get(f"/api/persons/{new.json()['personId']}")).json()["faceCount"] == 2


@pytest.mark.parametrize(
    "fields", [{}, {"displayName": "Ada", "personId": str(uuid.uuid4())}], ids=["neither", "both"]
)
async def test_register_needs_a_name_or_a_person(
    client: httpx.AsyncClient, cast: list[Person], fields: dict[str, str]
) -> None:
    response = await client.post("/api/face/register", files=image_file(cast[0].photo()), data=fields)
    assert_error(response, 422, "validation_error")


async def test_an_unknown_person_is_404(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    unknown = str(uuid.uuid4())
    assert_error(await client.get(f"/api/persons/{unknown}"), 404, "person_not_found")
    assert_error(await client.delete(f"/api/persons/{unknown}"), 404, "person_not_found")
    assert_error(await client.get(f"/api/persons/{unknown}/faces"), 404, "person_not_found")
    assert_error(
        await client.post(f"/api/persons/{unknown}/faces", files=image_file(cast[0].photo())),
        404,
        "person_not_found",
    )
    assert_error(
        await client.post(
            "/api/face/register", files=image_file(cast[0].photo()), data={"personId": unknown}
        ),
        404,
        "person_not_found",
    )
    assert await table_counts(database_url) == {"persons": 0, "faces": 0, "face_images": 0}


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 201, "tab\there", "new\nline"], ids=["empty", "blank", "long", "tab", "newline"]
)
async def test_bad_person_names_are_refused(client: httpx.AsyncClient, name: str) -> None:
    assert_error(await client.post("/api/persons", json={"displayName": name}), 422, "validation_error")


async def test_deleting_a_person_erases_every_face_and_photo(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    ids = await enrol_cast(client, cast[:2])
    await add_face(client, ids["person 1"], cast[0].other_photo())
    assert await table_counts(database_url) == {"persons": 2, "faces": 3, "face_images": 3}

    response = await client.delete(f"/api/persons/{ids['person 1']}")

    assert response.status_code == 204
    assert await table_counts(database_url) == {"persons": 1, "faces": 1, "face_images": 1}
    search = await client.post("/api/face/search", files=image_file(cast[0].other_photo()))
    assert all(match["personId"] != ids["person 1"] for match in search.json()["matches"])


async def test_a_face_added_while_its_person_is_deleted_leaves_no_orphan(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    """Adds and a delete of one person race; whichever order the database picks, no face outlives it."""
    for _ in range(3):
        person = await create_person(client, "Ada")
        adds = [
            client.post(
                f"/api/persons/{person['id']}/faces",
                files=image_file(cast[0].photo()),
                data={"qualityCheck": "false"},
            )
            for _ in range(3)
        ]
        responses = await asyncio.gather(*adds, client.delete(f"/api/persons/{person['id']}"))
        *added, deleted = responses
        assert deleted.status_code == 204
        for response in added:
            assert response.status_code in (201, 404), response.text
    assert await table_counts(database_url) == {"persons": 0, "faces": 0, "face_images": 0}


async def test_person_search_ranks_people_by_their_faces(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    ids = await enrol_cast(client, cast)
    await add_face(client, ids["person 3"], cast[2].other_photo())

    response = await client.post("/api/persons/search", files=image_file(cast[2].other_photo()))

    body = response.json()
    assert response.status_code == 200, response.text
    assert body["verdict"] == "match"
    top = body["matches"][0]
    assert top["personId"] == ids["person 3"]
    assert top["faceCount"] == 2
    assert top["displayName"] == "person 3"
    assert body["runnerUp"]["personId"] != ids["person 3"]
    assert len({match["personId"] for match in body["matches"]}) == len(body["matches"])


async def test_person_search_of_a_stranger_is_unknown(client: httpx.AsyncClient, cast: list[Person]) -> None:
    await enrol_cast(client, cast[1:])

    body = (await client.post("/api/persons/search", files=image_file(cast[0].other_photo()))).json()

    assert body["verdict"] == "unknown"
    assert body["matches"] == []


async def test_verify_against_a_person_uses_all_their_faces(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    ids = await enrol_cast(client, cast[:2])
    await add_face(client, ids["person 1"], cast[0].other_photo())

    same = await client.post(
        "/api/face/verify", files=image_file(cast[0].other_photo()), data={"personId": ids["person 1"]}
    )
    other = await client.post(
        "/api/face/verify", files=image_file(cast[0].other_photo()), data={"personId": ids["person 2"]}
    )

    assert same.status_code == 200, same.text
    assert same.json()["verdict"] == "match"
    # The very photo is one of the person's faces (similarity 1.0), but a person scores as the centroid of
    # all their faces, so the other face pulls it down.
    assert same.json()["threshold"] < same.json()["similarity"] < 0.99
    assert other.json()["verdict"] == "unknown"


async def test_verify_against_a_person_without_faces_is_refused(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    person = await create_person(client, "Nobody yet")
    response = await client.post(
        "/api/face/verify", files=image_file(cast[0].photo()), data={"personId": person["id"]}
    )
    assert_error(response, 409, "no_stored_faces")


async def test_a_face_like_another_person_is_stored_and_flagged(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    ids = await enrol_cast(client, cast[:2])
    impostor = await create_person(client, "Someone else")

    flagged = await add_face(client, impostor["id"], cast[0].other_photo())
    fresh = await client.post(
        "/api/face/register",
        files=image_file(cast[1].other_photo()),
        data={"displayName": "New name", "qualityCheck": "false"},
    )

    assert flagged["possibleDuplicateOf"]["personId"] == ids["person 1"]
    assert flagged["possibleDuplicateOf"]["score"] >= 0.45  # buffalo_s's strict point
    assert fresh.json()["possibleDuplicateOf"]["personId"] == ids["person 2"]
    assert (await client.get(f"/api/face/{flagged['id']}")).status_code == 200


async def test_a_face_moved_to_another_person_takes_their_name(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    ids = await enrol_cast(client, cast[:2])
    face = (await client.get(f"/api/persons/{ids['person 1']}/faces")).json()["faces"][0]

    moved = await client.patch(f"/api/face/{face['id']}", json={"personId": ids["person 2"]})

    assert moved.status_code == 200, moved.text
    assert moved.json()["personId"] == ids["person 2"]
    assert moved.json()["displayName"] == "person 2"
    assert (await client.get(f"/api/persons/{ids['person 1']}")).json()["faceCount"] == 0
    assert_error(
        await client.patch(f"/api/face/{face['id']}", json={"personId": str(uuid.uuid4())}),
        404,
        "person_not_found",
    )


async def test_renaming_through_a_face_renames_its_person(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    ids = await enrol_cast(client, cast[:1])
    face = (await client.get(f"/api/persons/{ids['person 1']}/faces")).json()["faces"][0]

    await client.patch(f"/api/face/{face['id']}", json={"displayName": "Ada"})

    assert (await client.get(f"/api/persons/{ids['person 1']}")).json()["displayName"] == "Ada"
    search = (await client.post("/api/face/search", files=image_file(cast[0].other_photo()))).json()
    assert search["matches"][0]["displayName"] == "Ada"


def with_bystander(subject: Person, bystander: Person) -> bytes:
    """The subject's portrait on a wider canvas, with a small bystander at its edge (a news-style photo)."""
    portrait = subject.portrait
    canvas = Image.new("RGB", (portrait.width * 2, portrait.height), "white")
    canvas.paste(portrait, (portrait.width // 2, 0))
    small = bystander.portrait.resize((bystander.portrait.width // 2, bystander.portrait.height // 2))
    canvas.paste(small, (0, portrait.height - small.height))
    return encoded(canvas, quality=95)


async def test_a_subject_among_bystanders_is_taken_and_the_others_named(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    photo = with_bystander(cast[0], cast[1])

    response = await client.post(
        "/api/face/register",
        files=image_file(photo),
        data={"displayName": "Ada", "qualityCheck": "false"},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["otherFaces"]) == 1
    assert body["otherFaces"][0]["box"]["x"] < body["face"]["box"]["x"]  # the bystander is at the left edge
    assert body["face"]["box"]["width"] > 1.5 * body["otherFaces"][0]["box"]["width"]
    search = await client.post("/api/face/search", files=image_file(cast[0].other_photo()))
    assert search.json()["matches"][0]["personId"] == body["personId"]


async def test_faces_that_compete_are_still_refused(client: httpx.AsyncClient, photos: Photos) -> None:
    response = await client.post(
        "/api/face/register", files=image_file(photos.bytes_of(photos.group)), data={"displayName": "crowd"}
    )
    assert_error(response, 422, "multiple_faces")
