"""Rate limits: a token bucket per credential, or per client address when access control is off.

A bucket holds up to `burst` tokens and refills at `per_minute` / 60 tokens a second; each request takes
one. A request finding its bucket empty gets 429 `rate_limited` with a `Retry-After` saying when a token
will be there. The health probes are never limited.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from facerec.api.access import grant_of
from facerec.api.errors import refuse
from facerec.errors import RateLimited

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
# Buckets kept at most; the least recently used goes first. A bucket left alone refills to full, so
# forgetting it costs nothing but an address rotating through more than this many.
MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    def __init__(self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60
        self._burst = burst
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token from `key`'s bucket: 0 when there was one, else the seconds until there is."""
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self._rate


class RateLimit:
    """Pure ASGI middleware, inside access control (it reads which credential was accepted) and outside
    the body limit (a refused request's body is never read)."""

    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets, per_address: bool) -> None:
        self.app = app
        self.buckets = buckets
        self.per_address = per_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        wait_s = 0.0 if key is None else self.buckets.take(key)
        if wait_s > 0:
            limited = RateLimited("too many requests; slow down", retry_after_s=max(1, math.ceil(wait_s)))
            await refuse(limited, scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _key(self, scope: Scope) -> str | None:
        if scope["type"] not in ("http", "websocket"):
            return None
        path: str = scope["path"]
        if path.removeprefix(scope.get("root_path", "")) in PROBE_PATHS:
            return None
        if self.per_address:
            client = scope.get("client")
            return f"address:{client[0] if client else '-'}"
        return grant_of(scope).holder
