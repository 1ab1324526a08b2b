"""CORS on the real service: closed by default; with CORS_ORIGINS, those origins and no others."""

import httpx

from tests.api.credentials import ALLOWED_ORIGIN, API_KEY


def preflight(origin: str, method: str = "POST", headers: str = "x-api-key,content-type") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def test_a_preflight_from_a_listed_origin_is_allowed_without_credentials(
    secured_client: httpx.AsyncClient,
) -> None:
    response = await secured_client.options("/api/face/encode", headers=preflight(ALLOWED_ORIGIN))

    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "x-api-key", "content-type"} <= set(allowed_headers.split(", "))
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_a_preflight_from_another_origin_is_denied(secured_client: httpx.AsyncClient) -> None:
    response = await secured_client.options("/api/face/encode", headers=preflight("https://evil.example"))

    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_preflight_asking_for_other_headers_is_denied(secured_client: httpx.AsyncClient) -> None:
    response = await secured_client.options(
        "/api/faces", headers=preflight(ALLOWED_ORIGIN, method="GET", headers="x-forwarded-user")
    )
    assert response.status_code == 400


async def test_responses_to_a_listed_origin_are_readable_even_when_refused(
    secured_client: httpx.AsyncClient,
) -> None:
    granted = await secured_client.get("/api/faces", headers={"Origin": ALLOWED_ORIGIN, "X-API-Key": API_KEY})
    refused = await secured_client.get("/api/faces", headers={"Origin": ALLOWED_ORIGIN})
    foreign = await secured_client.get("/api/faces", headers={"Origin": "https://evil.example"})

    assert granted.status_code == 200
    assert granted.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert granted.headers["Access-Control-Expose-Headers"] == "X-Request-ID"
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Origin" not in foreign.headers


async def test_cors_is_closed_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/face/encode", headers=preflight(ALLOWED_ORIGIN))
    simple = await client.get("/api/faces", headers={"Origin": ALLOWED_ORIGIN})

    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Origin" not in simple.headers
