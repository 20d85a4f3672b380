"""Concurrent edits lose nothing: against the live server (its own sessions, committed
data, requests really concurrent), eight clerks recording the same 复议 filing from the same
case version make one appeal and seven 409s; eight recording its outcome from the same
appeal version make one outcome and seven 409s. What the test committed is deleted at its
end (the audit log is append-only and keeps its rows)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.concurrency import CONCURRENT, all_at_once
from tests.conftest import bearer
from tests.enforcement.cases.conftest import live_handler

BASE = "/api/v1/enforcement/cases"


@pytest.fixture
def decided_case(engine):
    """A demo 城管 handler and a case of his unit decided three days ago, committed."""
    with Session(engine) as session:
        unit, seat, user, name = live_handler(session)
        case = session.scalar(text("""
            INSERT INTO enforcement_case (procedure, state, version, owner_unit_id,
                owner_code, owner_platform, area_code, source, title, outcome,
                penalty_types, fine_fen, decided_at, served_at, opened_at)
            VALUES ('ordinary', 'served', 1, :unit, :seat, 'enforcement', :seat, 'patrol',
                    '并发复议测试', 'penalty', '{fine}', 50000, now() - interval '3 days',
                    now() - interval '2 days', now() - interval '10 days')
            RETURNING id"""), {"unit": unit, "seat": seat})
        session.commit()
        yield case, user, name
        for table in ("case_clock", "timeline_event"):
            session.execute(text(f"DELETE FROM {table} WHERE subject_type = "
                                 "'enforcement_case' AND subject_id = :id"), {"id": case})
        session.execute(text("DELETE FROM enforcement_case WHERE id = :id"), {"id": case})
        session.commit()


def _all_at_once(send) -> list[int]:
    return sorted(all_at_once(send))


def test_concurrent_filings_and_outcomes(live_server, settings, engine, decided_case):
    case, user, name = decided_case
    officer = bearer(settings, user_id=user, username=name)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        statuses = _all_at_once(lambda: client.post(
            f"{BASE}/{case}/appeals", headers=officer, json={
                "version": 1, "kind": "reconsideration", "body": "株洲市人民政府",
                "filed_on": today}).status_code)
        assert statuses == [201] + [409] * (CONCURRENT - 1)
        [appeal] = client.get(f"{BASE}/{case}", headers=officer).json()["appeals"]
        statuses = _all_at_once(lambda: client.post(
            f"{BASE}/{case}/appeals/{appeal['id']}/outcome", headers=officer, json={
                "version": appeal["version"], "outcome": "upheld", "decided_on": today,
                "document_title": "行政复议决定书"}).status_code)
        assert statuses == [200] + [409] * (CONCURRENT - 1)
    with Session(engine) as session:
        rows = session.execute(text("SELECT outcome, version FROM enforcement_appeal "
                                    "WHERE case_id = :id"), {"id": case}).all()
        version = session.scalar(text("SELECT version FROM enforcement_case WHERE id = :id"),
                                 {"id": case})
    assert [tuple(r) for r in rows] == [("upheld", 2)] and version == 3
