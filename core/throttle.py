"""Login throttling in Redis: failures counted per user name and per client address.

Counted for names that do not exist too, so a refusal never tells whether an account is
there. The window starts at the first failure; a success clears the user-name counter.
"""

import redis

from core.errors import TooManyRequests

_PREFIX = "gridgov:login-failures"


class LoginThrottle:
    def __init__(self, client: redis.Redis, *, max_failures: int, window_seconds: int) -> None:
        self._redis = client
        self._max = max_failures
        self._window = window_seconds

    def check(self, *, username: str, address: str) -> None:
        """Refuse (429) while either counter is over its limit."""
        user_key, address_key = self._keys(username, address)
        user_failures, address_failures = self._redis.mget(user_key, address_key)
        if int(user_failures or 0) >= self._max or int(address_failures or 0) >= 3 * self._max:
            retry = max(self._redis.ttl(user_key), self._redis.ttl(address_key), 1)
            raise TooManyRequests("too many failed logins; try again later", retry_after=retry)

    def failed(self, *, username: str, address: str) -> None:
        pipe = self._redis.pipeline()
        for key in self._keys(username, address):
            pipe.incr(key)
            pipe.expire(key, self._window, nx=True)
        pipe.execute()

    def succeeded(self, *, username: str) -> None:
        self._redis.delete(self._keys(username, "")[0])

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return f"{_PREFIX}:user:{username.strip().lower()}", f"{_PREFIX}:addr:{address}"
