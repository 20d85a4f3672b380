"""A Redis database of the test run's own, so the suite neither reads nor leaves anything in
the development database (login-throttle and rate-limit counters, Celery queues) and two
runs at once (developers, CI) never flush each other.

The run claims a free database number (15, 14, ... 1) with a key in the configured
database (`gridgov:test-redis-db:N` = host:pid, expiring after a few hours), empties it,
exports REDIS_URL before any app, Celery app or worker reads its settings, and empties
and gives it up at the end. A claim whose process is gone (a run killed on this host) is
taken over. TEST_REDIS_URL names the database outright (no claim; it is emptied too).
"""

import os
import socket
import warnings
from urllib.parse import urlsplit, urlunsplit

import redis

CLAIM = "gridgov:test-redis-db:{}"
CLAIM_SECONDS = 6 * 3600
CANDIDATES = range(15, 0, -1)


class RunRedis:
    """The claimed database: `url` to export, `release()` at the end of the run."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.me = f"{socket.gethostname()}:{os.getpid()}"
        self.number: int | None = None
        self.url = os.environ.get("TEST_REDIS_URL") or self._claim()
        self._flush()

    def release(self) -> None:
        self._flush()
        if self.number is None:
            return
        client = redis.Redis.from_url(self.base_url, socket_connect_timeout=2)
        try:
            key = CLAIM.format(self.number)
            if client.get(key) == self.me.encode():
                client.delete(key)
        except redis.RedisError:
            pass  # the claim expires by itself
        finally:
            client.close()

    def _claim(self) -> str:
        base = _database_of(self.base_url)
        client = redis.Redis.from_url(self.base_url, socket_connect_timeout=2)
        try:
            for number in CANDIDATES:
                if number != base and self._take(client, CLAIM.format(number)):
                    self.number = number
                    return _with_database(self.base_url, number)
        except redis.RedisError as exc:
            # No Redis: the tests that need it fail on their own; say why here.
            warnings.warn(f"no test Redis database claimed ({exc})", stacklevel=1)
            return _with_database(self.base_url, CANDIDATES[0])
        finally:
            client.close()
        raise RuntimeError("every Redis test database (1-15) is claimed by a live run; "
                           "set TEST_REDIS_URL")

    def _take(self, client: redis.Redis, key: str) -> bool:
        if client.set(key, self.me, nx=True, ex=CLAIM_SECONDS):
            return True
        with client.pipeline() as pipe:
            try:
                pipe.watch(key)
                holder = pipe.get(key)
                if holder is not None and not _gone(holder.decode()):
                    return False
                pipe.multi()
                pipe.set(key, self.me, ex=CLAIM_SECONDS)
                pipe.execute()  # WatchError: another run took it first
                return True
            except redis.WatchError:
                return False

    def _flush(self) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2)
        try:
            client.flushdb()
        except redis.RedisError:
            pass
        finally:
            client.close()


def _gone(holder: str) -> bool:
    """Whether the run holding a claim has ended (known only for runs on this host)."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _database_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def _with_database(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))
