"""Batch registration on the real service: each item stored or refused on its own, idempotent through
external ids, refused whole before anything is stored."""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from facerec.settings import Settings
from tests.api.faces import Person, people
from tests.api.helpers import assert_error
from tests.api.test_persons import table_counts
from tests.asgi import running_client
from tests.photos import Photos, encoded

BROKEN = {5: b"not an image at all", 12: encoded(Image.new("RGB", (320, 240), "grey"))}


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


def twenty_photos(cast: list[Person]) -> list[bytes]:
    """Twenty items: the cast's photos in turn, with a file that is no image at 5 and a photo without a
    face at 12."""
    good = [
        person.photo() if round_ % 2 == 0 else person.other_photo() for round_ in range(3) for person in cast
    ]
    photos = iter(good)
    return [BROKEN.get(index) or next(photos) for index in range(20)]


def batch_form(photos: list[bytes], manifest: list[dict[str, Any]] | str) -> dict[str, Any]:
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    return {
        "files": [("images", (f"{index}.jpg", photo, "image/jpeg")) for index, photo in enumerate(photos)],
        "data": {"manifest": text, "qualityCheck": "false"},
    }


def manifest_of(count: int) -> list[dict[str, Any]]:
    return [
        {"displayName": f"person {index}", "externalId": f"photo-{index}", "metadata": {"index": index}}
        for index in range(count)
    ]


async def test_a_batch_stores_every_good_photo_and_names_the_bad_ones(
    client: httpx.AsyncClient, database_url: str, cast: list[Person]
) -> None:
    photos = twenty_photos(cast)
    response = await client.post("/api/faces/batch", **batch_form(photos, manifest_of(20)))

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["index"] for result in results] == list(range(20))
    assert {result["index"]: result["error"]["code"] for result in results if result["error"]} == {
        5: "invalid_image",
        12: "no_face",
    }
    assert [result["status"] for result in results if result["index"] not in BROKEN] == [201] * 18
    assert [results[index]["status"] for index in sorted(BROKEN)] == [400, 422]
    stored = results[0]["face"]
    assert stored["externalId"] == "photo-0"
    assert stored["metadata"] == {"index": 0}
    assert stored["displayName"] == "person 0"
    assert (await table_counts(database_url))["faces"] == 18


async def test_sending_a_batch_again_stores_nothing_new(
    client: httpx.AsyncClient, database_url: str, cast: list[Person]
) -> None:
    photos = twenty_photos(cast)
    first = (await client.post("/api/faces/batch", **batch_form(photos, manifest_of(20)))).json()
    again = await client.post("/api/faces/batch", **batch_form(photos, manifest_of(20)))

    assert again.status_code == 200, again.text
    results = again.json()["results"]
    assert [result["status"] for result in results if result["index"] not in BROKEN] == [200] * 18
    assert [r["face"]["id"] for r in results if r["face"]] == [
        r["face"]["id"] for r in first["results"] if r["face"]
    ]
    assert await table_counts(database_url) == {"persons": 18, "faces": 18, "face_images": 18}


async def test_items_may_add_faces_to_existing_persons(client: httpx.AsyncClient, cast: list[Person]) -> None:
    person = (await client.post("/api/persons", json={"displayName": "Ada"})).json()
    manifest = [{"personId": person["id"]}, {"personId": person["id"]}]
    response = await client.post(
        "/api/faces/batch", **batch_form([cast[0].photo(), cast[0].other_photo()], manifest)
    )

    assert [result["status"] for result in response.json()["results"]] == [201, 201]
    assert (await client.get(f"/api/persons/{person['id']}")).json()["faceCount"] == 2


@pytest.mark.parametrize(
    ("manifest", "images"),
    [
        (manifest_of(3), 2),  # one entry too many
        (manifest_of(2), 3),  # one image without an entry
        ("[{", 1),  # not JSON
        ('{"displayName": "a"}', 1),  # not an array
        ([{"displayName": "a", "personId": "8f7e8c1e-4b0a-4d1c-9d5e-2f1f3c7b9a10"}], 1),  # both
        ([{"metadata": {}}], 1),  # neither
        ([{"displayName": "a", "externalId": "x"}, {"displayName": "b", "externalId": "x"}], 2),
        ([{"displayName": "a", "nickname": "b"}], 1),  # a field this API does not know
    ],
)
async def test_a_bad_manifest_is_refused_before_anything_is_stored(
    client: httpx.AsyncClient,
    database_url: str,
    cast: list[Person],
    manifest: list[dict[str, Any]] | str,
    images: int,
) -> None:
    response = await client.post("/api/faces/batch", **batch_form([cast[0].photo()] * images, manifest))

    assert_error(response, 422, "validation_error")
    assert (await table_counts(database_url))["faces"] == 0


async def test_too_many_items_are_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    count = settings.batch_max_items + 1
    response = await client.post("/api/faces/batch", **batch_form([b"x"] * count, manifest_of(count)))

    assert_error(response, 422, "validation_error")
    assert "at most 64 items" in response.json()["error"]["details"][0]["message"]


async def test_a_batch_is_refused_whole_when_the_queue_has_no_room(
    database_url: str, tmp_path: Path, cast: list[Person]
) -> None:
    """One worker and no waiting place: batches sent at once are each answered in full or refused with
    503 `overloaded`, never half stored."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path,
        model_cache_dir=tmp_path,
        auto_migrate=False,
        inference_workers=1,
        max_waiting_jobs=0,
    )
    photos = [person.photo() for person in cast]
    async with running_client(settings) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    "/api/faces/batch",
                    **batch_form(photos, [{"displayName": f"{round_}-{i}"} for i in range(len(photos))]),
                )
                for round_ in range(4)
            )
        )
    refused = [answer for answer in answers if answer.status_code == 503]
    served = [answer for answer in answers if answer.status_code == 200]
    assert refused
    assert len(refused) + len(served) == 4
    for answer in refused:
        assert_error(answer, 503, "overloaded")
    for answer in served:
        assert [result["status"] for result in answer.json()["results"]] == [201] * len(photos)
    assert (await table_counts(database_url))["faces"] == len(photos) * len(served)
