"""Changing the model pack: `facerec reembed` to a second pack served by a local HTTP server from the
shipped files, on a gallery of its own database (dropping the old vectors changes every face of it).

The second pack's files are buffalo_s's, so a face found again in its stored photo gets back the vector it
was registered with: that is how the tests see that the registered face was the one embedded."""

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr
from rich.console import Console

from facerec.bulk.database import connection_of
from facerec.bulk.model_switch import reembed_gallery
from facerec.bulk.reembed import NO_PHOTO, NOT_FOUND_AGAIN, ReembedReport
from facerec.cli import main
from facerec.db.migrate import upgrade_to_head
from facerec.models.packs import PACKS
from facerec.settings import Settings
from tests.api.faces import Person, people
from tests.api.helpers import image_file
from tests.asgi import running_client
from tests.bulk.sql import query
from tests.db.fresh import fresh_database as fresh
from tests.packs import served_pack, serving
from tests.photos import Photos, encoded

NEW_PACK = "test_pack"


@dataclass(frozen=True)
class Gallery:
    url: str
    persons: dict[str, str]  # name -> person id, of the faces that can be re-embedded
    no_photo: str  # a face stored without its photo
    no_face: str  # a face whose stored photo shows no face any more


@pytest.fixture
def pack_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    served = tmp_path / "served"
    served.mkdir()
    monkeypatch.setitem(PACKS, NEW_PACK, served_pack(served, NEW_PACK))
    with serving(served) as url:
        yield url


@pytest.fixture
async def gallery_url(database_url: str) -> AsyncIterator[str]:
    async with fresh(database_url) as url:
        await asyncio.to_thread(upgrade_to_head, url)
        yield url


def with_pack(settings: Settings, url: str, pack: str, pack_url: str, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "database_url": SecretStr(url),
            "model_pack": pack,
            "model_base_url": pack_url,
            "model_cache_dir": tmp_path / "models",
        }
    )


