"""Photos sent as JSON: every route that takes a photo in a multipart form also takes `application/json`
with the same field names, each photo as base64 (a `data:` URL prefix is allowed) or, where
ALLOW_IMAGE_URLS is on, as `{"url": "https://..."}`: fetched here (`imaging/fetch.py`).

The JSON body is turned into the multipart form the route already reads, so both ways share every check,
limit and error code. The routes are found from their declared `File` parameters, so a photo route added
later takes JSON too; `add_json_bodies` describes the JSON form of each in the OpenAPI document.
"""

import base64
import binascii
import copy
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.errors import domain_error_response, error_response
from facerec.api.params import MAX_URL_LENGTH
from facerec.api.text import INVALID_TEXT_MESSAGE, unstorable_strings
from facerec.errors import FacerecError, ImageUrlsDisabled, InvalidText, PayloadTooLarge
from facerec.imaging.fetch import PhotoFetcher
from facerec.logs import escape

DATA_URL = re.compile(r"data:[\w.+-]*/?[\w.+-]*(?:;[\w=.+-]+)*;base64,", re.ASCII)
WHITESPACE = re.compile(rb"\s+")
PHOTO_DESCRIPTION = "The photo as base64 (a data: URL prefix is allowed): JPEG, PNG, WebP, BMP, GIF or TIFF."
PHOTO_URL_SCHEMA = {
    "type": "object",
    "properties": {"url": {"type": "string", "format": "uri", "maxLength": MAX_URL_LENGTH}},
    "required": ["url"],
    "additionalProperties": False,
    "description": "The photo's http(s) URL, fetched by the service where ALLOW_IMAGE_URLS=true (else 422 "
    "image_urls_disabled): from public addresses only, unless IMAGE_URL_ALLOWED_NETWORKS lists the network; "
    "at most MAX_UPLOAD_BYTES.",
}


@dataclass(frozen=True)
class PhotoOperation:
    """An operation whose multipart form carries photos: where it is, and which fields are photos."""

    method: str
    path: re.Pattern[str]
    path_format: str
    form_schema: str  # the name of the form's schema among the document's components
    photo_fields: frozenset[str]


class Refusal(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def photo_operations(document: dict[str, Any]) -> list[PhotoOperation]:
    """From the OpenAPI document: every operation whose multipart form has a binary field (a `File`)."""
    schemas = document.get("components", {}).get("schemas", {})
    found = []
    for path_format, operations in document["paths"].items():
        for method, operation in operations.items():
            form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            if form is None:
                continue
            name = form["schema"]["$ref"].rsplit("/", 1)[-1]
            fields = schemas[name].get("properties", {})
            photos = frozenset(field for field, spec in fields.items() if _is_binary(spec))
            if photos:
                found.append(
                    PhotoOperation(method.upper(), _path_pattern(path_format), path_format, name, photos)
                )
    return found


def _is_binary(spec: dict[str, Any]) -> bool:
    """An uploaded file: `contentMediaType` in OpenAPI 3.1 (`format: binary` in 3.0), maybe optional, or a
    list of them (repeated parts)."""
    here = "contentMediaType" in spec or spec.get("format") == "binary"
    options = [*spec.get("anyOf", []), *([spec["items"]] if spec.get("type") == "array" else [])]
    return here or any(_is_binary(option) for option in options)


def _path_pattern(path_format: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]+\}", path_format)
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "$")


