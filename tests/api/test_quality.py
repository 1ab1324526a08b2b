"""Face quality on real photos and worse copies: reported on encode and search, enforced on register."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.api.variants import blurred, half_hidden, rotated, shrunk
from tests.photos import Photos

SHARP = 2  # person 3: frontal, sharp, about 107 px
TURNED = 4  # person 5: looking away, about 58° of yaw


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


async def quality_of(client: httpx.AsyncClient, data: bytes) -> dict[str, Any]:
    response = await client.post("/api/face/encode", files=image_file(data))
    assert response.status_code == 200, response.text
    quality: dict[str, Any] = response.json()["face"]["quality"]
    return quality


async def test_a_good_face_has_no_reasons(client: httpx.AsyncClient, cast: list[Person]) -> None:
    quality = await quality_of(client, cast[SHARP].photo())

    assert quality["reasons"] == []
    assert set(quality) == {"detScore", "faceSize", "sharpness", "pose", "reasons"}
    assert quality["faceSize"] == pytest.approx(107, abs=5)
    assert 0.05 < quality["sharpness"] <= 1
    assert set(quality["pose"]) == {"yaw", "pitch", "roll"}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (blurred, "blurry"),
        (shrunk, "face_too_small"),
        (rotated, "extreme_pose"),
        (half_hidden, "low_confidence"),
    ],
)
async def test_each_worse_copy_gets_its_reason(
    client: httpx.AsyncClient, cast: list[Person], make: Callable[[Person], bytes], reason: str
) -> None:
    quality = await quality_of(client, make(cast[SHARP]))

    assert reason in quality["reasons"]


async def test_a_face_looking_away_has_an_extreme_pose(client: httpx.AsyncClient, cast: list[Person]) -> None:
    quality = await quality_of(client, cast[TURNED].photo())

    assert quality["reasons"] == ["extreme_pose"]
    assert abs(quality["pose"]["yaw"]) > 45


async def test_blur_lowers_sharpness(client: httpx.AsyncClient, cast: list[Person]) -> None:
    sharp = await quality_of(client, cast[SHARP].photo())
    soft = await quality_of(client, blurred(cast[SHARP]))

    assert soft["sharpness"] < sharp["sharpness"] / 5


async def test_search_reports_quality_without_refusing(client: httpx.AsyncClient, cast: list[Person]) -> None:
    response = await client.post("/api/face/search", files=image_file(blurred(cast[SHARP])))

    assert response.status_code == 200, response.text
    assert response.json()["face"]["quality"]["reasons"] == ["blurry"]


async def test_register_refuses_a_poor_face_with_its_reasons(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    response = await client.post(
        "/api/face/register", files=image_file(blurred(cast[SHARP])), data={"displayName": "soft"}
    )

    assert_error(response, 422, "poor_quality")
    assert "or set qualityCheck=false to register it anyway" in response.json()["error"]["message"]
    details = response.json()["error"]["details"]
    assert [detail["code"] for detail in details] == ["blurry"]
    assert details[0]["field"] == "image"
    assert "sharpness" in details[0]["message"]
    assert (await client.get("/api/faces")).json()["faces"] == []


async def test_register_lists_every_reason(client: httpx.AsyncClient, cast: list[Person]) -> None:
    turned_and_small = shrunk(cast[TURNED])
    response = await client.post(
        "/api/face/register", files=image_file(turned_and_small), data={"displayName": "small"}
    )

    assert_error(response, 422, "poor_quality")
    codes = {detail["code"] for detail in response.json()["error"]["details"]}
    assert {"face_too_small", "extreme_pose"} <= codes


async def test_quality_check_can_be_turned_off_per_request(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    response = await client.post(
        "/api/face/register",
        files=image_file(cast[TURNED].photo()),
        data={"displayName": "person 5", "qualityCheck": "false"},
    )

    assert response.status_code == 201, response.text


async def test_a_good_face_is_registered(client: httpx.AsyncClient, cast: list[Person]) -> None:
    response = await client.post(
        "/api/face/register", files=image_file(cast[SHARP].photo()), data={"displayName": "person 3"}
    )

    assert response.status_code == 201, response.text
