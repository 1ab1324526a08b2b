"""`facerec import`, `export` and `import --from-export` as a user runs them: the CLI in-process with the
settings of the environment, on the real model and a real Postgres."""

import asyncio
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import SecretStr

from facerec.cli import main
from facerec.db.migrate import upgrade_to_head
from facerec.settings import Settings
from tests.api.faces import people
from tests.api.helpers import image_file
from tests.asgi import running_client
from tests.bulk.sql import fresh_database, run_sql
from tests.photos import Photos, encoded

# Two faces already have a vector of another pack, as `facerec reembed` leaves them half-way.
SWITCH_UNDER_WAY = """
    INSERT INTO face_embeddings (face_id, model, collection_id, embedding)
    SELECT id, 'other-pack', collection_id, face_vec FROM faces ORDER BY id LIMIT 2;
"""
EMPTY_STORE = "TRUNCATE faces, persons CASCADE; DELETE FROM collections WHERE name <> 'default'"
TABLES = ("persons", "faces", "face_images", "face_embeddings")


def counts(url: str) -> dict[str, int]:
    return {table: run_sql(url, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


@pytest.fixture
def environment(database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI's settings point at the test database; the store is empty before and after."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AUTO_MIGRATE", "false")
    monkeypatch.setenv("MODEL_CACHE_DIR", str(settings.model_cache_dir))
    monkeypatch.setenv("INFERENCE_WORKERS", "2")
    run_sql(database_url, EMPTY_STORE)
    yield database_url
    run_sql(database_url, EMPTY_STORE)


@pytest.fixture
def folder(tmp_path: Path, photos: Photos) -> Path:
    """Three persons with two photos each, a file that cannot be read and a photo without a face."""
    root = tmp_path / "photos"
    for person in people(photos)[:3]:
        (root / person.name).mkdir(parents=True)
        (root / person.name / "a.jpg").write_bytes(person.photo())
        (root / person.name / "b.jpg").write_bytes(person.other_photo())
    (root / "person 1" / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (root / "person 2" / "wall.jpg").write_bytes(encoded(Image.new("RGB", (300, 300), "grey")))
    return root


def failures(path: Path) -> dict[str, str]:
    with path.open() as stream:
        return {Path(row["path"]).name: row["code"] for row in csv.DictReader(stream)}


def test_a_folder_is_imported_once_and_the_failures_are_reported(
    environment: str, folder: Path, tmp_path: Path
) -> None:
    report = tmp_path / "failures.csv"
    assert main(["import", str(folder), "--failures", str(report)]) == 0
    assert counts(environment) == {"persons": 3, "faces": 6, "face_images": 6}
    assert failures(report) == {"gone.jpg": "unreadable", "wall.jpg": "no_face"}
    names = [row[0] for row in run_sql(environment, "SELECT display_name FROM persons ORDER BY display_name")]
    assert names == ["person 1", "person 2", "person 3"]

    assert main(["import", str(folder), "--failures", str(report)]) == 0
    assert counts(environment) == {"persons": 3, "faces": 6, "face_images": 6}


def test_a_csv_names_photos_anywhere(environment: str, folder: Path, tmp_path: Path) -> None:
    listing = tmp_path / "photos.csv"
    listing.write_text(
        "path,displayName,personId,externalId\n"
        f"{folder / 'person 1' / 'a.jpg'},Ada,,ada-1\n"
        f"{folder / 'person 1' / 'b.jpg'},Ada,,ada-2\n"
    )
    assert main(["import", str(listing)]) == 0
    rows = run_sql(environment, "SELECT external_id FROM faces ORDER BY external_id")
    assert [row[0] for row in rows] == ["ada-1", "ada-2"]
    assert counts(environment)["persons"] == 1


def test_an_export_restores_the_same_gallery_into_another_database(
    environment: str, folder: Path, tmp_path: Path, settings: Settings, photos: Photos
) -> None:
    assert main(["import", str(folder), "--failures", str(tmp_path / "f.csv")]) == 0
    run_sql(environment, SWITCH_UNDER_WAY)
    export = tmp_path / "gallery.jsonl"
    assert main(["export", str(export), "--images"]) == 0

    other = fresh_database(environment, "restored")
    upgrade_to_head(other)
    environment_other = pytest.MonkeyPatch()
    environment_other.setenv("DATABASE_URL", other)
    try:
        assert main(["import", "--from-export", str(export)]) == 0
        assert main(["import", "--from-export", str(export)]) == 0  # again: nothing twice
    finally:
        environment_other.undo()

    table = "SELECT id, person_id, face_vec::text, metadata::text, inserted_at FROM faces ORDER BY id"
    assert run_sql(other, table) == run_sql(environment, table)
    vectors = (
        "SELECT e.face_id, e.model, e.embedding::text, e.created_at, e.collection_id = f.collection_id "
        "FROM face_embeddings AS e JOIN faces AS f ON f.id = e.face_id ORDER BY 1, 2"
    )
    assert run_sql(other, vectors) == run_sql(environment, vectors)
    persons = "SELECT id, display_name, created_at FROM persons ORDER BY id"
    assert run_sql(other, persons) == run_sql(environment, persons)
    assert counts(other) == counts(environment)
    probe = people(photos)[1].other_photo()
    assert _search(settings, environment, probe) == _search(settings, other, probe)


def _search(settings: Settings, url: str, probe: bytes) -> Any:
    async def search() -> Any:
        async with running_client(settings.model_copy(update={"database_url": SecretStr(url)})) as client:
            response = await client.post("/api/persons/search", files=image_file(probe))
            assert response.status_code == 200, response.text
            return response.json()["matches"]

    return asyncio.run(search())


async def test_export_runs_beside_a_service_on_the_embedded_database(
    tmp_path: Path, settings: Settings, photos: Photos, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zero-setup default: `facerec serve` holds DATA_DIR and its Postgres; a command run beside it
    reads that Postgres instead of refusing, and leaves the service answering."""
    data_dir = tmp_path / "data"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("MODEL_CACHE_DIR", str(settings.model_cache_dir))
    served = Settings(_env_file=None, data_dir=data_dir, model_cache_dir=settings.model_cache_dir)
    async with running_client(served) as client:
        registered = await client.post(
            "/api/face/register", files=image_file(people(photos)[0].photo()), data={"displayName": "Ada"}
        )
        assert registered.status_code == 201, registered.text
        export = tmp_path / "gallery.jsonl"

        assert await asyncio.to_thread(main, ["export", str(export)]) == 0

        assert registered.json()["id"] in export.read_text()
        assert (await client.get(f"/api/face/{registered.json()['id']}")).status_code == 200
