"""Concurrent copies of one 现场笔录 (the phone's queue sending again while the first copy
is still in flight) meet at the evidence's unique index (uq_enforcement_evidence_key):
against the live server (its own sessions, committed data, requests really concurrent),
eight copies under one Idempotency-Key all answer 201 with the same record, and one piece
of evidence and one document are written. What the test committed is deleted at its end."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import bearer
from tests.enforcement.cases.test_records import _record

CONCURRENT = 8
BASE = "/api/v1/enforcement/cases"


@pytest.fixture
def open_case(engine, demo_city):
    """A demo 城管 handler and an open case (a clue) of his unit, committed."""
    with Session(engine) as session:
        unit, seat, user, name = session.execute(text("""
            SELECT u.id, u.seat_code, a.id, a.username FROM membership m
            JOIN unit u ON u.id = m.unit_id JOIN app_user a ON a.id = m.user_id
            WHERE u.platform = 'enforcement' AND u.department_code = 'chengguan'
              AND m.position = 'handler' AND a.role = 'enforcement_officer' AND m.is_active
              AND a.scope_code <= u.seat_code AND u.seat_code LIKE a.scope_code || '%'
            ORDER BY a.id LIMIT 1""")).one()
        case = session.scalar(text("""
            INSERT INTO enforcement_case (procedure, state, version, owner_unit_id,
                owner_code, owner_platform, area_code, source, title, opened_at)
            VALUES ('ordinary', 'clue', 1, :unit, :seat, 'enforcement', :seat, 'patrol',
                    '并发现场笔录测试', now()) RETURNING id"""), {"unit": unit, "seat": seat})
        session.commit()
        yield case, user, name
        for table in ("case_clock", "timeline_event"):
            session.execute(text(f"DELETE FROM {table} WHERE subject_type = "
                                 "'enforcement_case' AND subject_id = :id"), {"id": case})
        session.execute(text("ALTER TABLE document DISABLE TRIGGER document_immutable"))
        session.execute(text("DELETE FROM document WHERE subject_type = 'enforcement_case' "
                             "AND subject_id = :id"), {"id": case})
        session.execute(text("ALTER TABLE document ENABLE ALWAYS TRIGGER document_immutable"))
        session.execute(text("DELETE FROM enforcement_case WHERE id = :id"), {"id": case})
        session.commit()


def test_concurrent_copies_of_one_record_write_once(live_server, settings, engine, open_case):
    case, user, name = open_case
    officer = {**bearer(settings, user_id=user, username=name), "Idempotency-Key": "same"}
    with httpx.Client(base_url=live_server.url, timeout=120) as client, \
            ThreadPoolExecutor(CONCURRENT) as pool:
        answers = list(pool.map(lambda _: client.post(
            f"{BASE}/{case}/records", headers=officer, json=_record()), range(CONCURRENT)))
    assert [a.status_code for a in answers] == [201] * CONCURRENT, answers[0].text
    assert len({a.json()["evidence"]["id"] for a in answers}) == 1
    assert len({a.json()["document"]["id"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" in a.headers for a in answers) == CONCURRENT - 1
    with Session(engine) as session:
        counts = session.execute(text(
            "SELECT (SELECT count(*) FROM enforcement_evidence WHERE case_id = :c), "
            "(SELECT count(*) FROM document WHERE subject_type = 'enforcement_case' "
            " AND subject_id = :c)"), {"c": case}).one()
    assert tuple(counts) == (1, 1)
