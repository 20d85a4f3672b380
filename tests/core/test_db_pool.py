"""core/db.py make_engine: every connection opened is kept (no churn of PostgreSQL
backends under load), and only one that sat idle is checked before use.

No timing: CHECK_IDLE_SECONDS is set per test so that "idle" is certain either way."""

import psycopg
import pytest
from sqlalchemy import text

from core import db
from core.db import libpq_url, make_engine, pool_capacity

PID = text("SELECT pg_backend_pid()")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


def test_connections_beyond_the_pool_size_are_kept_not_reopened(engine):
    assert pool_capacity(engine) == 4  # 2 × pool_size, as DB_POOL_SIZE documents
    first = [engine.connect() for _ in range(4)]
    pids = {connection.execute(PID).scalar() for connection in first}
    for connection in first:
        connection.close()
    again = [engine.connect() for _ in range(4)]
    assert {connection.execute(PID).scalar() for connection in again} == pids
    for connection in again:
        connection.close()


def test_a_connection_returned_a_moment_ago_is_used_without_a_ping(engine, monkeypatch):
    monkeypatch.setattr(db, "CHECK_IDLE_SECONDS", 3600.0)
    pings = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or True)
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []


def test_a_connection_that_died_while_idle_is_replaced_without_an_error(engine, database_url,
                                                                        monkeypatch):
    monkeypatch.setattr(db, "CHECK_IDLE_SECONDS", -1.0)  # every returned one counts as idle
    with engine.connect() as connection:
        dead = connection.execute(PID).scalar()
    with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (dead,))
    with engine.connect() as connection:  # the idle check finds it dead and opens another
        assert connection.execute(PID).scalar() != dead
