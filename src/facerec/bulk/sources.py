"""What `facerec import` reads: a folder of folders (`PATH/<person name>/*.jpg`) or a CSV
(`path,displayName[,personId][,externalId]`, paths relative to the CSV)."""

import csv
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from facerec.errors import FacerecError

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


class BadSource(FacerecError):
    code = "bad_source"


@dataclass(frozen=True)
class ImportRow:
    path: Path
    display_name: str
    person_id: UUID | None = None
    external_id: str | None = None  # None: the photo's content hash


def read_source(path: Path) -> list[ImportRow]:
    if path.is_dir():
        return _folder_of_folders(path)
    if path.is_file():
        return _csv(path)
    raise BadSource(f"{path} is neither a folder nor a CSV file")


def _folder_of_folders(root: Path) -> list[ImportRow]:
    return [
        ImportRow(photo, person.name.strip())
        for person in sorted(entry for entry in root.iterdir() if entry.is_dir())
        for photo in sorted(person.iterdir())
        if photo.suffix.lower() in PHOTO_SUFFIXES
    ]


def _csv(path: Path) -> list[ImportRow]:
    with path.open(newline="") as stream:
        rows = [row for row in csv.reader(stream) if row]
    if rows and rows[0][0].strip().lower() == "path":
        rows = rows[1:]
    return [_csv_row(path.parent, number, row) for number, row in enumerate(rows, start=1)]


def _csv_row(folder: Path, number: int, row: list[str]) -> ImportRow:
    if not 2 <= len(row) <= 4:
        raise BadSource(f"CSV row {number}: expected path,displayName[,personId][,externalId]")
    person = row[2].strip() if len(row) > 2 else ""
    try:
        person_id = UUID(person) if person else None
    except ValueError as error:
        raise BadSource(f"CSV row {number}: personId {person!r} is not a UUID") from error
    external_id = row[3].strip() if len(row) > 3 and row[3].strip() else None
    return ImportRow(folder / row[0].strip(), row[1].strip(), person_id, external_id)
