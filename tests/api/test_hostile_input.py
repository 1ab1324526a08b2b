"""A corpus of hostile and broken requests: each gets a 4xx with the one error body and writes nothing."""

import io
import json
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import numpy as np
import pytest
from PIL import Image

from facerec.db.urls import asyncpg_url
from tests.api.faces import people
from tests.photos import Photos, encoded


@dataclass(frozen=True)
class Bad:
    """One bad request and the answer it must get."""

    name: str
    method: str
    path: str
    status: int
    code: str
    files: list[tuple[str, tuple[str, bytes, str]]] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_bomb() -> bytes:
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1_000_000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def _landscape(size: tuple[int, int] = (320, 240), mode: str = "RGB") -> Image.Image:
    return Image.linear_gradient("L").resize(size).convert(mode)


def _huge_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription
    return encoded(_landscape(), exif=exif.tobytes())


def _animated_gif() -> bytes:
    frames = [_landscape((64, 64)).convert("P"), Image.new("P", (64, 64), 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], loop=0)
    return buffer.getvalue()


def _sixteen_bit_png() -> bytes:
    ramp = np.tile(np.linspace(0, 65535, 128, dtype=np.float64), (96, 1)).astype(np.uint16)
    return encoded(Image.fromarray(ramp), "PNG")


