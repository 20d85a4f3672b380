"""Test fixtures: a real PostGIS database of the suite's own, migrated once per run.

Each test runs inside a transaction rolled back at the end (services flush, only the edge
commits, so a test sees its own writes and leaves nothing). The demo city is loaded and
committed once per run, as the base every locate and map test reads. A Redis database of
the run's own (tests/redis_db.py), one started app per test module (`module_app`, lent to
each test by `app`), and argon2 at its smallest cost keep the suite fast and repeatable.
Objects tests build by hand: tests/factories.py.
"""

import os
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.settings import Settings, get_settings

# Chromium, a tab that refuses other hosts, and the kept screenshot folder: every page test.
from tests.browser import artefacts, chromium, tab  # noqa: F401

# The tests may run with the development SECRET_KEY (core/security.py require_safe_secret);
# set before any Settings() is read, and inherited by the processes the tests start.
os.environ["ENVIRONMENT"] = "test"
# No per-user rate limits (core/ratelimit.py): the suite's shared accounts write far more
# than a person; tests/api/test_login_throttle.py turns one on where it is tested.
for _bucket in ("REPORTS", "WRITES", "EXPORTS", "KPIS"):
    os.environ[f"RATE_LIMIT_{_bucket}_PER_MINUTE"] = "0"


def _cheap_password_hashing() -> None:
    """argon2id at its smallest cost in this process (production keeps argon2's defaults,
    64 MiB and 3 passes: some 0.3 s a hash or a login here, and the suite hashes and logs
    in hundreds of times). Still argon2id hashes, made and verified by core/security.py's
    own code; a hash carries its cost, so the workers and CLI runs verify them as well."""
    from argon2 import PasswordHasher

    from core import security

    assert hasattr(security, "_HASHER") and hasattr(security, "_DUMMY_HASH"), (
        "core/security.py renamed its hasher: update tests/conftest.py")
    security._HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    security._DUMMY_HASH = security._HASHER.hash("not-a-real-password")


_cheap_password_hashing()


def pytest_configure(config) -> None:
    """A Redis database of the run's own (tests/redis_db.py), exported before any test
    module imports the Celery app or builds an app, and inherited by the workers."""
    from tests.redis_db import RunRedis

    config.gridgov_redis = RunRedis(Settings().redis_url)
    os.environ["REDIS_URL"] = config.gridgov_redis.url
    get_settings.cache_clear()


def pytest_collection_modifyitems(session, config, items) -> None:
    """Tests that read the demo city exactly as it was loaded (`pristine_demo`: every unit
    staffed, counted against the areas, removable) run before any test commits rows of
    its own into the city, as browser journeys must for the live server to see them. The
    sort is stable: every other test keeps its place."""
    items.sort(key=lambda item: item.get_closest_marker("pristine_demo") is None)


def pytest_unconfigure(config) -> None:
    if getattr(config, "gridgov_redis", None) is not None:
        config.gridgov_redis.release()


# One database per test run, so parallel runs (CI jobs, developers) never collide.
TEST_DB_NAME = f"gridgov_test_{os.getpid()}"


def _test_database_url() -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return Settings(database_url=os.environ["TEST_DATABASE_URL"]).database_url
    url = make_url(Settings().database_url).set(database=TEST_DB_NAME)
    return url.render_as_string(hide_password=False)


