"""Credentials for the secured service, and tokens shaped like the access tokens Supabase Auth issues."""

import base64
import json
import time
import uuid
import warnings
from typing import Any

import jwt

API_KEY = "fr_test_8c1d0f5e2b7a4c9e9d3f6a1b"
OTHER_API_KEY = "fr_test_0000000000000000000000"
SAME_LENGTH_API_KEY = API_KEY[:-1] + "c"  # one character off: a check on length alone lets it in
DAY_S = 24 * 3600
JWT_SECRET = "a-supabase-project-jwt-secret-of-40-chars"
OTHER_JWT_SECRET = "the-jwt-secret-of-some-other-project"
ALLOWED_ORIGIN = "https://app.example.com"
PROJECT_ISSUER = "https://abcdefghijklmnopqrst.supabase.co/auth/v1"


def supabase_claims(**overrides: Any) -> dict[str, Any]:
    """The claims of a signed-in user's Supabase access token."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": PROJECT_ISSUER,
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "exp": now + 3600,
        "iat": now,
        "email": "ada@example.com",
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def supabase_token(secret: str = JWT_SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    with warnings.catch_warnings():
        # the project's secret, used with HS512 to forge a token, is shorter than HS512 wants
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(supabase_claims(**overrides), secret, algorithm=algorithm, headers={"typ": "JWT"})


def unsigned_token() -> str:
    """`alg: none`: the classic forgery."""
    header = _segment({"alg": "none", "typ": "JWT"})
    return f"{header}.{_segment(supabase_claims())}."


def tampered_token() -> str:
    """A valid token whose payload was edited afterwards (the signature kept)."""
    header, _, signature = supabase_token().split(".")
    return f"{header}.{_segment(supabase_claims(role='service_role'))}.{signature}"


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused_credentials() -> dict[str, dict[str, str]]:
    now = int(time.time())
    return {
        "none": {},
        "wrong key": {"X-API-Key": OTHER_API_KEY},
        "wrong key of the right length": {"X-API-Key": SAME_LENGTH_API_KEY},
        "the right key less its last character": {"X-API-Key": API_KEY[:-1]},
        "the right key and more": {"X-API-Key": API_KEY + "x"},
        "empty key": {"X-API-Key": ""},
        "expired JWT": bearer(supabase_token(exp=now - 3600, iat=now - 7200)),
        "tampered JWT": bearer(tampered_token()),
        "alg none": bearer(unsigned_token()),
        "HS512 JWT": bearer(supabase_token(algorithm="HS512")),
        "JWT signed with another secret": bearer(supabase_token(secret=OTHER_JWT_SECRET)),
        "JWT without exp": bearer(supabase_token(exp=None)),
        "JWT for another audience": bearer(supabase_token(aud="other")),
        "anon key (no aud, role anon)": bearer(supabase_token(aud=None, role="anon", sub=None)),
        "JWT not valid yet": bearer(supabase_token(nbf=now + 3600)),
        "anon JWT with the users' audience": bearer(supabase_token(role="anon")),
        "service_role JWT": bearer(supabase_token(role="service_role")),
        "JWT without a role": bearer(supabase_token(role=None)),
        "JWT living a second over 24 h": bearer(supabase_token(iat=now, exp=now + DAY_S + 1)),
        "JWT without iat": bearer(supabase_token(iat=None)),
        "JWT in the API key header": {"X-API-Key": supabase_token()},
        "API key as bearer": bearer(API_KEY),
        "basic auth": {"Authorization": "Basic " + base64.b64encode(b"user:" + API_KEY.encode()).decode()},
    }


def accepted_credentials() -> dict[str, dict[str, str]]:
    now = int(time.time())
    return {
        "right key": {"X-API-Key": API_KEY},
        "valid JWT": bearer(supabase_token()),
        "JWT with a little clock skew": bearer(supabase_token(iat=now + 10, nbf=now + 10)),
        "JWT living exactly 24 h": bearer(supabase_token(iat=now, exp=now + DAY_S)),
        "right key beside a bad token": {"X-API-Key": API_KEY, **bearer(unsigned_token())},
    }
