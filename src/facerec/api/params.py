"""Validation of the form fields and query values the routes take; failures become 422 `validation_error`."""

import base64
import binascii
import json
import unicodedata
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BeforeValidator, Field

from facerec.db.records import Metadata, PageCursor
from facerec.errors import InvalidCursor
from facerec.models.thresholds import ThresholdName

MAX_NAME_LENGTH = 200
MAX_METADATA_BYTES = 16 * 1024


def clean_display_name(value: str) -> str:
    """Trimmed; not empty; no control characters. Anything else (quotes, SQL-like text) is kept verbatim."""
    name = value.strip()
    if not name:
        raise ValueError("displayName must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"displayName must be at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ValueError("displayName must not contain control characters")
    return name


def parse_metadata(value: Any) -> Metadata:
    """A form field holding a JSON object (an already-parsed object passes through)."""
    if isinstance(value, dict):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if not isinstance(value, str):
        raise ValueError("metadata must be a JSON object")
    if len(value.encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata must be at most {MAX_METADATA_BYTES} bytes of JSON")
    try:
        parsed: Any = json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"metadata is not valid JSON: {error.msg}") from error
    if not isinstance(parsed, dict):
        raise ValueError("metadata must be a JSON object")
    return parsed


def check_metadata_size(value: Metadata | None) -> Metadata | None:
    if value is not None and len(json.dumps(value).encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata must be at most {MAX_METADATA_BYTES} bytes of JSON")
    return value


def parse_threshold(value: Any) -> float | ThresholdName | None:
    """A similarity from -1 to 1, or the name of one of the model pack's operating points."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower()
    if text in set(ThresholdName):
        return ThresholdName(text)
    try:
        number = float(text)
    except ValueError as error:
        names = ", ".join(ThresholdName)
        raise ValueError(f"threshold must be a number from -1 to 1 or one of {names}") from error
    if not -1.0 <= number <= 1.0:
        raise ValueError("threshold must be from -1 to 1")
    return number


def encode_cursor(cursor: PageCursor | None) -> str | None:
    if cursor is None:
        return None
    raw = json.dumps([cursor.inserted_at.isoformat(), str(cursor.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> PageCursor | None:
    if value is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        inserted_at, face_id = json.loads(raw)
        return PageCursor(datetime.fromisoformat(inserted_at), UUID(face_id))
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor("cursor is not one this API returned") from error


ThresholdForm = Annotated[
    float | ThresholdName | None,
    BeforeValidator(parse_threshold),
    Field(
        description="Minimum similarity: a number from -1 to 1, or the model pack's operating point "
        "strict, default or loose (docs/ACCURACY.md). Default: default."
    ),
]
