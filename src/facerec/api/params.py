"""Validation of the form fields and query values the routes take; failures become 422 `validation_error`,
or `invalid_text` for text Postgres cannot store (see `facerec.api.text`)."""

import base64
import binascii
import json
import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from facerec.api.text import unstorable_strings
from facerec.domain import Metadata, PageCursor
from facerec.errors import InvalidCursor, InvalidText
from facerec.models.thresholds import AUTO, Auto, ThresholdName

MAX_NAME_LENGTH = 200
MAX_URL_LENGTH = 2048
URL_SCHEMES = frozenset({"http", "https"})
# Format characters that reorder text: LRM, RLM, ALM, the embeddings and overrides, the isolates.
BIDI_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Categories that draw nothing by themselves: separators, format and control characters, combining marks.
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Cc", "Mn", "Me"})
# Letters and symbols that render blank: Hangul fillers, the Mongolian vowel separator, the Braille blank.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u180e\u2800")
MAX_METADATA_BYTES = 16 * 1024
MAX_METADATA_DEPTH = 32
# A cursor is base64url of a short JSON pair (about 100 characters): its shape and size are checked before
# it is decoded, so no forged cursor can make the decoder recurse or allocate.
CURSOR_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def clean_name(value: str) -> str:
    """A person's name as stored and compared: NFC, trimmed of spaces and invisible characters at both
    ends, 1-200 characters, at least one visible; no control and no bidirectional control characters (they
    make two look-alike names differ, or display text in another order than it is stored)."""
    name = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ValueError("must not contain control characters")
    if any(char in BIDI_CONTROLS for char in name):
        raise ValueError("must not contain bidirectional control characters (U+202A-E, U+2066-9, ...)")
    name = _strip_invisible(name)
    if not name:
        raise ValueError("must hold at least one visible character")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def check_image_url(value: str) -> str:
    """An http or https URL, or a relative path: never `javascript:`, `data:`, `file:` or `//host`."""
    if any(unicodedata.category(char)[0] in "CZ" or char == "\\" for char in value):
        raise ValueError("must not contain spaces, control characters or backslashes")
    refusal = ValueError("must be an http or https URL, or a relative path")
    try:
        parts = urlsplit(value)
    except ValueError as error:  # e.g. an unclosed IPv6 bracket
        raise refusal from error
    if parts.scheme.lower() in URL_SCHEMES and parts.netloc:
        return value
    if not parts.scheme and not parts.netloc:
        return value
    raise refusal


def _invisible(char: str) -> bool:
    return char in BLANK_LOOKING or unicodedata.category(char) in INVISIBLE_CATEGORIES


def _strip_invisible(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


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
    """Metadata that Postgres `jsonb` stores as given: finite numbers, storable text, bounded depth and size.
    Text is checked here too: a form field's JSON is only decoded here, after the edge check."""
    _check_depth(value)
    problems = unstorable_strings(value, "metadata")
    if problems:
        where, reason = problems[0].field, problems[0].message
        raise PydanticCustomError(InvalidText.code, "{where} {reason}", {"where": where, "reason": reason})
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


def parse_search_threshold(value: Any) -> float | ThresholdName | Auto | None:
    """As `parse_threshold`, or `auto`: follow the number of persons searched."""
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    try:
        return parse_threshold(value)
    except ValueError as error:
        names = ", ".join([*ThresholdName, AUTO])
        raise ValueError(f"threshold must be a number from -1 to 1 or one of {names}") from error


def _check_depth(value: Metadata) -> None:
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_METADATA_DEPTH:
            raise ValueError(f"metadata must nest at most {MAX_METADATA_DEPTH} levels deep")
        if isinstance(item, dict):
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
    if CURSOR_SHAPE.fullmatch(value) is None:
        raise InvalidCursor("cursor is not one this API returned")
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


SearchThresholdForm = Annotated[
    float | ThresholdName | Auto | None,
    BeforeValidator(parse_search_threshold),
    Field(
        description="Minimum similarity: a number from -1 to 1, an operating point (strict, default, "
        "loose), or auto: the threshold at which a stranger matches somebody with probability `fpir`, "
        "given how many persons the collection holds (docs/ACCURACY.md). Default: auto, unless the "
        "service is configured otherwise (SEARCH_AUTO_THRESHOLD)."
    ),
]
FpirForm = Annotated[
    float | None,
    Field(
        ge=1e-6,  # below, the FAR asked of each person underflows the curve (and no measurement backs it)
        lt=1,
        description="With threshold=auto: the share of strangers allowed to match somebody, from 1e-6, e.g. "
        "0.01. Default: the service's SEARCH_FPIR (0.01).",
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
DisplayName = Annotated[str, AfterValidator(clean_name)]
ImageUrl = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(check_image_url)]
MetadataObject = Annotated[Metadata, AfterValidator(check_metadata)]
MetadataForm = Annotated[MetadataObject | None, BeforeValidator(parse_metadata)]
