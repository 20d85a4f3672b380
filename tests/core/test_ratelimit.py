"""core/ratelimit.py: per-user limits on writes and expensive reads, on the real Redis,
with the window's clock given (no test waits for a minute to pass)."""

import secrets

import pytest
import redis

from core.ratelimit import WINDOW_SECONDS, Limits, RateLimited, RateLimiter, bucket_of
from core.settings import Settings

LIMITS = Limits(reports=3, writes=5, exports=1, kpis=0)


@pytest.fixture
def store():
    client = redis.Redis.from_url(Settings().redis_url)
    yield client
    client.close()


@pytest.fixture
def user_id(store):
    """A user id no other run uses (the Redis is shared); its counters deleted after."""
    user = 10**12 + secrets.randbelow(10**9)
    yield user
    keys = list(store.scan_iter(match=f"gridgov:rate:*:{user}:*"))
    if keys:
        store.delete(*keys)


@pytest.mark.parametrize(("method", "path", "bucket"), [
    ("POST", "/api/v1/incidents", "reports"),
    ("POST", "/api/v1/incidents/7/actions/file", "writes"),
    ("PATCH", "/api/v1/users/3", "writes"),
    ("GET", "/api/v1/layers/incidents/export", "exports"),
    ("GET", "/api/v1/kpis/series", "kpis"),
    ("GET", "/api/v1/areas/locate", None),  # the hot reads: not counted, no Redis call
    ("GET", "/tiles/incidents/12/3000/1500.mvt", None),
    ("HEAD", "/api/v1/kpis", "kpis"),
])
def test_the_bucket_of_a_request(method, path, bucket):
    assert bucket_of(method, path) == bucket


def test_past_the_limit_429_with_the_seconds_left_in_the_window(store, user_id):
    limiter = RateLimiter(store, LIMITS)
    start = 1_000_000 * WINDOW_SECONDS + 15.2  # 15.2 s into a window
    for _ in range(3):
        limiter.hit(bucket="reports", user_id=user_id, now=start)
    with pytest.raises(RateLimited) as refused:
        limiter.hit(bucket="reports", user_id=user_id, now=start + 1)
    assert refused.value.retry_after == 44  # ceil(60 - 16.2)
    assert refused.value.code == "rate_limited"
    assert refused.value.extra == {"limit": 3, "bucket": "reports"}
    # Buckets count apart; the next window starts afresh.
    limiter.hit(bucket="writes", user_id=user_id, now=start + 1)
    limiter.hit(bucket="reports", user_id=user_id, now=start + WINDOW_SECONDS)


def test_users_count_apart(store, user_id):
    limiter = RateLimiter(store, LIMITS)
    now = 2_000_000 * WINDOW_SECONDS
    limiter.hit(bucket="exports", user_id=user_id, now=now)
    with pytest.raises(RateLimited):
        limiter.hit(bucket="exports", user_id=user_id, now=now)
    other = user_id + 1
    try:
        limiter.hit(bucket="exports", user_id=other, now=now)
    finally:
        store.delete(*store.scan_iter(match=f"gridgov:rate:*:{other}:*"))


def test_a_zero_limit_counts_nothing(store, user_id):
    limiter = RateLimiter(store, LIMITS)
    for _ in range(10):
        limiter.hit(bucket="kpis", user_id=user_id)
    assert list(store.scan_iter(match=f"gridgov:rate:kpis:{user_id}:*")) == []


def test_with_redis_unreachable_requests_pass(caplog):
    limiter = RateLimiter(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1),
                          LIMITS)
    with caplog.at_level("WARNING", logger="core.ratelimit"):
        for _ in range(10):
            limiter.hit(bucket="exports", user_id=1)
    assert caplog.text.count("rate limits: Redis unreachable") == 1  # once, then paused
