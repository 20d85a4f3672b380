"""Every request checks the account behind its token, at once and without a query per
request: a deactivation, a demotion, a logout and a new password take effect at the next
request, in this process and (through Redis) in every other.

These run on the app's own sessions and its account cache (no rolled-back session): the
accounts are committed for the purpose and deleted afterwards.
"""

import asyncio
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from core.db import libpq_url
from core.scope import EVERYWHERE
from core.units.service import grants_of
from core.users import accounts
from core.users import cache as account_cache
from core.users.enums import Role
from core.users.service import create_user
from tests.conftest import bearer

PASSWORD = "Night-Shift-2026!"
REFUSED = "the token is invalid or has expired"


@dataclass(frozen=True)
class Account:
    id: int
    username: str


@pytest.fixture
def make_account(engine, demo_city) -> Iterator:
    made: list[int] = []

    def make(role: Role = Role.village_staff, scope_code: str = "430202001001") -> Account:
        with Session(engine) as session:
            user = create_user(session, actor="test", scope=EVERYWHERE, role=role,
                               username=f"acct_{secrets.token_hex(4)}", password=PASSWORD,
                               scope_code=scope_code)
            session.commit()
            made.append(user.id)
            return Account(user.id, user.username)
    yield make
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM app_user WHERE id = ANY(:ids)"), {"ids": made})


@pytest.fixture
def live(settings) -> Iterator[TestClient]:
    """The app as deployed: its own sessions, its account cache, its Redis listener."""
    app = create_app(settings)
    try:
        with TestClient(app, raise_server_exceptions=False,
                        client=(f"test-{secrets.token_hex(4)}", 50000)) as client:
            yield client
    finally:
        app.state.engine.dispose()


