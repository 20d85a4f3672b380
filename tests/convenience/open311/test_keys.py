"""`gridgov open311 key create|list|revoke`: the key is printed once, only its SHA-256 is
stored, a revoked key is refused (403) and the app may get a new one. The commands commit
(their own session, like the CLI's): the rows are deleted at the end."""

import hashlib

import psycopg
import pytest
from typer.testing import CliRunner

from convenience.open311.cli import app
from convenience.open311.keys import app_of_key
from core.db import libpq_url
from core.errors import Forbidden

APP = "测试-cli-市民通"


@pytest.fixture
def db(settings):
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        yield conn
        conn.execute("DELETE FROM open311_api_key WHERE app_name = %s", (APP,))


def test_create_list_revoke(db, session):
    runner = CliRunner()
    created = runner.invoke(app, ["key", "create", APP])
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    assert len(key) >= 32
    row = db.execute("SELECT key_hash, key_prefix FROM open311_api_key WHERE app_name = %s "
                     "AND revoked_at IS NULL", (APP,)).fetchone()
    assert row == (hashlib.sha256(key.encode()).hexdigest(), key[:8])
    assert key not in str(db.execute("SELECT * FROM open311_api_key").fetchall())
    assert app_of_key(session, key).app_name == APP
    # One live key per app.
    again = runner.invoke(app, ["key", "create", APP])
    assert again.exit_code == 1 and "revoke it first" in again.output
    listed = runner.invoke(app, ["key", "list"])
    assert f"{APP}\t{key[:8]}…\tlive" in listed.output
    revoked = runner.invoke(app, ["key", "revoke", APP])
    assert revoked.exit_code == 0
    session.expire_all()
    with pytest.raises(Forbidden) as refused:
        app_of_key(session, key)
    assert refused.value.code == "api_key_invalid"
    fresh = runner.invoke(app, ["key", "create", APP])
    assert fresh.exit_code == 0 and fresh.output.strip() != key
    assert "revoked" in runner.invoke(app, ["key", "list"]).output
