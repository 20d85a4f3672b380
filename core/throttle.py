"""Login throttling in Redis that slows guessing down without letting anyone lock the owner
out.

- Per user name and client address (the pair): `free` failures, then each failure makes
  the pair wait twice as long as the last (1 s, 2 s, 4 s, ... at most `max_delay`). An
  attacker elsewhere waits; the owner at his own address does not.
- Per user name from all addresses, and per address for all names: past their (higher)
  limits, pairs that never logged in refuse further tries until the counters rest for the
  window, while pairs that logged in before (within `known_days`) go on: a distributed
  attack on a name, or a spray from one office's address, does not shut out the people who
  work there.
- Counters are forgotten after `window` seconds without failures; an admin unlocks a name
  at once (`unlock`).

Counted for names that do not exist too, so a refusal never tells whether an account is
there. Keys hold a hash of the normalised name, never the name: anything can be typed.
Redis down: logins fail open (no throttling, a logged warning), never a 500.
"""

import hashlib
import ipaddress
from collections.abc import Sequence

import redis

from core.errors import TooManyRequests
from core.ratelimit import FailOpen

_PREFIX = "gridgov:login"
REFUSAL = "too many failed logins; try again later"


class LoginThrottled(TooManyRequests):
    code = "login_throttled"


class LoginThrottle:
    def __init__(self, client: redis.Redis, *, max_failures: int, window_seconds: int,
                 max_delay_seconds: int = 300, user_max_failures: int = 50,
                 address_max_failures: int = 100, known_days: int = 90) -> None:
        self._redis = client
        self._free = max_failures
        self._window = window_seconds
        self._max_delay = max_delay_seconds
        self._user_max = user_max_failures
        self._address_max = address_max_failures
        self._known_seconds = known_days * 86400
        self._guard = FailOpen("login throttle")

    @classmethod
    def of(cls, client: redis.Redis, settings) -> "LoginThrottle":
        return cls(client, max_failures=settings.login_max_failures,
                   window_seconds=settings.login_lockout_minutes * 60,
                   max_delay_seconds=settings.login_max_delay_seconds,
                   user_max_failures=settings.login_user_max_failures,
                   address_max_failures=settings.login_address_max_failures,
                   known_days=settings.login_known_days)

    def check(self, *, username: str, address: str) -> None:
        """Refuse (429, the same for every name) while the pair waits, or while the name or
        the address is over its limit and the pair has not logged in before."""
        retry = self._guard.call(lambda: self._retry_after(username, address), default=0)
        if retry > 0:
            raise LoginThrottled(REFUSAL, retry_after=retry)

    def failed(self, *, username: str, address: str) -> None:
        self._guard.call(lambda: self._count_failure(username, address), default=None)

    def succeeded(self, *, username: str, address: str) -> None:
        """The pair's failures are forgiven and the pair is known from now on."""
        keys = Keys(username, address)

        def forgive() -> None:
            pipe = self._redis.pipeline(transaction=False)
            pipe.delete(keys.pair, keys.wait)
            pipe.set(keys.known, 1, ex=self._known_seconds)
            pipe.execute()
        self._guard.call(forgive, default=None)

    def unlock(self, *, username: str) -> int:
        """An admin's unlock: the name's counters and waits from every address are gone
        (its known pairs stay). The number of keys removed; raises when Redis is down, so
        the admin is told rather than left believing it worked."""
        keys = [key for key in self._redis.scan_iter(match=f"{Keys.name_prefix(username)}*",
                                                     count=500)
                if b":known:" not in key]
        return self._redis.delete(*keys) if keys else 0

    # --- in Redis --------------------------------------------------------------------------

    def _retry_after(self, username: str, address: str) -> int:
        keys = Keys(username, address)
        pipe = self._redis.pipeline(transaction=False)
        pipe.pttl(keys.wait)
        pipe.exists(keys.known)
        pipe.get(keys.name_failures)
        pipe.ttl(keys.name_failures)
        pipe.get(keys.address_failures)
        pipe.ttl(keys.address_failures)
        wait_ms, known, name_count, name_ttl, address_count, address_ttl = pipe.execute()
        if wait_ms and wait_ms > 0:
            return max(1, -(-wait_ms // 1000))
        if known:
            return 0
        retry = 0
        if int(name_count or 0) >= self._user_max:
            retry = max(retry, name_ttl, 1)
        if int(address_count or 0) >= self._address_max:
            retry = max(retry, address_ttl, 1)
        return retry

    def _count_failure(self, username: str, address: str) -> None:
        keys = Keys(username, address)
        pipe = self._redis.pipeline(transaction=False)
        for key in (keys.pair, keys.name_failures, keys.address_failures):
            pipe.incr(key)
            pipe.expire(key, self._window)  # forgotten after a quiet window
        failures = int(pipe.execute()[0])
        delay = self.delay_after(failures)
        if delay:
            self._redis.set(keys.wait, 1, ex=delay)

    def delay_after(self, failures: int) -> int:
        """Seconds a pair waits after its n-th failure: none while free, then doubling."""
        beyond = failures - self._free
        if beyond <= 0:
            return 0
        return min(2 ** min(beyond - 1, 30), self._max_delay)


class Keys:
    """The Redis keys of one (name, address) pair; the name only as a hash."""

    def __init__(self, username: str, address: str) -> None:
        name = self.name_prefix(username)
        self.pair = f"{name}pair:{address}"
        self.wait = f"{name}wait:{address}"
        self.known = f"{name}known:{address}"
        self.name_failures = f"{name}failures"
        self.address_failures = f"{_PREFIX}:addr:{address}"

    @staticmethod
    def name_prefix(username: str) -> str:
        digest = hashlib.sha256(username.strip().lower().encode("utf-8", "replace"))
        return f"{_PREFIX}:name:{digest.hexdigest()[:32]}:"


# --- where a request comes from -------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: Sequence[Network]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy; then the
    X-Forwarded-For hops are read from the right, past every trusted proxy, to the first
    address no trusted proxy vouches for. Anything a client wrote further left is ignored,
    and a header from an untrusted peer is ignored whole (else rotating it would make
    every try come from a new address)."""
    address = _ip(peer)
    if address is None:
        return peer or "unknown"
    if not forwarded_for or not _is_trusted(address, trusted):
        return str(address)
    for hop in reversed(forwarded_for.split(",")):
        hop_address = _ip(hop.strip())
        if hop_address is None:
            break  # garbage in the chain: believe no further
        address = hop_address
        if not _is_trusted(address, trusted):
            break
    return str(address)


def from_trusted_proxy(peer: str | None, trusted: Sequence[Network]) -> bool:
    address = _ip(peer)
    return address is not None and _is_trusted(address, trusted)


def _ip(text: str | None):
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    # ::ffff:10.0.0.1 is 10.0.0.1: compared (and counted) as the IPv4 address.
    return getattr(address, "ipv4_mapped", None) or address


def _is_trusted(address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network
               for network in trusted)
