"""core/throttle.py: login throttling that slows guessing without locking the owner out,
on the real Redis; and which client address a request is counted under.

Waits are made long (minutes) before they are checked, so that no assertion depends on
how fast the machine runs.

Each test throttles user names and addresses of its own (random), deleted afterwards: the
Redis is shared with other test runs.
"""

import secrets
from collections.abc import Callable, Iterator

import pytest
import redis

from core.errors import TooManyRequests
from core.settings import Settings
from core.throttle import Keys, LoginThrottle, client_address

FREE = 3


@pytest.fixture
def store() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(Settings().redis_url)
    yield client
    client.close()


@pytest.fixture
def names(store) -> Iterator[Callable[[str], str]]:
    """Fresh user names and addresses (prefix → unique value), cleaned up afterwards."""
    made: list[str] = []

    def make(prefix: str) -> str:
        made.append(f"{prefix}-{secrets.token_hex(4)}")
        return made[-1]
    yield make
    for value in made:
        keys = list(store.scan_iter(match=f"{Keys.name_prefix(value)}*"))
        keys.append(f"gridgov:login:addr:{value}")
        store.delete(*keys)


def throttle_on(client: redis.Redis, **limits) -> LoginThrottle:
    options = {"max_failures": FREE, "window_seconds": 900, "max_delay_seconds": 300,
               "user_max_failures": 10, "address_max_failures": 12, "known_days": 90}
    return LoginThrottle(client, **(options | limits))


def refused(throttle: LoginThrottle, name: str, address: str) -> int | None:
    """The Retry-After of a refusal, or None when the try may go ahead."""
    try:
        throttle.check(username=name, address=address)
    except TooManyRequests as exc:
        assert exc.code == "login_throttled"
        assert exc.detail == "too many failed logins; try again later"
        return exc.retry_after
    return None


def fail(throttle: LoginThrottle, name: str, address: str, times: int) -> None:
    for _ in range(times):
        throttle.failed(username=name, address=address)


# --- the pair: progressive waits ----------------------------------------------------------

