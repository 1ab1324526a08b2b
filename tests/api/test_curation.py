"""Calibration from a collection's own faces, clustering of photos and stored faces, merging a cluster."""

import base64
from typing import Any

import httpx
import pytest
from PIL import Image

from facerec.models.far_curve import FAR_CURVES
from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos, encoded

CURVE = FAR_CURVES["buffalo_s"]


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


async def person_with(client: httpx.AsyncClient, name: str, *photos: bytes) -> dict[str, Any]:
    """A new person with these faces; the first face's registration answer."""
    first: dict[str, Any] = {}
    for photo in photos:
        fields = {"personId": first["personId"]} if first else {"displayName": name}
        response = await client.post(
            "/api/face/register", files=image_file(photo), data={"qualityCheck": "false", **fields}
        )
        assert response.status_code == 201, response.text
        first = first or response.json()
    return first


async def calibration(client: httpx.AsyncClient, name: str = "default") -> dict[str, Any]:
    response = await client.get(f"/api/collections/{name}/calibration")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_calibration_flags_a_mixed_person_and_a_person_enrolled_twice(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    mixed = await person_with(client, "mixed", cast[0].photo(), cast[1].photo())
    first = await person_with(client, "twice", cast[2].photo(), cast[2].other_photo())
    second = await person_with(client, "twice again", cast[2].other_photo(), cast[2].photo())
    for person in cast[3:]:
        await person_with(client, person.name, person.photo(), person.other_photo())

    body = await calibration(client)

    assert (body["persons"], body["faceCount"], body["facesSampled"]) == (6, 12, 12)
    assert body["maxFaces"] == 2000
    assert {row["personId"] for row in body["possibleMislabels"]} == {mixed["personId"]}
    assert len(body["possibleMislabels"]) == 2
    assert [set(pair["personIds"]) for pair in body["possibleDuplicates"]] == [
        {first["personId"], second["personId"]}
    ]
    rows = body["recommendations"]
    assert [row["fpir"] for row in rows] == [0.001, 0.01, 0.1]
    for row in rows:
        assert row["basis"] == "model"
        assert row["threshold"] == pytest.approx(CURVE.threshold_for(fpir=row["fpir"], persons=6))
        assert row["strangerScores"] == 12 * 5
        assert row["genuineScores"] == 12


async def test_calibration_of_an_empty_collection_recommends_the_curve(client: httpx.AsyncClient) -> None:
    body = await calibration(client)

    assert (body["persons"], body["facesSampled"]) == (0, 0)
    assert body["possibleMislabels"] == body["possibleDuplicates"] == []
    assert body["recommendations"][1]["threshold"] == pytest.approx(CURVE.threshold_for(fpir=0.01, persons=1))


async def test_calibration_of_an_unknown_collection_is_not_found(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/collections/nowhere/calibration"), 404, "collection_not_found")


def blank() -> bytes:
    return encoded(Image.new("RGB", (320, 240), (90, 120, 150)))


async def test_photos_are_clustered_by_person(client: httpx.AsyncClient, cast: list[Person]) -> None:
    photos = [
        cast[0].photo(),
        blank(),
        cast[1].photo(),
        cast[0].other_photo(),
        cast[1].other_photo(),
        cast[2].photo(),
    ]

    response = await client.post(
        "/api/faces/cluster", files=[("images", (f"{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos)]
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(cluster["members"] for cluster in body["clusters"]) == [[0, 3], [2, 4]]
    assert body["unclustered"] == [5]
    assert body["noFace"] == [1]


async def test_photos_to_cluster_may_come_as_json(client: httpx.AsyncClient, cast: list[Person]) -> None:
    photos = [cast[0].photo(), cast[1].photo(), cast[0].other_photo()]

    response = await client.post(
        "/api/faces/cluster", json={"images": [base64.b64encode(photo).decode() for photo in photos]}
    )

    assert response.status_code == 200, response.text
    assert [cluster["members"] for cluster in response.json()["clusters"]] == [[0, 2]]


async def test_too_many_photos_are_refused(client: httpx.AsyncClient, cast: list[Person]) -> None:
    photo = cast[0].photo()
    files = [("images", (f"{i}.jpg", photo[:64], "image/jpeg")) for i in range(101)]

    assert_error(await client.post("/api/faces/cluster", files=files), 422, "several_images")


async def test_single_face_persons_are_clustered_and_a_cluster_merged_into_a_person(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    singles = [
        await person_with(client, f"import {i}", photo)
        for i, photo in enumerate(
            [cast[0].photo(), cast[0].other_photo(), cast[1].photo(), cast[1].other_photo(), cast[2].photo()]
        )
    ]
    await person_with(client, "named", cast[3].photo(), cast[3].other_photo())

    response = await client.post("/api/collections/default/clusters")

    assert response.status_code == 200, response.text
    body = response.json()
    clusters = sorted(sorted(cluster["members"]) for cluster in body["clusters"])
    ids = [single["id"] for single in singles]
    assert clusters == sorted([sorted(ids[0:2]), sorted(ids[2:4])])
    assert body["unclustered"] == [ids[4]]
    assert body["truncated"] is False

    target = await client.post("/api/persons", json={"displayName": "Ada"})
    merged = await client.post(f"/api/persons/{target.json()['id']}/faces:merge", json={"faceIds": ids[0:2]})

    assert merged.status_code == 200, merged.text
    assert set(merged.json()["removedPersonIds"]) == {singles[0]["personId"], singles[1]["personId"]}
    person = (await client.get(f"/api/persons/{target.json()['id']}")).json()
    assert (person["displayName"], person["faceCount"]) == ("Ada", 2)
    assert_error(await client.get(f"/api/persons/{singles[0]['personId']}"), 404, "person_not_found")
    face = (await client.get(f"/api/face/{ids[0]}")).json()
    assert (face["personId"], face["displayName"]) == (target.json()["id"], "Ada")


async def test_the_faces_of_given_persons_are_clustered(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    first = await person_with(client, "first", cast[0].photo(), cast[0].other_photo())
    second = await person_with(client, "second", cast[0].photo())
    await person_with(client, "other", cast[1].photo())

    response = await client.post(
        "/api/collections/default/clusters", json={"personIds": [first["personId"], second["personId"]]}
    )

    assert response.status_code == 200, response.text
    [cluster] = response.json()["clusters"]
    assert len(cluster["members"]) == 3
    assert set(cluster["personIds"]) == {first["personId"], second["personId"]}


async def test_a_merge_with_an_unknown_face_moves_nothing(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    single = await person_with(client, "single", cast[0].photo())
    target = (await client.post("/api/persons", json={"displayName": "Ada"})).json()

    response = await client.post(
        f"/api/persons/{target['id']}/faces:merge",
        json={"faceIds": [single["id"], "00000000-0000-0000-0000-000000000000"]},
    )

    assert_error(response, 404, "face_not_found")
    assert (await client.get(f"/api/face/{single['id']}")).json()["personId"] == single["personId"]