def _libpq(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _recreate_database(url: str) -> None:
    _drop_database(url)
    with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{make_url(url).database}"')
    with psycopg.connect(_libpq(url), autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def _drop_database(url: str) -> None:
    with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated test database; exported so worker processes use it too."""
    from core.migrate import upgrade

    url = _test_database_url()
    _recreate_database(url)
    upgrade(url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    yield url
    _drop_database(url)
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_city(engine: Engine, settings: Settings):
    """The demo city (Zhuzhou) with its accounts and a small recent history (3 days × 100
    incidents, every kind of timeline), loaded and committed once: (areas, counts)."""
    from grid.demo import load_demo

    with Session(engine) as session:
        areas, counts = load_demo(session, city_code="430200", counts=None,
                                  seed=settings.demo_seed, password=settings.demo_password,
                                  history_days=3, per_day=100, settings=settings)
        session.commit()
    return areas, counts


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back when the test ends."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@asynccontextmanager
async def _already_started(app):
    yield


@pytest.fixture(scope="module")
def module_app(settings: Settings) -> Iterator[tuple]:
    """One app per test module, started once (its pools open, its listeners running), and
    the event loop (a TestClient portal) its requests run on: (app, portal). Building and
    starting an app for every test cost 70-130 ms a test. `app` lends it to each test."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False) as starter:
        started = application.router.lifespan_context
        # A test that enters its own TestClient(app) must not start or stop it again (a
        # closed connection pool cannot reopen).
        application.router.lifespan_context = _already_started
        try:
            yield application, starter.portal
        finally:
            application.router.lifespan_context = started
    application.state.engine.dispose()


@pytest.fixture
def app(module_app, session: Session):
    """The module's app, its requests served by the test's rolled-back session; what a
    test sets on `app.state` or in `dependency_overrides` is undone when it ends."""
    from core.deps import get_accounts, get_session
    from core.users.cache import SessionAccounts

    application, _ = module_app
    state = dict(application.state._state)
    overrides = dict(application.dependency_overrides)
    application.dependency_overrides[get_session] = lambda: session
    # Requests check the account (core/deps.py): read through the same session, so that
    # accounts made in the test's transaction are seen, uncached.
    application.dependency_overrides[get_accounts] = lambda: SessionAccounts(session)
    try:
        yield application
    finally:
        application.dependency_overrides.clear()
        application.dependency_overrides.update(overrides)
        application.state._state.clear()
        application.state._state.update(state)


def bearer(settings: Settings, *, role: str = "admin", scope_code: str = "430200",
           user_id: int = 0, username: str = "test-admin") -> dict[str, str]:
    """An Authorization header for an account with this role and scope.

    Every request checks the account behind the token (core/deps.py), so the token names a
    real one. With `user_id`: that account (a demo account, or one made in the test's
    transaction), whose own role and scope are what count. Without: an account of this
    name, role and scope, committed in the test database the first time and reused (the
    name gets the role and scope appended when it is taken with other ones); it has no
    usable password. The token carries the account's committed token epoch (0 for an
    account of the test's transaction)."""
    from core.security import Principal, create_access_token
    from core.users.enums import Role

    if not user_id:
        user_id, username = _bearer_account(settings, role, scope_code, username)
    token = create_access_token(Principal(user_id, username, Role(role), scope_code),
                                secret=settings.secret_key, minutes=5,
                                epoch=_committed_epoch(settings, user_id))
    return {"Authorization": f"Bearer {token}"}


_BEARER_ACCOUNTS: dict[tuple[str, str, str, str], tuple[int, str]] = {}
_BEARER_CONNECTIONS: dict[str, psycopg.Connection] = {}


def _bearer_db(settings: Settings) -> psycopg.Connection:
    url = _libpq(settings.database_url)
    connection = _BEARER_CONNECTIONS.get(url)
    if connection is None or connection.closed:
        connection = _BEARER_CONNECTIONS[url] = psycopg.connect(url, autocommit=True)
    return connection


def _bearer_account(settings: Settings, role: str, scope_code: str,
                    username: str) -> tuple[int, str]:
    key = (settings.database_url, role, scope_code, username)
    if key not in _BEARER_ACCOUNTS:
        _BEARER_ACCOUNTS[key] = _committed_account(_bearer_db(settings), role, scope_code,
                                                   username)
    return _BEARER_ACCOUNTS[key]


def _committed_account(db: psycopg.Connection, role: str, scope_code: str,
                       username: str) -> tuple[int, str]:
    for name in (username, f"{username}.{role}.{scope_code}"[:64]):
        row = db.execute("SELECT id, role, scope_code FROM app_user WHERE username = %s",
                         (name,)).fetchone()
        if row is not None and (row[1], row[2]) == (role, scope_code):
            return row[0], name
        if row is None:
            try:
                return db.execute(
                    "INSERT INTO app_user (username, password_hash, role, scope_code) "
                    "VALUES (%s, '!', %s, %s) RETURNING id", (name, role, scope_code)
                ).fetchone()[0], name
            except psycopg.errors.ForeignKeyViolation:
                raise AssertionError(f"bearer: no committed area {scope_code} for the "
                                     "account's scope (does the test use demo_city?)") from None
    raise AssertionError(f"bearer: the names {username}… are taken by other accounts")


def _committed_epoch(settings: Settings, user_id: int) -> int:
    row = _bearer_db(settings).execute("SELECT token_epoch FROM app_user WHERE id = %s",
                                       (user_id,)).fetchone()
    return row[0] if row else 0


@pytest.fixture
def anonymous(app, module_app):
    """A client without credentials (a fresh one: no headers or cookies of other tests),
    on the module app's event loop, where its async pool lives."""
    from fastapi.testclient import TestClient

    test_client = TestClient(app, raise_server_exceptions=False)
    test_client.portal = module_app[1]  # requests run on the started app's loop
    try:
        yield test_client
    finally:
        test_client.close()


@pytest.fixture
def client(anonymous, settings, demo_city):
    """A client acting as an admin of the demo city (the widest scope there is; its
    account, like every `bearer` account, needs the demo city's areas)."""
    anonymous.headers.update(bearer(settings))
    return anonymous


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture(scope="module")
def live_server(settings, demo_city) -> Iterator[LiveServer]:
    """The app served by uvicorn on a free port, on its own sessions: it sees committed
    data, requests commit, and concurrent requests really run concurrently."""
    import socket
    import threading
    import time

    import uvicorn

    from api.app import create_app

    app = create_app(settings)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", backlog=512))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    # A bound, not a pace: a loaded machine may take long to start it.
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{listener.getsockname()[1]}", app)
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    app.state.engine.dispose()