def test_waits_double_after_the_free_failures_up_to_the_most():
    throttle = throttle_on(redis.Redis(), max_delay_seconds=60)
    assert [throttle.delay_after(n) for n in range(1, 12)] == [
        0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_a_pair_past_its_free_failures_waits(store, names):
    throttle = throttle_on(store)
    name, address = names("owner"), names("addr")
    fail(throttle, name, address, FREE)
    assert refused(throttle, name, address) is None
    fail(throttle, name, address, 9)  # waits of 1, 2, 4, ... 256 s: the last one counts
    assert 200 <= refused(throttle, name, address) <= 256
    # Case and spaces make no other name to try.
    assert refused(throttle, f"  {name.upper()} ", address) is not None


def test_an_attackers_failures_elsewhere_do_not_lock_the_owner_out(store, names):
    """20 wrong passwords from the attacker's address: the attacker waits, the owner at
    his own address logs in (the name's own limit is higher, and exempts known pairs)."""
    throttle = throttle_on(store, user_max_failures=50)
    name, attacker, owner = names("owner"), names("attacker"), names("office")
    fail(throttle, name, attacker, 20)
    assert refused(throttle, name, attacker) == 300  # at the longest wait now
    assert refused(throttle, name, owner) is None


def test_a_success_forgives_the_pair(store, names):
    throttle = throttle_on(store)
    name, address = names("owner"), names("addr")
    fail(throttle, name, address, FREE + 9)
    assert refused(throttle, name, address) is not None
    throttle.succeeded(username=name, address=address)
    assert refused(throttle, name, address) is None
    fail(throttle, name, address, FREE)  # free again, counted from zero
    assert refused(throttle, name, address) is None


# --- the name and the address: limits that spare known pairs ------------------------------

def test_a_distributed_attack_on_a_name_spares_the_owners_known_address(store, names):
    throttle = throttle_on(store, user_max_failures=10)
    name, home, travelling = names("owner"), names("home"), names("hotel")
    throttle.succeeded(username=name, address=home)  # the owner logged in from home before
    for _ in range(10):
        fail(throttle, name, names("botnet"), 1)  # one try from each of ten addresses
    assert refused(throttle, name, travelling) is not None  # a new address: wait
    assert refused(throttle, name, home) is None  # home: as ever


def test_spraying_from_an_address_spares_the_people_who_work_there(store, names):
    throttle = throttle_on(store, address_max_failures=12)
    office, colleague, newcomer = names("office"), names("colleague"), names("newcomer")
    throttle.succeeded(username=colleague, address=office)
    for _ in range(12):
        fail(throttle, names("sprayed"), office, 1)
    assert refused(throttle, newcomer, office) is not None
    assert refused(throttle, colleague, office) is None
    assert refused(throttle, newcomer, names("elsewhere")) is None  # the address's limit only


def test_the_same_refusal_whether_the_name_exists_or_not(store, names):
    """The throttle never looks accounts up: any typed name is counted the same."""
    throttle = throttle_on(store)
    real, ghost, address = names("demo"), names("ghost"), names("addr")
    fail(throttle, real, address, FREE + 9)
    fail(throttle, ghost, address, FREE + 9)
    assert 200 <= refused(throttle, real, address) <= 256
    assert 200 <= refused(throttle, ghost, address) <= 256


# --- unlock and outages --------------------------------------------------------------------

def test_an_admin_unlock_lifts_every_wait_of_the_name_but_keeps_known_pairs(store, names):
    throttle = throttle_on(store, user_max_failures=5, address_max_failures=100)
    name, home, other = names("owner"), names("home"), names("other")
    throttle.succeeded(username=name, address=home)
    fail(throttle, name, other, FREE + 9)
    assert refused(throttle, name, other) is not None
    assert throttle.unlock(username=name) >= 3  # the pair, its wait, the name's count
    assert refused(throttle, name, other) is None
    assert store.exists(Keys(name, home).known)


def test_with_redis_unreachable_logins_fail_open(caplog):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    throttle = throttle_on(dead)
    with caplog.at_level("WARNING", logger="core.ratelimit"):
        fail(throttle, "owner", "10.0.0.1", 10)
        assert refused(throttle, "owner", "10.0.0.1") is None
        throttle.succeeded(username="owner", address="10.0.0.1")
    assert "login throttle: Redis unreachable" in caplog.text
    with pytest.raises(redis.RedisError):  # an admin's unlock says so rather than pretend
        throttle.unlock(username="owner")


# --- where a request comes from ------------------------------------------------------------

PROXIES = Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1").trusted_networks


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    # No trusted proxy configured: the header is ignored whole, whoever sends it.
    ("127.0.0.1", "203.0.113.7", (), "127.0.0.1"),
    ("198.51.100.9", "203.0.113.7", PROXIES, "198.51.100.9"),  # an untrusted peer
    ("10.0.0.2", "203.0.113.7", PROXIES, "203.0.113.7"),  # our proxy says who
    # A client's own X-Forwarded-For is left of what our proxies appended: ignored.
    ("10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.5", PROXIES, "203.0.113.7"),
    ("10.0.0.2", "garbage, 10.0.0.5", PROXIES, "10.0.0.5"),
    ("10.0.0.2", None, PROXIES, "10.0.0.2"),
    ("::ffff:10.0.0.2", "203.0.113.7", PROXIES, "203.0.113.7"),
    ("testclient", "203.0.113.7", PROXIES, "testclient"),  # not an address: as it is
])
def test_the_client_address(peer, forwarded, trusted, expected):
    assert client_address(peer, forwarded, trusted) == expected


def test_a_bad_trusted_proxy_setting_is_refused_at_start():
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.0/8, the-load-balancer")
