"""GET /metrics on the real service: what an encode, a refusal and stored faces do to the numbers, and who
may read them."""

import httpx
from prometheus_client.parser import text_string_to_metric_families

from facerec.settings import Settings
from tests.api.credentials import API_KEY
from tests.api.faces import people
from tests.api.helpers import image_file
from tests.asgi import running_client
from tests.photos import Photos


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_an_encode_is_counted_timed_and_queued(client: httpx.AsyncClient, photos: Photos) -> None:
    before = await scrape(client)
    response = await client.post("/api/face/encode", files=image_file(photos.bytes_of(photos.group)))
    assert response.status_code == 200
    after = await scrape(client)

    encode = {"method": "POST", "route": "/api/face/encode"}
    for name, labels in [
        ("facerec_http_requests_total", {**encode, "status": "200"}),
        ("facerec_http_request_duration_seconds_count", encode),
        ("facerec_inference_queue_wait_seconds_count", {}),
        ("facerec_inference_stage_seconds_count", {"stage": "recognizer"}),
    ]:
        assert value(after, name, **labels) - value(before, name, **labels) == 1, name
    # the main pass and the coarse pass for faces that fill the frame
    detector = "facerec_inference_stage_seconds_count"
    assert value(after, detector, stage="detector") - value(before, detector, stage="detector") == 2
    assert value(after, "facerec_inference_queue_depth") == 0


async def test_errors_are_counted_by_code_and_unknown_paths_share_one_label(
    client: httpx.AsyncClient,
) -> None:
    before = await scrape(client)
    await client.post("/api/face/encode", files=image_file(b"not an image"))
    await client.get("/no/such/path/8d2f")
    after = await scrape(client)

    errors = "facerec_errors_total"
    assert value(after, errors, code="invalid_image") - value(before, errors, code="invalid_image") == 1
    assert value(after, errors, code="not_found") - value(before, errors, code="not_found") == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    requests = "facerec_http_requests_total"
    assert value(after, requests, **unmatched) - value(before, requests, **unmatched) == 1
    assert not any("8d2f" in str(labels) for _, labels in after)


async def test_stored_faces_persons_and_pool_are_read_at_scrape(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    for person in people(photos)[:2]:
        registered = await client.post(
            "/api/face/register", files=image_file(person.photo()), data={"displayName": person.name}
        )
        assert registered.status_code == 201, registered.text
    samples = await scrape(client)
    assert value(samples, "facerec_faces_stored") == 2
    assert value(samples, "facerec_persons_stored") == 2
    assert value(samples, "facerec_db_pool_connections_in_use") >= 1  # the scrape's own connection


async def test_metrics_need_a_credential_when_access_control_is_on(secured_client: httpx.AsyncClient) -> None:
    assert (await secured_client.get("/metrics")).status_code == 401
    assert (await secured_client.get("/metrics", headers={"X-API-Key": API_KEY})).status_code == 200


async def test_metrics_public_opens_them_alone(secured_settings: Settings) -> None:
    settings = Settings(_env_file=None, **{**secured_settings.model_dump(), "metrics_public": True})
    async with running_client(settings) as http:
        assert (await http.get("/metrics")).status_code == 200
        assert (await http.get("/api/faces")).status_code == 401