def login(client: TestClient, account: Account, password: str = PASSWORD) -> dict:
    response = client.post("/api/v1/auth/token",
                           data={"username": account.username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def auth(pair: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def patch(client: TestClient, account: Account, **changes):
    """An admin of the city (a committed `bearer` account) edits the account."""
    from core.settings import get_settings

    admin = bearer(get_settings())
    version = client.get(f"/api/v1/users/{account.id}", headers=admin).json()["version"]
    return client.patch(f"/api/v1/users/{account.id}", headers=admin,
                        json={"version": version, **changes})


def refused(response) -> bool:
    return response.status_code == 401 and response.json()["detail"] == REFUSED


# --- at the next request ------------------------------------------------------------------

def test_a_deactivated_users_token_is_refused_at_the_next_request(live, make_account):
    worker = make_account()
    pair = login(live, worker)
    assert live.get("/api/v1/incidents", headers=auth(pair)).status_code == 200  # cached now
    assert patch(live, worker, is_active=False).status_code == 200
    assert refused(live.get("/api/v1/incidents", headers=auth(pair)))
    assert refused(live.post("/api/v1/incidents", headers=auth(pair), json={}))
    refresh = live.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    # Reactivated, the old tokens stay dead: the deactivation revoked them.
    assert patch(live, worker, is_active=True).status_code == 200
    assert refused(live.get("/api/v1/incidents", headers=auth(pair)))
    assert live.get("/api/v1/incidents", headers=auth(login(live, worker))).status_code == 200


def test_a_demotion_takes_effect_at_the_next_request(live, make_account):
    county_admin = make_account(Role.admin, "430202")
    pair = login(live, county_admin)
    assert live.get("/api/v1/users", headers=auth(pair)).status_code == 200
    assert patch(live, county_admin, role="village_staff",
                 scope_code="430202001001").status_code == 200
    demoted = live.get("/api/v1/users", headers=auth(pair))
    assert demoted.status_code == 403
    me = live.get("/api/v1/auth/me", headers=auth(pair)).json()  # the same token
    assert "users:manage" not in me["permissions"]
    assert me["scope"]["code"] == "430202001001"


def test_logout_revokes_every_token_of_the_account(live, make_account):
    worker = make_account()
    phone, desk = login(live, worker), login(live, worker)
    response = live.post("/api/v1/auth/logout", headers=auth(phone))
    assert response.status_code == 204
    for pair in (phone, desk):  # the other device too
        assert refused(live.get("/api/v1/auth/me", headers=auth(pair)))
        again = live.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert again.status_code == 401
    assert live.get("/api/v1/auth/me", headers=auth(login(live, worker))).status_code == 200


def test_a_new_password_revokes_every_token_of_the_account(live, make_account, engine):
    worker = make_account()
    pair = login(live, worker)
    assert patch(live, worker, password="Day-Shift-2027?").status_code == 200
    assert refused(live.get("/api/v1/auth/me", headers=auth(pair)))
    refresh = live.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    assert live.get("/api/v1/auth/me",
                    headers=auth(login(live, worker, "Day-Shift-2027?"))).status_code == 200
    with engine.connect() as connection:
        reasons = connection.execute(text(
            "SELECT after->>'reason' FROM audit_event WHERE action = 'auth.tokens_revoked' "
            "AND subject_id = :id"), {"id": str(worker.id)}).scalars().all()
    assert reasons == ["password"]


def test_the_account_is_read_once_not_at_every_request(live, make_account):
    """The hot routes must not pay a query per request for the account check."""
    worker = make_account()
    headers = auth(login(live, worker))
    cache = live.app.state.accounts
    loads = []
    original = cache._load

    async def counted(user_id):
        loads.append(user_id)
        return await original(user_id)
    cache._load = counted
    cache.drop([worker.id])
    for _ in range(20):
        assert live.get("/api/v1/areas/430202001001", headers=headers).status_code == 200
    assert loads == [worker.id]


# --- the cache across processes -----------------------------------------------------------

async def _role_seen(cache, user_id: int) -> str:
    state = await cache.get(user_id)
    return str(state.principal.role)


def _set_role(engine, user_id: int, role: str) -> None:
    """Behind every cache's back: no account_changed, no forget."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE app_user SET role = :role WHERE id = :id"),
                           {"role": role, "id": user_id})


def _lone_cache(pool, **ttl) -> account_cache.AccountCache:
    """A cache that only Redis can tell of changes: as if in another process."""
    cache = account_cache.AccountCache(pool, **ttl)
    account_cache._CACHES.discard(cache)
    return cache


def test_a_change_in_one_process_reaches_the_others_through_redis(settings, engine,
                                                                   make_account):
    worker = make_account()

    async def scenario():
        async with AsyncConnectionPool(libpq_url(settings.database_url), min_size=1,
                                       kwargs={"autocommit": True}) as pool:
            cache = _lone_cache(pool, ttl=3600, unsynced_ttl=3600)
            sync = account_cache.AccountSync(cache, settings.redis_url)
            sync.start()
            try:
                await _until(lambda: cache.synced)
                assert await _role_seen(cache, worker.id) == "village_staff"
                _set_role(engine, worker.id, "township_staff")
                assert await _role_seen(cache, worker.id) == "village_staff"  # cached
                accounts.forget([worker.id])  # what another process's commit sends
                await _until(lambda: worker.id not in cache._entries)
                assert await _role_seen(cache, worker.id) == "township_staff"
            finally:
                sync.stop()
    asyncio.run(scenario())


def test_without_redis_cached_accounts_live_only_the_short_time(settings, engine,
                                                                make_account):
    worker = make_account()

    async def scenario():
        async with AsyncConnectionPool(libpq_url(settings.database_url), min_size=1,
                                       kwargs={"autocommit": True}) as pool:
            cache = _lone_cache(pool, ttl=3600, unsynced_ttl=0)
            sync = account_cache.AccountSync(cache, "redis://127.0.0.1:1/0", retry_seconds=30)
            sync.start()
            try:
                assert await _role_seen(cache, worker.id) == "village_staff"
                _set_role(engine, worker.id, "township_staff")
                # Unheard changes possible: the entry has expired (here at once).
                assert not cache.synced
                assert await _role_seen(cache, worker.id) == "township_staff"
            finally:
                sync.stop()
    asyncio.run(scenario())


def test_a_miss_reads_the_account_and_its_grants_as_the_session_does(settings, engine,
                                                                     make_account):
    """The cache's one statement on the pool gives what `grants_of` gives: each grant's
    unit, position, platform, department, jurisdiction (several areas) and 执法证 expiry."""
    officer = make_account()
    with engine.begin() as connection:
        wide, other = connection.execute(text("""
            SELECT unit_id FROM unit_area GROUP BY unit_id
            ORDER BY count(*) DESC, unit_id LIMIT 2""")).scalars().all()
        connection.execute(text("""
            INSERT INTO membership (user_id, unit_id, position, credential_number,
                                    credential_expires_on, is_active)
            VALUES (:u, :wide, 'handler', 'ZF-430200-0001', DATE '2027-03-31', true),
                   (:u, :other, 'dispatcher', NULL, NULL, true)"""),
            {"u": officer.id, "wide": wide, "other": other})
    try:
        with Session(engine) as session:
            expected = grants_of(session, user_id=officer.id)
            through_session = account_cache.SessionAccounts(session).load(officer.id)

        async def through_pool():
            async with AsyncConnectionPool(libpq_url(settings.database_url), min_size=1,
                                           kwargs={"autocommit": True}) as pool:
                return await _lone_cache(pool, ttl=3600, unsynced_ttl=3600).get(officer.id)

        cached = asyncio.run(through_pool())
        assert len(expected) == 2 and len(max(expected, key=lambda g: len(g.area_codes))
                                          .area_codes) > 1
        assert date(2027, 3, 31) in {g.credential_expires_on for g in expected}
        assert cached.principal.memberships == through_session.principal.memberships == expected
        assert (cached.principal.user_id, cached.is_active) == (officer.id, True)
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM membership WHERE user_id = :u"),
                               {"u": officer.id})


async def _until(condition, seconds: float = 20.0) -> None:
    """Waits for a condition (a thread's doing), failing only after a generous bound."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come about"
        await asyncio.sleep(0.02)


# --- the signing key ------------------------------------------------------------------------

def test_in_production_the_app_refuses_to_start_with_the_default_key(settings):
    from core.security import UnsafeSecretKey
    from core.settings import DEVELOPMENT_SECRET_KEY

    production = settings.model_copy(update={"environment": "production",
                                             "secret_key": DEVELOPMENT_SECRET_KEY})
    with pytest.raises(UnsafeSecretKey, match="the API refuses to start in production"):
        create_app(production)
    with pytest.raises(UnsafeSecretKey, match="shorter than 32 bytes"):
        create_app(production.model_copy(update={"secret_key": "short-but-not-default"}))


def test_a_token_forged_with_the_default_key_is_refused_in_production(settings, demo_city,
                                                                      engine):
    """The forgery of the report: a province-wide admin signed with the public key."""
    from core.security import Principal, create_access_token
    from core.settings import DEVELOPMENT_SECRET_KEY

    with engine.connect() as connection:
        admin_id = connection.execute(text(
            "SELECT id FROM app_user WHERE username = 'demo_admin'")).scalar_one()
    forged = create_access_token(Principal(admin_id, "demo_admin", Role.admin, "430000"),
                                 secret=DEVELOPMENT_SECRET_KEY, minutes=5)
    app = create_app(settings.model_copy(update={"environment": "production",
                                                 "secret_key": secrets.token_urlsafe(48)}))
    try:
        client = TestClient(app, raise_server_exceptions=False)  # no lifespan: no DB needed
        response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401 and response.json()["detail"] == REFUSED
    finally:
        app.state.engine.dispose()


def test_in_production_the_worker_refuses_to_start_with_the_default_key(tmp_path):
    """`gridgov worker` as deployed: it stops before it takes any task, saying why."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from core.settings import DEVELOPMENT_SECRET_KEY

    command = shutil.which("gridgov", path=str(Path(sys.executable).parent)) or "gridgov"
    env = {**os.environ, "ENVIRONMENT": "production", "SECRET_KEY": DEVELOPMENT_SECRET_KEY}
    finished = subprocess.run([command, "worker", "--concurrency", "1"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode != 0
    assert "the worker refuses to start in production" in finished.stdout + finished.stderr
