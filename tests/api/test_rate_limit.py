"""Rate limits: a token bucket per credential, or per client address with access control off."""

import time

import httpx

from facerec.api.ratelimit import TokenBuckets
from facerec.settings import Settings
from tests.api.credentials import API_KEY, JWT_SECRET, OTHER_API_KEY, bearer, supabase_token
from tests.api.helpers import assert_error
from tests.asgi import client_of, running_app

BURST = 2


def _limited(settings: Settings, **changes: object) -> Settings:
    # one request a minute refills nothing while a test runs: only the burst is there to spend
    return settings.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": BURST, **changes})


async def _spend_burst(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> httpx.Response:
    """Make BURST requests (each must pass) and return the answer to one more."""
    for _ in range(BURST):
        assert (await client.get("/api/faces", headers=headers)).status_code == 200
    return await client.get("/api/faces", headers=headers)


def _assert_limited(response: httpx.Response) -> None:
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60


async def test_without_access_control_each_client_address_has_its_bucket(settings: Settings) -> None:
    async with (
        running_app(_limited(settings)) as app,
        client_of(app) as first,
        client_of(app, "10.1.2.3") as second,
    ):
        _assert_limited(await _spend_burst(first))
        assert (await first.get("/healthz")).status_code == 200, "probes are never limited"
        assert (await first.get("/readyz")).status_code == 200
        assert (await second.get("/api/faces")).status_code == 200


async def test_with_access_control_each_credential_has_its_bucket(settings: Settings) -> None:
    secured = Settings(
        _env_file=None,
        **{
            **_limited(settings).model_dump(),
            "api_keys": f"{API_KEY},{OTHER_API_KEY}",
            "jwt_secret_key": JWT_SECRET,
        },
    )
    async with (
        running_app(secured) as app,
        client_of(app) as client,
        client_of(app, "10.1.2.3") as elsewhere,
    ):
        _assert_limited(await _spend_burst(client, {"X-API-Key": API_KEY}))
        _assert_limited(await elsewhere.get("/api/faces", headers={"X-API-Key": API_KEY}))
        assert (await client.get("/api/faces", headers={"X-API-Key": OTHER_API_KEY})).status_code == 200

        _assert_limited(await _spend_burst(client, bearer(supabase_token(sub="user-1"))))
        refreshed = bearer(supabase_token(sub="user-1", iat=int(time.time()) + 5))
        _assert_limited(await client.get("/api/faces", headers=refreshed))
        # whatever else a request carries, the bucket is the accepted credential's
        beside_junk = {"X-API-Key": "not-a-key-" + "x" * 20, **refreshed}
        _assert_limited(await client.get("/api/faces", headers=beside_junk))
        other_user = bearer(supabase_token(sub="user-2"))
        assert (await client.get("/api/faces", headers=other_user)).status_code == 200


def test_a_bucket_refills_at_the_rate_and_says_when_to_retry() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=30, burst=2, clock=lambda: now[0])  # one token every 2 s

    assert buckets.take("a") == 0
    assert buckets.take("a") == 0
    assert buckets.take("a") == 2.0
    assert buckets.take("b") == 0, "another key has its own bucket"
    now[0] = 1.0
    assert buckets.take("a") == 1.0
    now[0] = 2.0
    assert buckets.take("a") == 0
    now[0] = 1000.0
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 2.0], "a bucket holds at most the burst"
