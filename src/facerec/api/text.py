"""Text that Postgres cannot store is refused at the edge with 422 `invalid_text`, whatever carries it: path
and query values, form fields, and every string of a JSON body, keys included. Postgres `text` and `jsonb`
cannot hold U+0000, and a lone UTF-16 surrogate (a JSON escape such as "\\ud800") is not Unicode at all:
asyncpg cannot even encode it. Form text that is not UTF-8 is refused here too (`facerec.api.form_text`).
Checked by one dependency of every route, before any field is validated."""

import re
from typing import Any

from fastapi import Request
from starlette.requests import HTTPConnection

from facerec.api.form_text import UNDECODABLE_STATE_KEY
from facerec.errors import ErrorDetail, InvalidText

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
INVALID_TEXT_MESSAGE = "the request holds text that cannot be stored"


def unstorable(value: str) -> str | None:
    """Why Postgres cannot store `value`, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain the NUL character (U+0000)"
    return f"must not contain a lone surrogate (U+{ord(found.group()):04X}): it is not Unicode text"


def unstorable_strings(value: Any, location: str) -> list[ErrorDetail]:
    """Every string in a JSON-like value (keys included) that cannot be stored, with where it is."""
    found: list[ErrorDetail] = []
    pending: list[tuple[Any, str]] = [(value, location)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            reason = unstorable(item)
            if reason is not None:
                found.append(ErrorDetail(where, reason))
        elif isinstance(item, dict):
            for key, child in item.items():
                pending.append((key, f"{where} (a key)"))
                pending.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            pending.extend((child, f"{where}.{index}") for index, child in enumerate(item))
    return found


async def refuse_unstorable_text(connection: HTTPConnection) -> None:
    """Raise `InvalidText` naming each path, query, form or JSON value that cannot be stored (a WebSocket
    handshake has no body: its path and query are checked)."""
    found = [
        *unstorable_strings(dict(connection.path_params), "path"),
        *_pair_strings(connection.query_params.multi_items(), "query"),
        *(await _body_strings(connection) if isinstance(connection, Request) else []),
    ]
    if found:
        found.sort(key=lambda detail: detail.field)
        raise InvalidText(INVALID_TEXT_MESSAGE, found)


async def _body_strings(request: Request) -> list[ErrorDetail]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        form = await request.form()  # parsed once: the route reads the same cached form
        texts = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
        undecodable: list[str] = request.scope.get("state", {}).get(UNDECODABLE_STATE_KEY, [])
        return _pair_strings(texts, "body") + [
            ErrorDetail(
                f"body.{name}",
                "must be text in the form's charset (UTF-8 unless the Content-Type names another)",
            )
            for name in undecodable
        ]
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = await request.json()  # cached: the route validates the same parsed body
        except (ValueError, RecursionError):
            return []  # not JSON (or absurdly deep): the route answers for it
        return unstorable_strings(body, "body")
    return []


def _pair_strings(items: list[tuple[str, str]], location: str) -> list[ErrorDetail]:
    return [detail for key, value in items for detail in unstorable_strings({key: value}, location)]