async def register(client: httpx.AsyncClient, photo: bytes, name: str) -> tuple[str, str]:
    """(face id, person id)"""
    response = await client.post(
        "/api/face/register", files=image_file(photo), data={"displayName": name, "mostProminent": "true"}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["personId"]


def beside_a_larger_face(person: Person, other: Person) -> bytes:
    """The person's registered photo where it was (so the stored box still frames them) next to another
    person's face twice as large: the most prominent face is no longer the registered one."""
    registered = Image.open(io.BytesIO(person.photo())).convert("RGB")
    larger = other.portrait.resize((other.portrait.width * 2, other.portrait.height * 2))
    width = registered.width + larger.width + 40
    canvas = Image.new("RGB", (width, max(registered.height, larger.height)))
    canvas.paste(registered, (0, 0))
    canvas.paste(larger, (registered.width + 40, 0))
    return encoded(canvas, "PNG")


async def build_gallery(settings: Settings, url: str, photos: Photos) -> Gallery:
    cast = people(photos)
    persons = {}
    async with running_client(settings) as client:
        for person in cast[:3]:
            face_id, persons[person.name] = await register(client, person.photo(), person.name)
            if person is cast[0]:
                await query(
                    url,
                    "UPDATE face_images SET data = $2 WHERE face_id = $1::uuid",
                    face_id,
                    beside_a_larger_face(person, cast[4]),
                )
        no_photo, _ = await register(client, cast[3].photo(), cast[3].name)
        no_face, _ = await register(client, cast[5].photo(), cast[5].name)
    await query(url, "DELETE FROM face_images WHERE face_id = $1::uuid", no_photo)
    wall = encoded(Image.new("RGB", (300, 300), "grey"))
    await query(url, "UPDATE face_images SET data = $2 WHERE face_id = $1::uuid", no_face, wall)
    return Gallery(url, persons, no_photo, no_face)


async def finds_each_person(client: httpx.AsyncClient, gallery: Gallery, photos: Photos) -> None:
    for person in people(photos)[:3]:
        for route, key in (("/api/face/search", "personId"), ("/api/persons/search", "personId")):
            response = await client.post(route, files=image_file(person.other_photo()))
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["verdict"] == "match", (route, person.name, body)
            assert body["matches"][0][key] == gallery.persons[person.name]


async def tuples(url: str, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in await query(url, sql)]


def unembedded(report: ReembedReport) -> dict[str, str]:
    return {str(item.face.id): item.reason for item in report.unembedded}


async def test_a_gallery_changes_pack_while_the_old_pack_serves(
    settings: Settings,
    gallery_url: str,
    pack_url: str,
    photos: Photos,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = with_pack(settings, gallery_url, "buffalo_s", pack_url, tmp_path)
    new = with_pack(settings, gallery_url, NEW_PACK, pack_url, tmp_path)
    gallery = await build_gallery(old, gallery_url, photos)
    quiet = Console(file=io.StringIO())

    async def reembed() -> ReembedReport:
        async with connection_of(new) as connection:
            return await reembed_gallery(new, connection, quiet)

    caplog.set_level(logging.WARNING, logger="facerec.coverage")
    async with running_client(new) as client:
        ready = (await client.get("/readyz")).json()
        probe = await client.post("/api/face/search", files=image_file(people(photos)[1].other_photo()))
    assert ready["faces"] == {
        "stored": 5,
        "searchable": 0,
        "unsearchable": 5,
        "reembed": f"facerec reembed --model {NEW_PACK}",
    }
    assert probe.json()["matches"] == []
    warnings = [record.getMessage() for record in caplog.records if record.name == "facerec.coverage"]
    assert warnings == [
        f"5 of 5 stored faces were embedded by another model pack and cannot be searched with {NEW_PACK}; "
        f"re-embed them: facerec reembed --model {NEW_PACK}"
    ]

    async with running_client(old) as client:
        reembedding = asyncio.ensure_future(reembed())
        searches_during = 0
        while not reembedding.done():
            await finds_each_person(client, gallery, photos)
            searches_during += 1
        report = await reembedding
        await finds_each_person(client, gallery, photos)
    assert searches_during >= 1
    assert report.reembedded == 3
    assert unembedded(report) == {gallery.no_photo: NO_PHOTO, gallery.no_face: NOT_FOUND_AGAIN}
    same = await query(
        gallery_url,
        "SELECT 1 - (e.embedding <=> f.face_vec) FROM face_embeddings AS e JOIN faces AS f "
        "ON f.id = e.face_id",
    )
    assert len(same) == 3
    assert all(row[0] > 0.99 for row in same), "each face was embedded again, not another face of its photo"

    again = await reembed()
    assert again.reembedded == 0
    assert unembedded(again) == unembedded(report)

    caplog.clear()
    async with running_client(new) as client:
        ready = (await client.get("/readyz")).json()
        await finds_each_person(client, gallery, photos)
    assert ready["faces"] == {
        "stored": 5,
        "searchable": 3,
        "unsearchable": 2,
        "reembed": f"facerec reembed --model {NEW_PACK}",
    }
    assert [record.getMessage()[:30] for record in caplog.records if record.name == "facerec.coverage"] == [
        "2 of 5 stored faces were embed"
    ]


async def test_dropping_the_old_vectors_waits_for_every_face_unless_forced(
    settings: Settings,
    gallery_url: str,
    pack_url: str,
    photos: Photos,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = with_pack(settings, gallery_url, "buffalo_s", pack_url, tmp_path)
    new = with_pack(settings, gallery_url, NEW_PACK, pack_url, tmp_path)
    gallery = await build_gallery(old, gallery_url, photos)
    for name, value in (
        ("DATABASE_URL", gallery_url),
        ("AUTO_MIGRATE", "false"),
        ("MODEL_CACHE_DIR", str(tmp_path / "models")),
        ("MODEL_BASE_URL", pack_url),
        ("INFERENCE_WORKERS", "2"),
    ):
        monkeypatch.setenv(name, value)
    failures = tmp_path / "failures.csv"
    packs = "SELECT model, count(*) FROM faces GROUP BY model ORDER BY model"

    command = ["reembed", "--model", NEW_PACK, "--drop-old", "--failures", str(failures)]
    assert await asyncio.to_thread(main, command) == 2
    assert "2 stored faces have no vector of model pack test_pack" in capsys.readouterr().err
    assert await tuples(gallery_url, packs) == [("buffalo_s", 5)]
    assert await tuples(gallery_url, "SELECT count(*) FROM face_embeddings") == [(3,)]
    assert {row["faceId"]: row["reason"] for row in _rows(failures)} == {
        gallery.no_photo: NO_PHOTO,
        gallery.no_face: NOT_FOUND_AGAIN,
    }

    assert await asyncio.to_thread(main, [*command, "--force"]) == 0
    assert await tuples(gallery_url, packs) == [("buffalo_s", 2), (NEW_PACK, 3)]
    assert await tuples(gallery_url, "SELECT count(*) FROM face_embeddings") == [(0,)]

    async with running_client(new) as client:
        await finds_each_person(client, gallery, photos)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        return list(csv.DictReader(stream))
