"""threshold=auto: the search threshold follows the number of persons searched (docs/ACCURACY.md)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from facerec.models.far_curve import FAR_CURVES
from facerec.settings import Settings
from tests.api.faces import Person, people
from tests.api.helpers import assert_error, image_file
from tests.asgi import running_client
from tests.photos import Photos

CURVE = FAR_CURVES["buffalo_s"]


@pytest.fixture(scope="module")
def cast(photos: Photos) -> list[Person]:
    return people(photos)


async def enrol_all(client: httpx.AsyncClient, cast: list[Person]) -> None:
    for person in cast:
        response = await client.post(
            "/api/face/register",
            files=image_file(person.photo()),
            data={"displayName": person.name, "qualityCheck": "false"},
        )
        assert response.status_code == 201, response.text


async def search(client: httpx.AsyncClient, route: str, photo: bytes, **fields: str) -> dict[str, Any]:
    response = await client.post(route, files=image_file(photo), data=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("route", ["/api/face/search", "/api/persons/search"])
async def test_search_defaults_to_auto_for_the_persons_of_the_collection(
    client: httpx.AsyncClient, cast: list[Person], route: str
) -> None:
    await enrol_all(client, cast)

    body = await search(client, route, cast[0].other_photo())

    assert body["thresholdName"] == "auto"
    assert body["persons"] == len(cast)
    assert body["fpir"] == pytest.approx(0.01)
    assert body["threshold"] == pytest.approx(CURVE.threshold_for(fpir=0.01, persons=len(cast)))
    assert body["verdict"] == "match"


async def test_a_lower_fpir_asks_for_a_higher_threshold(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    await enrol_all(client, cast)

    loose = await search(client, "/api/face/search", cast[0].other_photo(), threshold="auto", fpir="0.1")
    strict = await search(client, "/api/face/search", cast[0].other_photo(), threshold="auto", fpir="0.0001")

    assert loose["threshold"] == pytest.approx(CURVE.threshold_for(fpir=0.1, persons=len(cast)))
    assert strict["threshold"] == pytest.approx(CURVE.threshold_for(fpir=0.0001, persons=len(cast)))
    assert loose["threshold"] < strict["threshold"]
    assert (loose["fpir"], strict["fpir"]) == (pytest.approx(0.1), pytest.approx(0.0001))


async def test_the_threshold_rises_with_the_persons_searched(
    client: httpx.AsyncClient, cast: list[Person]
) -> None:
    await enrol_all(client, cast[:1])
    small = await search(client, "/api/face/search", cast[0].other_photo())
    await enrol_all(client, cast[1:])
    large = await search(client, "/api/face/search", cast[0].other_photo())

    assert (small["persons"], large["persons"]) == (1, len(cast))
    assert small["threshold"] < large["threshold"]


async def test_a_named_threshold_answers_no_fpir(client: httpx.AsyncClient, cast: list[Person]) -> None:
    await enrol_all(client, cast[:1])

    body = await search(client, "/api/face/search", cast[0].other_photo(), threshold="default")

    assert body["thresholdName"] == "default"
    assert body["threshold"] == pytest.approx(0.40)
    assert body["fpir"] is None
    assert body["persons"] is None


@pytest.mark.parametrize("fpir", ["0", "5e-324", "1", "-0.5", "often"])
async def test_a_bad_fpir_is_refused(client: httpx.AsyncClient, cast: list[Person], fpir: str) -> None:
    response = await client.post(
        "/api/face/search", files=image_file(cast[0].photo()), data={"threshold": "auto", "fpir": fpir}
    )

    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "body.fpir"


async def test_verify_keeps_its_one_to_one_default(client: httpx.AsyncClient, cast: list[Person]) -> None:
    response = await client.post(
        "/api/face/verify",
        files={
            "image1": ("a.jpg", cast[0].photo(), "image/jpeg"),
            "image2": ("b.jpg", cast[0].other_photo(), "image/jpeg"),
        },
    )

    assert response.status_code == 200, response.text
    assert response.json()["thresholdName"] == "default"


@pytest.fixture(scope="module")
async def fixed_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service configured to search at the pack's default point unless asked otherwise."""
    fixed = Settings(_env_file=None, **{**settings.model_dump(), "search_auto_threshold": False})
    async with running_client(fixed) as http:
        yield http


async def test_the_auto_default_can_be_turned_off(
    fixed_client: httpx.AsyncClient, cast: list[Person]
) -> None:
    await enrol_all(fixed_client, cast[:1])

    default = await search(fixed_client, "/api/face/search", cast[0].other_photo())
    auto = await search(fixed_client, "/api/face/search", cast[0].other_photo(), threshold="auto")

    assert (default["thresholdName"], default["threshold"]) == ("default", pytest.approx(0.40))
    assert (auto["thresholdName"], auto["persons"]) == ("auto", 1)
