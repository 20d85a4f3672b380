"""The broker's Redis for the kernel's own short calls after a commit (an account change's
broadcast, the outbox's queued-kick mark): one client a process and URL, short timeouts,
so that a dead broker never holds up the thread that asks (redis-py reconnects after a
fork)."""

import redis

_CLIENTS: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis:
    from core.settings import get_settings

    url = get_settings().redis_url
    if url not in _CLIENTS:
        _CLIENTS[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return _CLIENTS[url]