def _tiny_face(photos: Photos) -> bytes:
    """One person of the group photo, shrunk 8x (a face about 13 px wide), on a plain 640x480 canvas."""
    region = photos.open(photos.group).crop((600, 200, 1000, 600))
    small = region.resize((region.width // 8, region.height // 8), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (640, 480), (120, 120, 120))
    canvas.paste(small, (300, 200))
    return encoded(canvas, quality=95)


def _corrupt_png() -> bytes:
    """A valid PNG header whose compressed pixel data is scrambled."""
    png = encoded(_landscape(), "PNG")
    start = png.index(b"IDAT") + 4
    return png[:start] + bytes(byte ^ 0x55 for byte in png[start : start + 400]) + png[start + 400 :]


def _corpus(photos: Photos, face: bytes, max_upload_bytes: int) -> list[Bad]:
    jpeg = encoded(_landscape())
    png = encoded(_landscape(), "PNG")
    upload = "/api/face/encode"

    def image(
        data: bytes, name: str = "x.jpg", kind: str = "image/jpeg"
    ) -> list[tuple[str, tuple[str, bytes, str]]]:
        return [("image", (name, data, kind))]

    def image_post(name: str, data: bytes, status: int, code: str, kind: str = "image/jpeg") -> Bad:
        return Bad(name, "POST", upload, status, code, files=image(data, kind=kind))

    face_file = image(face)
    some_id = str(uuid.uuid4())
    return [
        image_post("zero bytes", b"", 400, "invalid_image"),
        image_post("random bytes", np.random.default_rng(7).bytes(5000), 400, "invalid_image"),
        image_post("text sent as an image", b"just some text, not a picture", 400, "invalid_image"),
        image_post("truncated JPEG", face[: len(face) // 3], 400, "truncated_image"),
        image_post("truncated PNG", png[: len(png) // 2], 400, "truncated_image", "image/png"),
        image_post("valid PNG header, corrupt data", _corrupt_png(), 400, "truncated_image", "image/png"),
        image_post("PNG claiming 40000x40000", _png_bomb(), 413, "image_too_large", "image/png"),
        image_post("huge EXIF block, no face", _huge_exif(), 422, "no_face"),
        image_post("animated GIF, no face", _animated_gif(), 422, "no_face", "image/gif"),
        image_post(
            "SVG", b"<svg xmlns='http://www.w3.org/2000/svg'><circle r='4'/></svg>", 400, "invalid_image"
        ),
        image_post(
            "PDF", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer<<>>\n%%EOF", 400, "invalid_image"
        ),
        image_post("PPM (readable, not accepted)", encoded(_landscape(), "PPM"), 415, "unsupported_format"),
        image_post("1x1 image", encoded(Image.new("RGB", (1, 1))), 422, "no_face"),
        image_post("20000x20 strip", encoded(_landscape((20000, 20))), 422, "no_face"),
        image_post("only face is 13 px wide", _tiny_face(photos), 422, "face_too_small"),
        image_post("16-bit PNG, no face", _sixteen_bit_png(), 422, "no_face", "image/png"),
        image_post("CMYK JPEG, no face", encoded(_landscape(mode="CMYK")), 422, "no_face"),
        Bad("missing image field", "POST", upload, 422, "validation_error", data={"allFaces": "true"}),
        Bad("image sent as a text field", "POST", upload, 422, "validation_error", data={"image": "hello"}),
        Bad("two image fields", "POST", upload, 422, "several_images", files=face_file + image(jpeg)),
        Bad("JSON instead of multipart", "POST", upload, 422, "validation_error", json_body={"image": "..."}),
        Bad(
            "oversized body",
            "POST",
            upload,
            413,
            "payload_too_large",
            files=image(b"\xff\xd8" + b"\x00" * (max_upload_bytes + 1)),
        ),
        Bad(
            "allFaces not a boolean",
            "POST",
            upload,
            422,
            "validation_error",
            files=face_file,
            data={"allFaces": "maybe"},
        ),
        *[
            Bad(
                f"topK {value}",
                "POST",
                "/api/face/search",
                422,
                "validation_error",
                files=face_file,
                data={"topK": value},
            )
            for value in ("0", "-1", str(10**9), "abc")
        ],
        *[
            Bad(
                f"threshold {value}",
                "POST",
                "/api/face/search",
                422,
                "validation_error",
                files=face_file,
                data={"threshold": value},
            )
            for value in ("NaN", "-5", "x", "inf")
        ],
        *[
            Bad(
                f"displayName {label}",
                "POST",
                "/api/face/register",
                422,
                "validation_error",
                files=face_file,
                data=data,
            )
            for label, data in (
                ("missing", {}),
                ("empty", {"displayName": ""}),
                ("whitespace", {"displayName": " \t "}),
                ("10,000 characters", {"displayName": "n" * 10_000}),
                ("control characters", {"displayName": "evil\x07name"}),
                ("escape sequence", {"displayName": "red\x1b[31m"}),
                ("zero-width only", {"displayName": "\u200b\u200c\u200d\u2060\ufeff"}),
                ("Hangul fillers only", {"displayName": "\u3164\u115f "}),
                ("Braille blank only", {"displayName": "\u2800"}),
                ("a combining mark only", {"displayName": "\u0301"}),
                ("right-to-left override", {"displayName": "Ada\u202egnp.exe"}),
                ("bidi isolate", {"displayName": "\u2067Ada"}),
                ("right-to-left mark", {"displayName": "Ada\u200f"}),
            )
        ],
        *[
            Bad(
                f"imageUrl {label}",
                "POST",
                "/api/face/register",
                422,
                "validation_error",
                files=face_file,
                data={"displayName": "ok", "imageUrl": value},
            )
            for label, value in (
                ("javascript:", "javascript:alert(1)"),
                ("JavaScript: in capitals", "JavaScript:alert(1)"),
                ("javascript: behind a space", " javascript:alert(1)"),
                ("javascript: split by a tab", "java\tscript:alert(1)"),
                ("data:", "data:text/html,<script>alert(1)</script>"),
                ("file:", "file:///etc/passwd"),
                ("ftp:", "ftp://example.org/a.jpg"),
                ("protocol-relative", "//evil.example/a.jpg"),
                ("backslashes", "/\\evil.example/a.jpg"),
                ("http without a host", "http:/a.jpg"),
                ("zero-width only", "\u200b"),
                ("2049 characters", "https://example.org/" + "a" * 2029),
            )
        ],
        *[
            Bad(
                "NUL in a display name",
                "POST",
                "/api/face/register",
                422,
                "invalid_text",
                files=face_file,
                data={"displayName": "evil\x00name"},
            ),
            Bad(
                "lone surrogate in PATCH JSON",
                "PATCH",
                f"/api/face/{some_id}",
                422,
                "invalid_text",
                content=b'{"displayName": "\\ud800"}',
                headers={"content-type": "application/json"},
            ),
            Bad("NUL in a query value", "GET", "/api/faces", 422, "invalid_text", params={"cursor": "\x00"}),
            Bad(
                "cursor of 10,000 characters",
                "GET",
                "/api/faces",
                422,
                "invalid_cursor",
                params={"cursor": "A" * 10_000},
            ),
            Bad(
                "name filter of 201 characters",
                "GET",
                "/api/faces",
                422,
                "validation_error",
                params={"displayName": "n" * 201},
            ),
            Bad(
                "name filter, zero-width only",
                "GET",
                "/api/faces",
                422,
                "validation_error",
                params={"displayName": "\u200b"},
            ),
            Bad(
                "threshold of 10,000 characters",
                "POST",
                "/api/face/search",
                422,
                "validation_error",
                files=face_file,
                data={"threshold": "1" * 10_000},
            ),
        ],
        *[
            Bad(
                f"metadata {label}",
                "POST",
                "/api/face/register",
                422,
                "validation_error",
                files=face_file,
                data={"displayName": "ok", "metadata": value},
            )
            for label, value in (
                ("not JSON", "{nope"),
                ("not an object", "[1, 2, 3]"),
                ("a string", '"text"'),
                ("too large", json.dumps({"blob": "x" * 20_000})),
            )
        ],
        Bad("malformed id", "GET", "/api/face/12345", 422, "validation_error"),
        Bad("id with SQL", "GET", "/api/face/1' OR '1'='1", 422, "validation_error"),
        Bad("unknown id", "GET", f"/api/face/{some_id}", 404, "face_not_found"),
        Bad("unknown id image", "GET", f"/api/face/{some_id}/image", 404, "face_not_found"),
        Bad("delete unknown id", "DELETE", f"/api/face/{some_id}", 404, "face_not_found"),
        Bad(
            "patch unknown id",
            "PATCH",
            f"/api/face/{some_id}",
            404,
            "face_not_found",
            json_body={"displayName": "x"},
        ),
        Bad(
            "patch with broken JSON",
            "PATCH",
            f"/api/face/{some_id}",
            422,
            "validation_error",
            content=b"{broken",
            headers={"content-type": "application/json"},
        ),
        Bad(
            "patch empty name",
            "PATCH",
            f"/api/face/{some_id}",
            422,
            "validation_error",
            json_body={"displayName": ""},
        ),
        Bad(
            "patch metadata not object",
            "PATCH",
            f"/api/face/{some_id}",
            422,
            "validation_error",
            json_body={"metadata": 5},
        ),
        Bad("list limit 0", "GET", "/api/faces", 422, "validation_error", params={"limit": "0"}),
        Bad("list limit 1000", "GET", "/api/faces", 422, "validation_error", params={"limit": "1000"}),
        Bad(
            "list with a forged cursor",
            "GET",
            "/api/faces",
            422,
            "invalid_cursor",
            params={"cursor": "eyJhIjoxfQ"},
        ),
        Bad("POST on the list", "POST", "/api/faces", 405, "method_not_allowed"),
        Bad("PUT on a face", "PUT", f"/api/face/{some_id}", 405, "method_not_allowed"),
        Bad("unknown route", "GET", "/api/nothing-here", 404, "not_found"),
        Bad("unknown nested route", "POST", "/api/face/encode/extra", 404, "not_found"),
    ]


@pytest.fixture(scope="module")
def face(photos: Photos) -> bytes:
    return people(photos)[0].photo()


async def _snapshot(database_url: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        faces = await connection.fetch("SELECT id, display_name, metadata, updated_at FROM faces ORDER BY id")
        images = await connection.fetch("SELECT face_id, md5(data) FROM face_images ORDER BY face_id")
    finally:
        await connection.close()
    return [tuple(row) for row in faces] + [tuple(row) for row in images]


async def test_every_bad_request_gets_its_4xx_and_changes_nothing(
    client: httpx.AsyncClient, photos: Photos, face: bytes, database_url: str
) -> None:
    stored = await client.post(
        "/api/face/register", files={"image": ("a.jpg", face, "image/jpeg")}, data={"displayName": "kept"}
    )
    assert stored.status_code == 201
    before = await _snapshot(database_url)
    corpus = _corpus(photos, face, max_upload_bytes=10 * 1024 * 1024)
    assert len({bad.name for bad in corpus}) >= 40

    wrong: list[str] = []
    for bad in corpus:
        response = await client.request(
            bad.method,
            bad.path,
            files=bad.files or None,
            data=bad.data or None,
            params=bad.params or None,
            json=bad.json_body,
            content=bad.content,
            headers=bad.headers or None,
        )
        body = _json(response)
        error = body.get("error") if isinstance(body, dict) else None
        if response.status_code != bad.status or not isinstance(error, dict) or error.get("code") != bad.code:
            wrong.append(f"{bad.name}: {response.status_code} {response.text[:200]}")
        elif not error.get("message") or set(body) != {"error"}:
            wrong.append(f"{bad.name}: malformed error body {body}")

    assert wrong == [], "\n".join(wrong)
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    assert await _snapshot(database_url) == before


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
