"""The export format, JSON Lines: one object per line, `{"type": "collection" | "person" | "face" |
"embedding", ...}`, camelCase fields as in the API. Faces carry their model and embedding, and with
`--images` their photo (base64); an `embedding` line is a face's vector of another pack (`faceId`, `model`,
`embedding`), written while a pack switch is under way (`facerec reembed`). Collections come first, then
persons, faces and embeddings, so a file restores in one pass."""

import asyncio
import base64
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

import asyncpg
import numpy as np
from pydantic.alias_generators import to_camel, to_snake

from facerec.bulk.database import connection_of
from facerec.db.archive import ArchiveStore
from facerec.settings import Settings

RESTORE_ROWS = 500
_UUIDS = {"id", "person_id", "face_id"}
_TIMES = {"created_at", "updated_at", "inserted_at"}


async def export_gallery(settings: Settings, out: TextIO, *, with_images: bool) -> int:
    """Write every collection, person and face; returns the number of faces written."""
    faces = 0
    async with connection_of(settings) as connection, connection.transaction(isolation="repeatable_read"):
        async for kind, row in ArchiveStore(connection).rows(with_images=with_images):
            out.write(json.dumps(_to_line(kind, row)) + "\n")
            faces += kind == "face"
    return faces


async def restore_gallery(settings: Settings, lines: Iterator[str]) -> int:
    """Write back what `export_gallery` wrote, with the same ids; rows already there are kept, so an
    interrupted restore can be run again. Returns the number of face lines read."""
    faces = 0
    async with connection_of(settings) as connection:
        store = ArchiveStore(connection)
        pending: list[dict[str, Any]] = []
        pending_kind = ""
        for line in lines:
            kind, row = _from_line(line)
            if pending and (kind != pending_kind or len(pending) >= RESTORE_ROWS):
                await _flush(store, connection, pending_kind, pending)
                pending = []
            if kind == "collection":
                await store.restore_collection(row)
            else:
                pending.append(row)
                pending_kind = kind
            faces += kind == "face"
        if pending:
            await _flush(store, connection, pending_kind, pending)
    return faces


async def _flush(
    store: ArchiveStore, connection: asyncpg.Connection, kind: str, rows: list[dict[str, Any]]
) -> None:
    async with connection.transaction():
        if kind == "person":
            await store.restore_persons(rows)
        elif kind == "embedding":
            await store.restore_embeddings(rows)
        else:
            await store.restore_faces(rows)


def _to_line(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {"type": kind}
    for key, value in row.items():
        if key == "face_vec":
            line["embedding"] = value.to_numpy().tolist()
        elif key == "data":
            line["image"] = None if value is None else base64.b64encode(value).decode()
        elif isinstance(value, UUID):
            line[to_camel(key)] = str(value)
        elif isinstance(value, datetime):
            line[to_camel(key)] = value.isoformat()
        else:
            line[to_camel(key)] = value
    return line


def _from_line(text: str) -> tuple[str, dict[str, Any]]:
    line = json.loads(text)
    kind = line.pop("type")
    row: dict[str, Any] = {}
    for key, value in line.items():
        name = to_snake(key)
        if name == "embedding":
            row["face_vec"] = np.asarray(value, dtype=np.float32)
        elif name == "image":
            row["data"] = None if value is None else base64.b64decode(value)
        elif name in _UUIDS:
            row[name] = UUID(value)
        elif name in _TIMES:
            row[name] = datetime.fromisoformat(value)
        else:
            row[name] = value
    return kind, row


def export_file(settings: Settings, path: Path, *, with_images: bool) -> int:
    with path.open("w") as out:
        return asyncio.run(export_gallery(settings, out, with_images=with_images))


def restore_file(settings: Settings, path: Path) -> int:
    with path.open() as lines:
        return asyncio.run(restore_gallery(settings, lines))
