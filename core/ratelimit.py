"""Per-user rate limits on writes and expensive reads, counted in Redis.

A request belongs to at most one bucket (the most specific): reports, exports, KPIs, or
any other write. Each bucket allows so many requests per user and minute (settings
`rate_limit_*_per_minute`; 0: no limit); past it the answer is 429 with Retry-After, the
seconds until the minute's window ends. Reads outside the buckets (locate, tiles, lists)
cost nothing here: no Redis call.

Redis down: the limits fail open (the request passes, a warning is logged once per pause),
because refusing every write during a broker outage would be worse than an unlimited minute.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis

from core.errors import TooManyRequests

log = logging.getLogger(__name__)
T = TypeVar("T")
_PREFIX = "gridgov:rate"
WINDOW_SECONDS = 60
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class FailOpen:
    """Runs Redis calls whose failure must not fail the request: the first error is logged
    and Redis is skipped for `pause` seconds (no connect timeout paid on every request),
    then tried again."""

    def __init__(self, what: str, *, pause: float = 5.0) -> None:
        self._what = what
        self._pause = pause
        self._down_until = 0.0

    def call(self, action: Callable[[], T], *, default: T) -> T:
        if time.monotonic() < self._down_until:
            return default
        try:
            return action()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + self._pause
            log.warning("%s: Redis unreachable (%s); failing open for %.0f s",
                        self._what, exc, self._pause)
            return default


class RateLimited(TooManyRequests):
    code = "rate_limited"


@dataclass(frozen=True)
class Limits:
    reports: int
    writes: int
    exports: int
    kpis: int

    @classmethod
    def of(cls, settings) -> "Limits":
        return cls(reports=settings.rate_limit_reports_per_minute,
                   writes=settings.rate_limit_writes_per_minute,
                   exports=settings.rate_limit_exports_per_minute,
                   kpis=settings.rate_limit_kpis_per_minute)


def bucket_of(method: str, path: str) -> str | None:
    """The bucket a request counts in, from its method and URL path; None: not limited."""
    if method in SAFE_METHODS:
        if path.startswith("/api/v1/kpis"):
            return "kpis"
        if path.startswith("/api/v1/layers/") and path.endswith("/export"):
            return "exports"
        return None
    if method == "POST" and path.rstrip("/") == "/api/v1/incidents":
        return "reports"
    return "writes"


class RateLimiter:
    """Fixed one-minute windows per (bucket, user): one INCR (and EXPIRE) per counted
    request, in one round trip."""

    def __init__(self, client: redis.Redis, limits: Limits) -> None:
        self._redis = client
        self._limits = limits
        self._guard = FailOpen("rate limits")

    def limit_of(self, bucket: str | None) -> int:
        return getattr(self._limits, bucket) if bucket else 0

    def hit(self, *, bucket: str, user_id: int, now: float | None = None) -> None:
        """Count one request; 429 (RateLimited) past the bucket's limit."""
        limit = self.limit_of(bucket)
        if limit <= 0:
            return
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        key = f"{_PREFIX}:{bucket}:{user_id}:{window}"
        count = self._guard.call(lambda: self._count(key), default=0)
        if count > limit:
            retry = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
            raise RateLimited(
                f"more than {limit} {bucket} requests a minute; try again in {retry} s",
                retry_after=retry, limit=limit, bucket=bucket)

    def _count(self, key: str) -> int:
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 5)
        return int(pipe.execute()[0])