class JsonImages:
    """Pure ASGI middleware, inside the body size limit: a JSON body sent to a photo route becomes the
    equivalent multipart form."""

    def __init__(
        self, app: ASGIApp, *, fastapi: FastAPI, max_image_bytes: int, fetcher: PhotoFetcher | None = None
    ) -> None:
        """`fetcher`: fetches photos sent as URLs; None refuses them (ALLOW_IMAGE_URLS=false)."""
        self.app = app
        self.fastapi = fastapi
        self.max_image_bytes = max_image_bytes
        self.fetcher = fetcher
        self._operations: list[PhotoOperation] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self._photo_operation(scope) if _is_json(scope) else None
        if target is None:
            await self.app(scope, receive, send)
            return
        try:
            fields = _fields(await _body(receive))
            unstorable = unstorable_strings(fields, "body")  # the form would carry them as mojibake
            if unstorable:
                await domain_error_response(InvalidText(INVALID_TEXT_MESSAGE, unstorable))(
                    scope, receive, send
                )
                return
            form, boundary = await self._form(fields, target.photo_fields)
        except Refusal as refusal:
            details = [{"field": f"body.{refusal.field}", "message": refusal.message}]
            await error_response(422, "validation_error", "the request is not valid", details)(
                scope, receive, send
            )
            return
        except FacerecError as error:
            await domain_error_response(error)(scope, receive, send)
            return
        headers = MutableHeaders(scope=scope)
        headers["content-type"] = f"multipart/form-data; boundary={boundary}"
        headers["content-length"] = str(len(form))
        delivered = False

        async def form_receive() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # nothing more: wait for the client to go
            delivered = True
            return {"type": "http.request", "body": form, "more_body": False}

        await self.app(scope, form_receive, send)

    def _photo_operation(self, scope: Scope) -> PhotoOperation | None:
        if self._operations is None:
            self._operations = photo_operations(self.fastapi.openapi())
        path: str = scope["path"]
        return next(
            (
                operation
                for operation in self._operations
                if operation.method == scope["method"] and operation.path.match(path)
            ),
            None,
        )

    async def _form(self, fields: dict[str, Any], photo_fields: frozenset[str]) -> tuple[bytes, str]:
        boundary = secrets.token_hex(16)
        parts: list[bytes] = []
        for name, value in fields.items():
            if value is None:
                continue
            if name in photo_fields:
                photos = value if isinstance(value, list) else [value]
                parts.extend([_file_part(boundary, name, await self._photo(name, photo)) for photo in photos])
            else:
                parts.append(_field_part(boundary, name, _form_text(value)))
        return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary

    async def _photo(self, name: str, value: Any) -> bytes:
        if isinstance(value, dict):
            return await self._fetched(name, value)
        if not isinstance(value, str):
            raise Refusal(name, 'must be the photo as base64 (or a data: URL), or {"url": "https://..."}')
        prefix = DATA_URL.match(value)
        encoded = value[prefix.end() :] if prefix else value
        compact = WHITESPACE.sub(b"", encoded.encode("ascii", errors="replace"))
        if len(compact) // 4 * 3 > self.max_image_bytes + 2:
            raise PayloadTooLarge(f"the image is over the {self.max_image_bytes} byte limit")
        try:
            return base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as error:
            raise Refusal(name, "is not valid base64") from error

    async def _fetched(self, name: str, value: dict[str, Any]) -> bytes:
        url = value.get("url")
        if set(value) != {"url"} or not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
            raise Refusal(name, f'must be {{"url": "https://..."}}, at most {MAX_URL_LENGTH} characters')
        if self.fetcher is None:
            raise ImageUrlsDisabled(
                "this service does not fetch photos from URLs (ALLOW_IMAGE_URLS=false): send the photo itself"
            )
        return await self.fetcher.fetch(url)


def is_json_body(scope: Scope) -> bool:
    content_type: bytes = dict(scope["headers"]).get(b"content-type", b"")
    return content_type.split(b";")[0].strip().lower() == b"application/json"


def _is_json(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["method"] == "POST" and is_json_body(scope)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refusal("body", "the client went away")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _fields(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise Refusal("body", "is not valid JSON") from error
    if not isinstance(parsed, dict):
        raise Refusal("body", "must be a JSON object")
    return parsed


def _form_text(value: Any) -> str:
    """A JSON value as the text a form field would carry: true/false, numbers, objects as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _field_part(boundary: str, name: str, value: str) -> bytes:
    header = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
    return header.encode() + value.encode("utf-8", errors="surrogatepass") + b"\r\n"


def _file_part(boundary: str, name: str, data: bytes) -> bytes:
    quoted = _quoted(name)
    header = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"; filename="{quoted}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return header.encode() + data + b"\r\n"


def _quoted(name: str) -> str:
    return escape(name).replace('"', "%22")


def add_json_bodies(app: FastAPI) -> None:
    """Describe, beside each photo operation's multipart form, the same form as JSON."""
    document = app.openapi()
    schemas = document["components"]["schemas"]
    for operation in photo_operations(document):
        json_schema = copy.deepcopy(schemas[operation.form_schema])
        json_schema["title"] = f"{json_schema.get('title', operation.form_schema)} (JSON)"
        for field in operation.photo_fields:
            photo = {"anyOf": [{"type": "string", "description": PHOTO_DESCRIPTION}, PHOTO_URL_SCHEMA]}
            listed = json_schema["properties"][field].get("type") == "array"
            json_schema["properties"][field] = {"type": "array", "items": photo} if listed else photo
        schemas[f"Json{operation.form_schema}"] = json_schema
        content = document["paths"][operation.path_format][operation.method.lower()]["requestBody"]["content"]
        content["application/json"] = {
            "schema": {"$ref": f"#/components/schemas/Json{operation.form_schema}"}
        }
