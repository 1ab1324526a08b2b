"""Values Postgres cannot store, or requests the store cannot answer, are refused with 422 before they reach
it. The first cases were 500s found by the schema fuzzer (tests/fuzz); lone surrogates in JSON were 500s
found by review (issue 14)."""

import base64
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from facerec.api.app import create_app
from facerec.settings import Settings
from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos

# What no Postgres text or jsonb value can hold: U+0000, and lone UTF-16 surrogates (sent as JSON escapes).
NUL = "a\x00b"
SURROGATES = ("a\ud800b", "\udfff", "\udc00\ud800")


@pytest.fixture(scope="module")
def person(photos: Photos) -> Person:
    return people(photos)[0]


def nested(depth: int) -> str:
    return '{"a": ' + "[" * depth + "]" * depth + "}"


def fields_of(response: httpx.Response) -> list[str]:
    return [detail["field"] for detail in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"imageUrl": "https://example.org/a\x00b"}, "body.imageUrl"),
        ({"displayName": NUL}, "body.displayName"),
        ({"metadata": '{"note": "a\\u0000b"}'}, "body.metadata"),
        ({"metadata": '{"a\\u0000b": 1}'}, "body.metadata"),
        ({"metadata": '{"note": "a\\ud800b"}'}, "body.metadata"),
        ({"metadata": '{"\\udfff": 1}'}, "body.metadata"),
        ({"metadata": '{"a": [{"b": ["\\udc00"]}]}'}, "body.metadata"),
        ({"mostProminent": NUL}, "body.mostProminent"),
        ({"unknownField": NUL}, "body.unknownField"),
    ],
)
async def test_register_refuses_unstorable_text(
    client: httpx.AsyncClient, person: Person, fields: dict[str, str], field: str
) -> None:
    response = await client.post(
        "/api/face/register", files=image_file(person.photo()), data={"displayName": "ok", **fields}
    )
    assert_error(response, 422, "invalid_text")
    assert fields_of(response) == [field]
    assert (await client.get("/api/faces")).json()["faces"] == []


@pytest.mark.parametrize(
    "metadata",
    ['{"n": NaN}', '{"n": [Infinity]}', nested(40), nested(5000)],
    ids=["NaN", "inf", "40", "5000"],
)
async def test_register_refuses_metadata_jsonb_cannot_hold(
    client: httpx.AsyncClient, person: Person, metadata: str
) -> None:
    response = await client.post(
        "/api/face/register",
        files=image_file(person.photo()),
        data={"displayName": "ok", "metadata": metadata},
    )
    assert_error(response, 422, "validation_error")
    assert fields_of(response) == ["body.metadata"]


@pytest.fixture
async def face_url(client: httpx.AsyncClient, person: Person) -> str:
    created = await client.post(
        "/api/face/register", files=image_file(person.photo()), data={"displayName": "kept", "metadata": "{}"}
    )
    return f"/api/face/{created.json()['id']}"


async def patch(client: httpx.AsyncClient, url: str, body: Any) -> httpx.Response:
    """JSON with \\u escapes (json.dumps' default), as a browser's JSON.stringify sends a lone surrogate."""
    return await client.patch(url, content=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"displayName": NUL}, "body.displayName"),
        *[({"displayName": text}, "body.displayName") for text in SURROGATES],
        ({"metadata": {"note": NUL}}, "body.metadata.note"),
        ({"metadata": {"note": "\ud83d"}}, "body.metadata.note"),
        ({"metadata": {"\ud800": 1}}, "body.metadata (a key)"),
        ({"metadata": {"deep": [{"list": ["ok", "\udfff"]}]}}, "body.metadata.deep.0.list.1"),
        ({"ignored": "\ud800"}, "body.ignored"),
    ],
)
async def test_patch_refuses_unstorable_text_in_any_json_value(
    client: httpx.AsyncClient, face_url: str, body: dict[str, Any], field: str
) -> None:
    response = await patch(client, face_url, body)

    assert_error(response, 422, "invalid_text")
    assert fields_of(response) == [field]
    stored = (await client.get(face_url)).json()
    assert (stored["displayName"], stored["metadata"]) == ("kept", {})


async def test_a_surrogate_pair_is_one_character_and_stored(client: httpx.AsyncClient, face_url: str) -> None:
    response = await patch(
        client, face_url, {"displayName": "Ada \U0001f600", "metadata": {"e": "\U0001f600"}}
    )

    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Ada \U0001f600"
    assert (await client.get(face_url)).json()["metadata"] == {"e": "\U0001f600"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"displayName": "   "}, "body.displayName"),
        ({"displayName": "bell\u0007"}, "body.displayName"),
        ({"metadata": {"n": float("inf")}}, "body.metadata"),
        ({"metadata": {"k": "v" * 20000}}, "body.metadata"),
    ],
)
async def test_patch_refuses_what_register_refuses(
    client: httpx.AsyncClient, face_url: str, body: dict[str, Any], field: str
) -> None:
    response = await patch(client, face_url, body)

    assert_error(response, 422, "validation_error")
    assert fields_of(response) == [field]


