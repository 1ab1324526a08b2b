"""Validation of the form fields and query values the routes take; failures become 422 `validation_error`."""

import base64
import binascii
import json
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator, Field

from facerec.domain import Metadata, PageCursor
from facerec.errors import InvalidCursor
from facerec.models.thresholds import ThresholdName

MAX_NAME_LENGTH = 200
MAX_METADATA_BYTES = 16 * 1024
MAX_METADATA_DEPTH = 32


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


def refuse_nul(value: str) -> str:
    """Postgres text cannot hold U+0000, so a string that has one is refused here, not by the database."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


def parse_metadata(value: Any) -> Metadata:
    """A form field holding a JSON object (an already-parsed object passes through)."""
    if isinstance(value, dict):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if not isinstance(value, str):
        raise ValueError("metadata must be a JSON object")
    try:
        parsed: Any = json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"metadata is not valid JSON: {error.msg}") from error
    except RecursionError as error:
        raise ValueError(f"metadata must nest at most {MAX_METADATA_DEPTH} levels deep") from error
    if not isinstance(parsed, dict):
        raise ValueError("metadata must be a JSON object")
    return parsed


def check_metadata(value: Metadata) -> Metadata:
    """Metadata that Postgres `jsonb` stores as given: finite numbers, no U+0000, bounded depth and size."""
    _check_json_values(value)
    try:
        size = len(json.dumps(value, allow_nan=False).encode())
    except ValueError as error:
        raise ValueError("metadata numbers must be finite (no NaN or Infinity)") from error
    if size > MAX_METADATA_BYTES:
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


def _check_json_values(value: Metadata) -> None:
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_METADATA_DEPTH:
            raise ValueError(f"metadata must nest at most {MAX_METADATA_DEPTH} levels deep")
        if isinstance(item, str):
            refuse_nul(item)
        elif isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)


def encode_cursor(cursor: PageCursor | None) -> str | None:
    if cursor is None:
        return None
    raw = json.dumps([cursor.created_at.isoformat(), str(cursor.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> PageCursor | None:
    if value is None:
        return None
    try:
        return _parse_cursor(value)
    except (binascii.Error, ValueError, TypeError, OverflowError) as error:
        raise InvalidCursor("cursor is not one this API returned") from error


ThresholdForm = Annotated[
    float | ThresholdName | None,
    BeforeValidator(parse_threshold),
    Field(
        description="Minimum similarity: a number from -1 to 1, or the model pack's operating point "
        "strict, default or loose (docs/ACCURACY.md). Default: default."
    ),
]


def _parse_cursor(value: str) -> PageCursor:
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    inserted_at, face_id = json.loads(raw)
    if not isinstance(inserted_at, str) or not isinstance(face_id, str):
        raise TypeError("a cursor holds two strings")
    moment = datetime.fromisoformat(inserted_at)
    if moment.tzinfo is None:
        raise ValueError("a cursor's time must have a UTC offset")
    return PageCursor(moment.astimezone(UTC), UUID(face_id))


PageLimit = Annotated[int, Query(ge=1, le=100, description="At most this many per page.")]
PageCursorQuery = Annotated[str | None, Query(description="nextCursor of the previous page.")]
DisplayName = Annotated[str, AfterValidator(clean_display_name)]
StoredText = Annotated[str, AfterValidator(refuse_nul)]
MetadataObject = Annotated[Metadata, AfterValidator(check_metadata)]
MetadataForm = Annotated[MetadataObject | None, BeforeValidator(parse_metadata)]
