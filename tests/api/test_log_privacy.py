"""What leaks into the logs (issue 11 §5): a database error on a user's create or update
once logged the argon2 hash, the phone and the ID number. Now the engine hides a failed
statement's parameters, and every log record is masked as it is made (core/redact.py):
PostgreSQL's own DETAIL ("Failing row contains (…)") quotes the row whatever the engine
does.
"""

import logging
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import make_engine
from core.redact import install_log_redaction, scrub
from tests.api.test_users import id_number

PASSWORD = "Ward-Office-2026!"
PHONE = "13812345678"
ID_NUMBER = id_number("430102", "19900101", "123")
TRIGGER = "触发数据库错误"  # the full name a constraint of this test alone refuses
ARGON2 = re.compile(r"\$argon2id?\$v=\d+\$m=\d+")


@pytest.fixture
def failing_user_writes(session, demo_city):
    """app_user refuses one full name, in the database, for this test's transaction only
    (rolled back with it): the write passes validation and fails at the INSERT/UPDATE."""
    session.execute(text(f"ALTER TABLE app_user ADD CONSTRAINT test_only_refuses CHECK "
                         f"(full_name <> '{TRIGGER}') NOT VALID"))


def _create(client):
    return client.post("/api/v1/users", json={
        "username": "leaky_user", "password": PASSWORD, "role": "village_staff",
        "scope_code": "430202001001", "full_name": TRIGGER, "phone": PHONE,
        "id_number": ID_NUMBER})


def _update(client):
    made = client.post("/api/v1/users", json={
        "username": "leaky_user", "password": PASSWORD, "role": "village_staff",
        "scope_code": "430202001001", "phone": PHONE, "id_number": ID_NUMBER})
    assert made.status_code == 201, made.text
    return client.patch(f"/api/v1/users/{made.json()['id']}",
                        json={"version": 1, "full_name": TRIGGER, "password": PASSWORD})


@pytest.mark.parametrize("write", [_create, _update], ids=["create", "update"])
def test_a_database_error_on_a_user_logs_no_secret(client, failing_user_writes, caplog,
                                                   write):
    caplog.set_level(logging.WARNING)
    response = write(client)
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    logged = caplog.text
    assert "test_only_refuses" in logged  # the error is logged, with its cause
    assert "Failing row contains (…hidden…)" in logged
    for secret in (PASSWORD, PHONE, ID_NUMBER, ID_NUMBER[6:14]):
        assert secret not in logged
    assert not ARGON2.search(logged)


def test_the_engine_keeps_parameters_out_of_its_errors(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as failure:
            connection.execute(text("SELECT 1 / (:v - :v)"), {"v": int(PHONE)})
    finally:
        engine.dispose()
    assert "division by zero" in str(failure.value) and PHONE not in str(failure.value)


def test_any_logger_is_masked(caplog):
    install_log_redaction()
    caplog.set_level(logging.INFO)
    row = (f"(7, leaky, $argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo, "
           f"{PHONE}, {ID_NUMBER})")
    logging.getLogger("any.library").error("DETAIL:  Failing row contains %s.", row)
    logging.getLogger("another").info("sent to %s, id %s, Authorization: Bearer eyJhbGciOi"
                                      "JIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", PHONE, ID_NUMBER)
    try:
        raise ValueError(f"bad {PHONE} {ID_NUMBER}")
    except ValueError:
        logging.getLogger("third").exception("failed")
    logged = caplog.text
    assert PHONE not in logged and ID_NUMBER not in logged and "eyJ" not in logged
    assert not ARGON2.search(logged)
    assert f"{PHONE[:3]}****{PHONE[-4:]}" in logged  # masked as the API masks it


def test_scrub_masks_as_the_api_does():
    assert scrub(f"phone {PHONE}") == "phone 138****5678"
    assert scrub(f"id {ID_NUMBER}") == f"id {ID_NUMBER[:6]}********{ID_NUMBER[-4:]}"
    assert scrub('Key (username)=(zhang_san) already exists.') == (
        'Key (username)=(…hidden…) already exists.')
    assert scrub("[parameters: {'password_hash': 'x'}]") == "[parameters hidden]"
    assert scrub("nothing personal, 12 items") == "nothing personal, 12 items"
