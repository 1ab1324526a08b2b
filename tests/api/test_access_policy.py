"""The access policy on its own, without a server: every refused and accepted credential of the API tests,
the reason given for each refusal, and the claim rules (role, lifetime)."""

import time

import jwt
import pytest
from starlette.datastructures import Headers

from facerec.api.access import EVERYTHING, AccessPolicy
from facerec.errors import Unauthorized
from facerec.settings import Settings
from tests.api.credentials import (
    API_KEY,
    DAY_S,
    JWT_SECRET,
    OTHER_API_KEY,
    PROJECT_ISSUER,
    SAME_LENGTH_API_KEY,
    accepted_credentials,
    bearer,
    refused_credentials,
    supabase_claims,
    supabase_token,
    tampered_token,
    unsigned_token,
)


def jwt_encode(claims: dict[str, object]) -> str:
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def policy_of(**settings: object) -> AccessPolicy:
    chosen = {"api_keys": API_KEY, "jwt_secret_key": JWT_SECRET, **settings}
    return AccessPolicy.of(Settings(_env_file=None, **chosen))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(refused_credentials()))
def test_every_refused_credential_is_refused(kind: str) -> None:
    with pytest.raises(Unauthorized) as refusal:
        policy_of().check(Headers(refused_credentials()[kind]))
    assert refusal.value.schemes == ("ApiKey", "Bearer")


@pytest.mark.parametrize("kind", list(accepted_credentials()))
def test_every_accepted_credential_reaches_everything(kind: str) -> None:
    assert policy_of().check(Headers(accepted_credentials()[kind])) == EVERYTHING


def reason(headers: dict[str, str]) -> str:
    with pytest.raises(Unauthorized) as refusal:
        policy_of().check(Headers(headers))
    return refusal.value.message


def test_each_refusal_says_why() -> None:
    now = int(time.time())
    assert reason({}) == "credentials are required: an X-API-Key header or a bearer token"
    assert reason({"X-API-Key": OTHER_API_KEY}) == "the API key is not valid"
    assert reason({"X-API-Key": SAME_LENGTH_API_KEY}) == "the API key is not valid"
    assert reason(bearer(supabase_token(exp=now - 3600, iat=now - 7200))) == "the bearer token has expired"
    assert reason(bearer(supabase_token(nbf=now + 3600))) == "the bearer token is not valid yet"
    assert reason(bearer(supabase_token(aud="other"))) == "the bearer token's audience is not accepted"
    assert reason(bearer(supabase_token(exp=None))).startswith("the bearer token lacks a required claim")
    assert reason(bearer(unsigned_token())) == "the bearer token's algorithm is not accepted (HS256 only)"
    assert reason(bearer(supabase_token(algorithm="HS512"))) == (
        "the bearer token's algorithm is not accepted (HS256 only)"
    )
    assert reason(bearer(tampered_token())) == "the bearer token's signature does not match"
    assert reason(bearer("not.a.token")) == "the bearer token is malformed"
    assert reason(bearer(supabase_token(role="anon"))) == "the bearer token's role is not accepted"
    assert reason({"Authorization": "Basic abc"}) == "the Authorization header must be 'Bearer <token>'"
    assert reason({"Authorization": "Bearer "}) == "the Authorization header must be 'Bearer <token>'"
    assert reason({"X-API-Key": OTHER_API_KEY, **bearer(unsigned_token())}) == (
        "the API key is not valid; the bearer token's algorithm is not accepted (HS256 only)"
    )


def test_anon_tokens_are_refused_and_other_roles_can_be_accepted() -> None:
    anon = Headers(bearer(supabase_token(role="anon")))
    service = Headers(bearer(supabase_token(role="service_role")))
    with pytest.raises(Unauthorized, match="role is not accepted"):
        policy_of().check(anon)

    servers = policy_of(jwt_required_role="authenticated, service_role")
    servers.check(service)
    with pytest.raises(Unauthorized, match="role is not accepted"):
        servers.check(anon)
    policy_of(jwt_required_role="").check(anon)  # empty: any role, or none
    policy_of(jwt_required_role="").check(Headers(bearer(supabase_token(role=None))))


@pytest.mark.parametrize(("lifetime_s", "accepted"), [(3600, True), (3601, False)])
def test_the_longest_token_lifetime_is_a_setting(lifetime_s: int, accepted: bool) -> None:
    now = int(time.time())
    headers = Headers(bearer(supabase_token(iat=now, exp=now + lifetime_s)))
    policy = policy_of(jwt_max_lifetime_s=3600)
    if accepted:
        policy.check(headers)
    else:
        with pytest.raises(Unauthorized, match="lives longer than the 3600 s allowed"):
            policy.check(headers)


def test_a_zero_lifetime_limit_accepts_long_tokens_and_tokens_without_iat() -> None:
    now = int(time.time())
    policy = policy_of(jwt_max_lifetime_s=0)
    policy.check(Headers(bearer(supabase_token(iat=now, exp=now + 365 * DAY_S))))
    policy.check(Headers(bearer(supabase_token(iat=None))))
    with pytest.raises(Unauthorized, match="lacks a required claim"):
        policy_of().check(Headers(bearer(supabase_token(iat=None))))


def test_the_schemes_follow_the_settings() -> None:
    assert policy_of().schemes == ("ApiKey", "Bearer")
    assert AccessPolicy.of(Settings(_env_file=None, api_keys=API_KEY)).schemes == ("ApiKey",)
    only_tokens = AccessPolicy.of(Settings(_env_file=None, jwt_secret_key=JWT_SECRET))
    assert only_tokens.schemes == ("Bearer",)
    with pytest.raises(Unauthorized, match=r"^the API key is not valid$"):
        only_tokens.check(Headers({"X-API-Key": API_KEY}))


def test_without_a_secret_bearer_tokens_are_refused() -> None:
    keys_only = AccessPolicy.of(Settings(_env_file=None, api_keys=API_KEY))
    with pytest.raises(Unauthorized, match=r"^bearer tokens are not accepted by this server$"):
        keys_only.check(Headers(bearer(supabase_token())))


def test_the_issuer_is_checked_when_set() -> None:
    other = policy_of(jwt_issuer="https://other.supabase.co/auth/v1")
    with pytest.raises(Unauthorized, match=r"^the bearer token's issuer is not accepted$"):
        other.check(Headers(bearer(supabase_token())))
    policy_of(jwt_issuer=PROJECT_ISSUER).check(Headers(bearer(supabase_token())))


def test_a_scoped_key_and_a_token_claim_reach_their_collections_only() -> None:
    policy = policy_of(api_keys=f"{API_KEY}:staff,visitors")
    assert policy.check(Headers({"X-API-Key": API_KEY})).collections == frozenset({"staff", "visitors"})
    claimed = policy.check(Headers(bearer(supabase_token(collections=["staff"]))))
    assert claimed.collections == frozenset({"staff"})
    assert policy.check(Headers(bearer(supabase_token()))) == EVERYTHING
    renamed = policy_of(jwt_collections_claim="app_collections")
    assert renamed.check(Headers(bearer(supabase_token(app_collections=["a"])))).collections == frozenset(
        {"a"}
    )


@pytest.mark.parametrize("claim", ["staff", [1], {"a": 1}, None])
def test_a_collections_claim_that_is_not_a_list_of_names_is_refused(claim: object) -> None:
    token = jwt_encode({**supabase_claims(), "collections": claim})
    with pytest.raises(Unauthorized, match="collections claim must be an array of collection names"):
        policy_of().check(Headers(bearer(token)))
