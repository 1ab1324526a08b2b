"""Values Postgres cannot store, or requests the store cannot answer, are refused with 422 before they reach
it. Each case here was a 500 found by the schema fuzzer (tests/fuzz)."""

import base64
import json
import uuid

import httpx
import pytest

from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos


@pytest.fixture(scope="module")
def person(photos: Photos) -> Person:
    return people(photos)[0]


def nested(depth: int) -> str:
    return '{"a": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"imageUrl": "https://example.org/a\x00b"}, "imageUrl"),
        ({"metadata": '{"note": "a\\u0000b"}'}, "metadata"),
        ({"metadata": '{"a\\u0000b": 1}'}, "metadata"),
        ({"metadata": '{"n": NaN}'}, "metadata"),
        ({"metadata": '{"n": [Infinity]}'}, "metadata"),
        ({"metadata": nested(40)}, "metadata"),
        ({"metadata": nested(5000)}, "metadata"),
    ],
)
async def test_register_refuses_what_postgres_cannot_store(
    client: httpx.AsyncClient, person: Person, fields: dict[str, str], field: str
) -> None:
    response = await client.post(
        "/api/face/register", files=image_file(person.photo()), data={"displayName": "ok", **fields}
    )
    assert_error(response, 422, "validation_error")
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [f"body.{field}"]
    assert (await client.get("/api/faces")).json()["faces"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"displayName": "a\\u0000b"}', "displayName"),
        ('{"displayName": "   "}', "displayName"),
        ('{"displayName": "bell\\u0007"}', "displayName"),
        ('{"metadata": {"note": "a\\u0000b"}}', "metadata"),
        ('{"metadata": {"n": 1e999}}', "metadata"),
        (json.dumps({"metadata": {"k": "v" * 20000}}), "metadata"),
    ],
)
async def test_patch_refuses_what_register_refuses(
    client: httpx.AsyncClient, person: Person, body: str, field: str
) -> None:
    created = await client.post(
        "/api/face/register", files=image_file(person.photo()), data={"displayName": "kept", "metadata": "{}"}
    )
    face_url = f"/api/face/{created.json()['id']}"

    response = await client.patch(face_url, content=body, headers={"Content-Type": "application/json"})

    assert_error(response, 422, "validation_error")
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [f"body.{field}"]
    stored = (await client.get(face_url)).json()
    assert (stored["displayName"], stored["metadata"]) == ("kept", {})


async def test_patch_on_an_unknown_face_validates_before_looking(client: httpx.AsyncClient) -> None:
    response = await client.patch(f"/api/face/{uuid.uuid4()}", json={"displayName": "a\x00b"})
    assert_error(response, 422, "validation_error")


async def test_list_refuses_a_nul_in_the_name_filter(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/faces", params={"displayName": "a\x00b"})
    assert_error(response, 422, "validation_error")


def forged_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "content",
    [
        ["2024-05-01T10:00:00+00:00", 5],
        [1, 2],
        {"a": 1, "b": 2},
        ["2024-05-01T10:00:00", str(uuid.uuid4())],  # no UTC offset
        ["0001-01-01T00:00:00+14:00", str(uuid.uuid4())],  # before year 1 in UTC
    ],
)
async def test_forged_cursors_are_invalid(client: httpx.AsyncClient, content: object) -> None:
    response = await client.get("/api/faces", params={"cursor": forged_cursor(content)})
    assert_error(response, 422, "invalid_cursor")
