"""Login throttling through the API: an attacker slows down, the owner is not locked out;
X-Forwarded-For believed only from trusted proxies; an admin's unlock; logins with Redis
down; and the per-user rate limits (429 with Retry-After).

The throttle's Redis is shared with other runs: each test fails logins under names and
addresses of its own (`throttled`, from test_auth.py, clears them before and after).
"""

import secrets
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from core.throttle import Keys
from core.users.models import User
from tests.api.auth_support import PASSWORD, PROBLEM, WRONG, login, tag

FREE = 5  # settings.login_max_failures, the default


@pytest.fixture
def app_with(settings, session) -> Iterator:
    """Apps with other settings, served by the test's rolled-back session like `app`."""
    from api.app import create_app
    from core.deps import get_accounts, get_session
    from core.users.cache import SessionAccounts

    made = []

    def make(**changes) -> TestClient:
        app = create_app(settings.model_copy(update=changes))
        app.dependency_overrides[get_session] = lambda: session
        app.dependency_overrides[get_accounts] = lambda: SessionAccounts(session)
        made.append(app)
        return app
    yield make
    for app in made:
        app.state.engine.dispose()


def client_of(app, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def fail(client: TestClient, name: str, times: int, headers: dict | None = None) -> None:
    for _ in range(times):
        response = client.post("/api/v1/auth/token", headers=headers or {},
                               data={"username": name, "password": WRONG})
        assert response.status_code == 401, response.text


def failed_before(settings, name: str, address: str, failures: int) -> None:
    """As if the pair had failed `failures` times already: its next failure then sets a
    wait of minutes, which no slow machine outlasts (the first waits are seconds)."""
    store = redis.Redis.from_url(settings.redis_url)
    store.set(Keys(name, address).pair, failures, ex=600)
    store.close()


# --- the owner is not locked out ----------------------------------------------------------

def test_an_attacker_elsewhere_does_not_lock_the_owner_out(client_at, member):
    """20 wrong passwords from the attacker's address: past the free ones he waits (each
    further try either waits or, once a wait is over, fails and doubles it); the owner,
    at his own address, logs in."""
    attacker = client_at()
    fail(attacker, member.username, FREE + 1)  # the free ones, and the first to cost a wait
    answers = [login(attacker, member.username, WRONG) for _ in range(20 - FREE - 1)]
    assert {answer.status_code for answer in answers} <= {401, 429}
    assert login(client_at(), member.username, PASSWORD).status_code == 200


def test_a_waiting_pair_gets_the_same_429_for_a_real_and_an_unknown_name(
        client_at, member, throttled, settings):
    ghost = f"ghost_{tag()}"
    throttled(users=[ghost])
    address = f"test-{tag()}"
    client = client_at(address)
    for name in (member.username, ghost):
        failed_before(settings, name, address, FREE + 7)
        fail(client, name, 1)  # the 13th failure: a wait of 2^7 = 128 s
    real, unknown = login(client, member.username, PASSWORD), login(client, ghost, PASSWORD)
    assert real.status_code == unknown.status_code == 429  # even the right password waits
    assert real.headers["content-type"] == PROBLEM and real.json() == unknown.json()
    assert real.json()["code"] == "login_throttled"
    assert real.json()["detail"] == "too many failed logins; try again later"
    for answer in (real, unknown):
        assert 60 < int(answer.headers["retry-after"]) <= 128
    assert login(client, f" {member.username.upper()} ", PASSWORD).status_code == 429


def test_a_successful_login_forgives_the_pair(client_at, member):
    client = client_at()
    for _round in range(2):
        fail(client, member.username, FREE)
        assert login(client, member.username, PASSWORD).status_code == 200


def test_spraying_names_from_one_address_spares_who_logged_in_there(
        app_with, member, throttled):
    names = [f"spray_{tag()}" for _ in range(4)]
    newcomer = f"newcomer_{tag()}"
    office = f"test-{tag()}"
    throttled(users=[*names, newcomer], addresses=[office])
    client = client_of(app_with(login_address_max_failures=4), office)
    assert login(client, member.username, PASSWORD).status_code == 200  # known from now
    for name in names:
        fail(client, name, 1)
    assert login(client, newcomer, WRONG).status_code == 429
    assert login(client, member.username, PASSWORD).status_code == 200


# --- where the client is -----------------------------------------------------------------

def rotating(count: int) -> Iterator[dict]:
    for _ in range(count):
        yield {"X-Forwarded-For": f"203.0.113.{secrets.randbelow(250) + 1}"}


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(app_with, member, throttled,
                                                          settings):
    """Rotating the header from loopback made every try come from a new address: no more."""
    peer = "127.0.0.1"
    throttled(addresses=[peer])
    client = client_of(app_with(trusted_proxies=""), peer)
    failed_before(settings, member.username, peer, FREE + 7)
    fail(client, member.username, 1, next(rotating(1)))  # counted on the peer: it waits
    refused = login_as(client, member, next(rotating(1)))
    assert refused.status_code == 429


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(app_with, member, throttled,
                                                               settings):
    proxy = f"192.0.2.{secrets.randbelow(250) + 1}"
    client = client_of(app_with(trusted_proxies="192.0.2.0/24"), proxy)
    clients = [f"198.51.100.{secrets.randbelow(250) + 1}" for _ in range(2)]
    throttled(addresses=[proxy, *clients])
    failed_before(settings, member.username, clients[0], FREE + 7)
    attacker, owner = ({"X-Forwarded-For": f"1.2.3.4, {address}"} for address in clients)
    fail(client, member.username, 1, attacker)
    assert login_as(client, member, attacker).status_code == 429
    assert login_as(client, member, owner).status_code == 200  # another client, same proxy


def login_as(client: TestClient, member: User, headers: dict):
    return client.post("/api/v1/auth/token", headers=headers,
                       data={"username": member.username, "password": PASSWORD})


# --- unlocking -----------------------------------------------------------------------------

def test_an_admin_unlocks_an_account_at_once(client, client_at, member, session, settings):
    address = f"test-{tag()}"
    locked_out = client_at(address)
    failed_before(settings, member.username, address, FREE + 7)
    fail(locked_out, member.username, 1)
    assert login(locked_out, member.username, PASSWORD).status_code == 429
    response = client.post(f"/api/v1/users/{member.id}/unlock")
    assert response.status_code == 200, response.text
    assert response.json()["unlocked"] is True and response.json()["entries_removed"] >= 2
    assert login(locked_out, member.username, PASSWORD).status_code == 200
    actions = session.execute(text(
        "SELECT action FROM audit_event WHERE subject_type = 'user' AND subject_id = :id "
        "ORDER BY id"), {"id": str(member.id)}).scalars().all()
    assert "auth.unlock" in actions


def test_gridgov_users_unlock(app_with, settings, database_url, throttled):
    """The command line, on a committed (demo) account."""
    from api.cli import app as cli
    from core.db import get_engine

    get_engine.cache_clear()
    name = "demo_village_staff"
    address = f"test-{tag()}"
    throttled(users=[name], addresses=[address])
    client = client_of(app_with(), address)
    failed_before(settings, name, address, FREE + 7)
    fail(client, name, 1)
    assert login(client, name, settings.demo_password).status_code == 429
    result = CliRunner().invoke(cli, ["users", "unlock", name])
    assert result.exit_code == 0, result.output
    assert f"unlocked {name}" in result.output
    assert login(client, name, settings.demo_password).status_code == 200
    unknown = CliRunner().invoke(cli, ["users", "unlock", f"nobody_{tag()}"])
    assert unknown.exit_code == 2 and "no user nobody_" in unknown.output


# --- Redis down: fail open ---------------------------------------------------------------

def test_logins_work_with_redis_unreachable(app_with, member, caplog):
    dead = client_of(app_with(redis_url="redis://127.0.0.1:1/0"), f"test-{tag()}")
    with caplog.at_level("WARNING", logger="core.ratelimit"):
        assert login(dead, member.username, WRONG).status_code == 401
        answer = login(dead, member.username, PASSWORD)
    assert answer.status_code == 200, answer.text
    assert "login throttle: Redis unreachable" in caplog.text


# --- rate limits -------------------------------------------------------------------------

def test_past_a_rate_limit_429_with_retry_after(app_with, demo_city, settings):
    """Two KPI requests a minute: of five sent together, at least one is refused (five
    requests straddle at most one minute's boundary, so one window holds three)."""
    from tests.conftest import bearer

    app = app_with(rate_limit_kpis_per_minute=2)
    headers = bearer(settings, role="county_dispatcher", scope_code="430202",
                     username=f"rate-{tag()}")
    client = client_of(app, f"test-{tag()}")
    answers = [client.get("/api/v1/kpis", params={"area": "430202"}, headers=headers)
               for _ in range(5)]
    assert {answer.status_code for answer in answers} <= {200, 429}
    limited = [answer for answer in answers if answer.status_code == 429]
    assert limited, [answer.text for answer in answers]
    assert 1 <= int(limited[0].headers["retry-after"]) <= 60
    assert limited[0].headers["content-type"] == PROBLEM
    assert limited[0].json()["code"] == "rate_limited"
    assert limited[0].json()["bucket"] == "kpis"
