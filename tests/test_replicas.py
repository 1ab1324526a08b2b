"""Two `facerec serve` replicas on one Postgres, started at the same moment, with clients spread over both."""

import asyncio
import itertools
from contextlib import ExitStack
from pathlib import Path

import httpx
from bench.harness import running_services

from tests.api.faces import people
from tests.api.helpers import image_file
from tests.db.fresh import fresh_database
from tests.photos import Photos


async def test_two_replicas_share_one_database(database_url: str, tmp_path: Path, photos: Photos) -> None:
    """Both migrate the same empty database at start (the advisory lock orders them); every write made
    through either replica is read back, found by search, and listed, through both."""
    cast = people(photos)
    data_dirs = [tmp_path / "a", tmp_path / "b"]
    for data_dir in data_dirs:
        data_dir.mkdir()
    async with fresh_database(database_url) as url:
        with ExitStack() as stack:
            services = await asyncio.to_thread(
                stack.enter_context,
                running_services(data_dirs, DATABASE_URL=url, INFERENCE_WORKERS="1", AUTO_MIGRATE="true"),
            )
            clients = [
                stack.enter_context(httpx.Client(base_url=service.base_url, timeout=120))
                for service in services
            ]
            registered = await asyncio.gather(
                *(
                    asyncio.to_thread(_register, client, person.photo(), person.name)
                    for client, person in zip(itertools.cycle(clients), cast, strict=False)
                )
            )
            for client in clients:
                for record, person in zip(registered, cast, strict=True):
                    fetched = client.get(f"/api/face/{record['id']}").json()
                    assert fetched == {key: record[key] for key in fetched}  # register adds otherFaces
                    found = client.post("/api/face/search", files=image_file(person.other_photo()))
                    assert found.status_code == 200, found.text
                    assert found.json()["matches"][0]["id"] == record["id"]
                listed = client.get("/api/faces", params={"limit": 100})
                assert {face["id"] for face in listed.json()["faces"]} == {r["id"] for r in registered}


def _register(client: httpx.Client, photo: bytes, name: str) -> dict[str, object]:
    response = client.post(
        "/api/face/register", files=image_file(photo), data={"displayName": name, "qualityCheck": "false"}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body
