import json
import uuid

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


async def register(client: httpx.AsyncClient, person: Person, **fields: str) -> dict[str, object]:
    # person 5 looks away (yaw about 58°), below the enrolment bar that test_quality.py covers; these tests
    # are about storage and search, so every person is stored.
    data = {"displayName": person.name, "qualityCheck": "false", **fields}
    response = await client.post("/api/face/register", files=image_file(person.photo()), data=data)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_register_returns_the_stored_record(client: httpx.AsyncClient, cast: list[Person]) -> None:
    body = await register(client, cast[0], metadata='{"team": "blue", "n": 1}')

    assert body["displayName"] == "person 1"
    assert body["model"] == "buffalo_s"
    assert body["metadata"] == {"team": "blue", "n": 1}
    assert body["imageUrl"] == f"/api/face/{body['id']}/image"
    assert body["hasImage"] is True
    assert {"insertedAt", "face", "personId"} <= set(body)
    assert body["collection"] == "default"
    assert body["otherFaces"] == []
    assert body["possibleDuplicateOf"] is None
    fetched = await client.get(f"/api/face/{body['id']}")
    assert fetched.json() == {
        key: value for key, value in body.items() if key not in {"otherFaces", "possibleDuplicateOf"}
    }


async def test_display_name_is_trimmed_and_kept_verbatim(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    name = "  Robert'); DROP TABLE faces;--  "
    response = await client.post(
        "/api/face/register", files=image_file(cast[0].photo()), data={"displayName": name}
    )
    assert response.json()["displayName"] == name.strip()
    assert (await client.get("/api/faces")).json()["faces"][0]["displayName"] == name.strip()


async def test_search_finds_each_person_first(client: httpx.AsyncClient, cast: list[Person]) -> None:
    ids = {person.name: (await register(client, person))["id"] for person in cast}

    for person in cast:
        response = await client.post("/api/face/search", files=image_file(person.other_photo()))
        body = response.json()
        assert response.status_code == 200, response.text
        assert body["matches"], f"{person.name} was not found"
        assert body["matches"][0]["id"] == ids[person.name]
        assert body["matches"][0]["score"] >= body["threshold"]
        assert [m["score"] for m in body["matches"]] == sorted(
            (m["score"] for m in body["matches"]), reverse=True
        )


async def test_a_person_never_registered_gets_no_match(client: httpx.AsyncClient, cast: list[Person]) -> None:
    for person in cast[1:]:
        await register(client, person)

    response = await client.post("/api/face/search", files=image_file(cast[0].other_photo()))

    assert response.json()["matches"] == []


async def test_top_k_and_threshold_are_honoured(client: httpx.AsyncClient, cast: list[Person]) -> None:
    for person in cast:
        await register(client, person)

    response = await client.post(
        "/api/face/search", files=image_file(cast[0].photo()), data={"topK": "3", "threshold": "-1"}
    )

    body = response.json()
    assert body["threshold"] == -1
    assert len(body["matches"]) == 3


async def test_faces_of_another_model_are_never_compared(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    record = await register(client, cast[0])
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute(
            "UPDATE faces SET model = 'buffalo_l' WHERE id = $1", uuid.UUID(str(record["id"]))
        )
    finally:
        await connection.close()

    response = await client.post("/api/face/search", files=image_file(cast[0].photo()))

    assert response.json()["matches"] == []


async def test_several_faces_are_refused_unless_asked(client: httpx.AsyncClient, photos: Photos) -> None:
    group = photos.bytes_of(photos.group)
    refused = await client.post("/api/face/register", files=image_file(group), data={"displayName": "crowd"})
    assert_error(refused, 422, "multiple_faces")
    assert (await client.get("/api/faces")).json()["faces"] == []

    taken = await client.post(
        "/api/face/register", files=image_file(group), data={"displayName": "crowd", "mostProminent": "true"}
    )
    assert taken.status_code == 201
    encoded = await client.post("/api/face/encode", files=image_file(group), data={"allFaces": "true"})
    faces = encoded.json()["faces"]
    assert taken.json()["face"]["box"] == faces[0]["box"]  # the most prominent, not any face
    assert [face["box"] for face in taken.json()["otherFaces"]] == [face["box"] for face in faces[1:]]


async def test_the_original_photo_is_kept(client: httpx.AsyncClient, cast: list[Person]) -> None:
    record = await register(client, cast[2])
    response = await client.get(str(record["imageUrl"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content == cast[2].photo()


async def test_get_can_include_the_embedding(client: httpx.AsyncClient, cast: list[Person]) -> None:
    record = await register(client, cast[1])
    encoded = await client.post("/api/face/encode", files=image_file(cast[1].photo()))
    response = await client.get(f"/api/face/{record['id']}", params={"includeEmbedding": "true"})
    assert response.json()["embedding"] == pytest.approx(encoded.json()["embedding"], abs=1e-6)


async def test_unknown_and_malformed_ids(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"/api/face/{uuid.uuid4()}"), 404, "face_not_found")
    assert_error(await client.get("/api/face/not-a-uuid"), 422, "validation_error")
    assert_error(await client.delete(f"/api/face/{uuid.uuid4()}"), 404, "face_not_found")
    assert_error(await client.get(f"/api/face/{uuid.uuid4()}/image"), 404, "face_not_found")


async def test_patch_changes_name_and_metadata(client: httpx.AsyncClient, cast: list[Person]) -> None:
    record = await register(client, cast[3], metadata='{"a": 1}')
    response = await client.patch(f"/api/face/{record['id']}", json={"displayName": "Renamed"})
    assert response.json()["displayName"] == "Renamed"
    assert response.json()["metadata"] == {"a": 1}
    response = await client.patch(f"/api/face/{record['id']}", json={"metadata": {"b": [1, 2]}})
    assert response.json()["displayName"] == "Renamed"
    assert response.json()["metadata"] == {"b": [1, 2]}


async def test_delete_makes_a_face_unfindable(client: httpx.AsyncClient, cast: list[Person]) -> None:
    record = await register(client, cast[4])
    deleted = await client.delete(f"/api/face/{record['id']}")
    assert deleted.status_code == 204

    assert_error(await client.get(f"/api/face/{record['id']}"), 404, "face_not_found")
    assert_error(await client.get(f"/api/face/{record['id']}/image"), 404, "face_not_found")
    search = await client.post(
        "/api/face/search", files=image_file(cast[4].photo()), data={"threshold": "-1"}
    )
    assert search.json()["matches"] == []


async def paged_face_ids(client: httpx.AsyncClient, *, limit: int) -> list[str]:
    """The ids of every face, page after page of `limit`, following the cursors."""
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/faces", params=params)).json()
        seen += [face["id"] for face in page["faces"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return seen


async def test_list_pages_through_every_face_once(client: httpx.AsyncClient, cast: list[Person]) -> None:
    for person in cast:
        await register(client, person)
    await register(client, cast[0])

    seen = await paged_face_ids(client, limit=3)
    assert len(seen) == len(set(seen)) == len(cast) + 1

    named = (await client.get("/api/faces", params={"displayName": "PERSON 1"})).json()
    assert [face["displayName"] for face in named["faces"]] == ["person 1", "person 1"]
    assert_error(await client.get("/api/faces", params={"cursor": "garbage"}), 422, "invalid_cursor")


async def test_faces_inserted_at_the_same_moment_are_paged_through_once(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    """Registrations whose transactions start in the same microsecond share their insertion time (as do
    rows restored from one): the cursor tells them apart by id."""
    ids = sorted([str((await register(client, person))["id"]) for person in cast[:3]])
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute("UPDATE faces SET inserted_at = '2026-11-28 12:00:00+00'")
    finally:
        await connection.close()

    assert await paged_face_ids(client, limit=1) == ids
    whole = (await client.get("/api/faces", params={"limit": "3"})).json()
    assert [face["id"] for face in whole["faces"]] == ids
    assert whole["nextCursor"] is None  # a page that ends at the last face says there is no more


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"displayName": ""}, "displayName"),
        ({"displayName": "   "}, "displayName"),
        ({"displayName": "x" * 201}, "displayName"),
        ({"displayName": "bell\x07"}, "displayName"),
        ({"displayName": "ok", "metadata": "not json"}, "metadata"),
        ({"displayName": "ok", "metadata": "[1, 2]"}, "metadata"),
        ({"displayName": "ok", "metadata": json.dumps({"k": "v" * 20000})}, "metadata"),
    ],
)
async def test_bad_register_fields_are_422_and_store_nothing(
    client: httpx.AsyncClient, cast: list[Person], fields: dict[str, str], field: str
) -> None:
    response = await client.post("/api/face/register", files=image_file(cast[0].photo()), data=fields)
    assert_error(response, 422, "validation_error")
    assert any(field in detail["field"] for detail in response.json()["error"]["details"])
    assert (await client.get("/api/faces")).json()["faces"] == []


@pytest.mark.parametrize("top_k", ["0", "-1", "101", "1000000000", "abc"])
async def test_bad_top_k_is_422(client: httpx.AsyncClient, cast: list[Person], top_k: str) -> None:
    response = await client.post("/api/face/search", files=image_file(cast[0].photo()), data={"topK": top_k})
    assert_error(response, 422, "validation_error")


async def test_match_faces_sql_function(
    client: httpx.AsyncClient, cast: list[Person], database_url: str
) -> None:
    """The seed's RPC: cosine *distance* threshold, `score` = 1 - distance, best first."""
    record = await register(client, cast[5])
    embedding = (await client.post("/api/face/encode", files=image_file(cast[5].photo()))).json()["embedding"]
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        literal = "[" + ",".join(map(str, embedding)) + "]"
        rows = await connection.fetch("SELECT * FROM match_faces($1::vector)", literal)
        none = await connection.fetch("SELECT * FROM match_faces($1::vector, 5, 0.0)", literal)
    finally:
        await connection.close()
    assert [row["id"] for row in rows] == [uuid.UUID(str(record["id"]))]
    assert list(rows[0].keys()) == ["id", "display_name", "score", "image_url"]
    assert rows[0]["score"] > 0.99
    assert none == []