async def test_patch_on_an_unknown_face_validates_before_looking(client: httpx.AsyncClient) -> None:
    response = await patch(client, f"/api/face/{uuid.uuid4()}", {"displayName": "a\ud800"})
    assert_error(response, 422, "invalid_text")


@pytest.mark.parametrize(("name", "value"), [("displayName", NUL), ("cursor", NUL), ("limit", NUL)])
async def test_list_refuses_unstorable_query_values(client: httpx.AsyncClient, name: str, value: str) -> None:
    response = await client.get("/api/faces", params={name: value})
    assert_error(response, 422, "invalid_text")
    assert fields_of(response) == [f"query.{name}"]


async def test_path_values_are_checked_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/face/%00")
    assert_error(response, 422, "invalid_text")
    assert fields_of(response) == ["path.face_id"]


def string_fields(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(method, path template, where, name) of every parameter and body field of every operation."""
    schema = create_app(settings).openapi()
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                found.append((method.upper(), path, parameter["in"], parameter["name"]))
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                ref = content["schema"].get("$ref", "")
                properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                for name, field in properties.items():
                    if field.get("format") != "binary" and field.get("contentMediaType") is None:
                        found.append((method.upper(), path, media, name))
    return found


async def test_every_field_of_every_operation_refuses_unstorable_text(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    fields = string_fields(settings)
    assert {name for *_, name in fields} >= {"displayName", "metadata", "imageUrl", "cursor", "threshold"}
    wrong = []
    for method, template, where, name in fields:
        target = template.replace(f"{{{name}}}", "%00") if where == "path" else template
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), target)
        if where == "path":
            response = await client.request(method, path)
        elif where == "query":
            response = await client.request(method, path, params={name: NUL})
        elif where == "application/json":
            response = await client.request(
                method, path, content=json.dumps({name: SURROGATES[0]}), headers={"Content-Type": where}
            )
        else:
            response = await client.request(method, path, data={name: NUL}, files={"other": ("x", b"x")})
        body = response.json()
        if response.status_code != 422 or body["error"]["code"] != "invalid_text":
            wrong.append(f"{method} {path} {where} {name}: {response.status_code} {response.text[:200]}")
    assert wrong == []


def forged_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        forged_cursor(["2024-05-01T10:00:00+00:00", 5]),
        forged_cursor([1, 2]),
        forged_cursor({"a": 1, "b": 2}),
        forged_cursor(["2024-05-01T10:00:00", str(uuid.uuid4())]),  # no UTC offset
        forged_cursor(["0001-01-01T00:00:00+14:00", str(uuid.uuid4())]),  # before year 1 in UTC
        base64.urlsafe_b64encode(b"[" * 40_000).decode(),  # was a RecursionError, a 500
        base64.urlsafe_b64encode(b"[" * 150).decode(),
        forged_cursor(["2024-05-01T10:00:00+00:00", str(uuid.uuid4()), "x" * 300]),
        "not base64!",
        "a" * 257,
    ],
    ids=["number", "numbers", "object", "naive", "year 0", "deep", "150 deep", "long", "shape", "257"],
)
async def test_forged_cursors_are_invalid(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get("/api/faces", params={"cursor": cursor})
    assert_error(response, 422, "invalid_cursor")


def raw_form(fields: dict[str, bytes], photo: bytes, boundary: str = "facerec-boundary") -> tuple[bytes, str]:
    """A multipart body whose text fields are the bytes given, not necessarily UTF-8 (httpx encodes str)."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"displayName": b"Jos\xe9"}, ["body.displayName"]),  # latin-1 "José": would be stored as is
        ({"displayName": b"ok", "metadata": b'{"note": "\xc3\x28"}'}, ["body.metadata"]),
        (
            {"displayName": b"\xff\xfe", "metadata": b'{"a": "\xed\xa0\x80"}'},
            ["body.displayName", "body.metadata"],
        ),
        ({"displayName": b"cut \xe2\x82"}, ["body.displayName"]),  # a sequence cut off at the end
    ],
    ids=["latin-1", "bad-continuation", "two-fields", "truncated"],
)
async def test_register_refuses_form_text_that_is_not_utf8(
    client: httpx.AsyncClient, person: Person, fields: dict[str, bytes], invalid: list[str]
) -> None:
    body, content_type = raw_form(fields, person.photo())
    response = await client.post("/api/face/register", content=body, headers={"content-type": content_type})
    assert_error(response, 422, "invalid_text")
    assert fields_of(response) == invalid
    assert (await client.get("/api/faces")).json()["faces"] == []


async def test_utf8_form_text_is_stored_as_sent(client: httpx.AsyncClient, person: Person) -> None:
    fields = {"displayName": "José Ñandú 山田".encode(), "metadata": '{"note": "Zoë"}'.encode()}
    body, content_type = raw_form(fields, person.photo())
    response = await client.post("/api/face/register", content=body, headers={"content-type": content_type})
    assert response.status_code == 201, response.text
    assert response.json()["displayName"] == "José Ñandú 山田"
    assert response.json()["metadata"] == {"note": "Zoë"}
