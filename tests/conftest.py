"""Test fixtures: a real PostGIS database of the suite's own, migrated once per run.

Each test runs inside a transaction rolled back at the end (services flush, only the edge
commits, so a test sees its own writes and leaves nothing). The demo city is loaded and
committed once per run, as the base every locate and map test reads.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.settings import Settings, get_settings

# Chromium, a tab that refuses other hosts, and the kept screenshot folder: every page test.
from tests.browser import artefacts, chromium, tab  # noqa: F401

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


@pytest.fixture
def app(settings: Settings, session: Session):
    """The app, its requests served by the test's rolled-back session."""
    from api.app import create_app
    from core.deps import get_session

    application = create_app(settings)
    application.dependency_overrides[get_session] = lambda: session
    yield application
    application.state.engine.dispose()


def bearer(settings: Settings, *, role: str = "admin", scope_code: str = "430200",
           user_id: int = 0, username: str = "test-admin") -> dict[str, str]:
    """An Authorization header for a principal, minted directly (tokens are stateless)."""
    from core.security import Principal, create_access_token
    from core.users.enums import Role

    token = create_access_token(Principal(user_id, username, Role(role), scope_code),
                                secret=settings.secret_key, minutes=5)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def anonymous(app):
    """A client without credentials."""
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client(anonymous, settings):
    """A client acting as an admin of the demo city (the widest scope there is)."""
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
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{listener.getsockname()[1]}", app)
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    app.state.engine.dispose()
