"""Concurrent submissions on committed rows, each request in its own session and thread
(as two phones or two desks would): the runner's row lock and version check let one of two
racing moves through and refuse the other with 409 (nothing applied twice, nothing lost:
the refused caller reads the new version and may move again); two copies of one offline
submission racing with the same Idempotency-Key meet at the key's unique index — the second
waits for the first to commit and answers with its result."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.errors import Conflict
from market_supervision.inspections import flows, opening
from market_supervision.inspections.models import Inspection, InspectionSubmission
from market_supervision.inspections.schemas import ActionIn
from tests.market_supervision.inspections.conftest import build_market

# Another valid code (GB 32100), so as not to meet the rolled-back tests' entity.
USCC = "91110000600037341L"


@pytest.fixture
def committed(engine, settings, demo_city):
    """The market fixture committed, its inspection opened; removed afterwards."""
    with Session(engine) as session:
        market = build_market(session, uscc=USCC)
        opened, _ = opening.open_for_draw(session, draw_id=market.draw.id, actor="test",
                                          settings=settings)
        session.commit()
        ids = {"inspection": opened[0], "draw": market.draw.id, "task": market.task.id,
               "plan": market.task.plan_id, "entity": market.entity.id,
               "item": market.item.id, "units": [market.office.id, market.enforcement.id],
               "users": [p.user_id for p in (*market.inspectors, market.expired,
                                             market.reviewer)]}
    try:
        yield market, ids
    finally:
        with Session(engine) as session:
            _remove(session, ids)
            session.commit()


def _remove(session: Session, ids: dict) -> None:
    kernel = ("case_clock", "timeline_event", "handoff")
    for table in kernel:
        session.execute(text(f"DELETE FROM {table} WHERE subject_type = 'market_inspection' "
                             "AND subject_id = :i"), {"i": ids["inspection"]})
    for sql in ("DELETE FROM market_inspection WHERE task_id = :task",
                "DELETE FROM market_draw WHERE id = :draw",
                "DELETE FROM market_plan WHERE id = :plan",
                "DELETE FROM market_entity WHERE id = :entity",
                "DELETE FROM market_item WHERE id = :item",
                "DELETE FROM unit WHERE id = ANY(:units)",
                "DELETE FROM app_user WHERE id = ANY(:users)"):
        session.execute(text(sql), ids)


def _race(engine, settings, calls) -> list:
    """Run each call (session → result) in its own thread and session, started together;
    each commits what it did, or keeps the refusal it met."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(n, call):
        with Session(engine) as session:
            start.wait()
            try:
                results[n] = call(session)
                session.commit()
            except Conflict as refused:
                session.rollback()
                results[n] = refused

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _record_body(market, version: int) -> dict:
    return {"version": version,
            "inspected_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "location": {"type": "Point", "coordinates": list(market.point)},
            "checks": [{"check_id": c, "result": "pass"} for c in market.checks]}


def test_two_copies_of_one_offline_record_are_applied_once(engine, settings, committed):
    market, ids = committed
    body = ActionIn.model_validate(_record_body(market, 1))

    def record(session):
        done = flows.act(session, inspection_id=ids["inspection"], name="record", data=body,
                         principal=market.inspectors[0], settings=settings,
                         idempotency_key="same-phone-same-key")
        return done.replayed

    assert sorted(_race(engine, settings, [record, record])) == [False, True]
    with Session(engine) as session:
        inspection = session.get(Inspection, ids["inspection"])
        assert (inspection.state, inspection.version) == ("recorded", 2)
        assert len(session.scalars(select(InspectionSubmission).where(
            InspectionSubmission.inspection_id == inspection.id)).all()) == 1


def test_two_moves_on_one_version_one_wins_the_other_gets_409(engine, settings, committed):
    market, ids = committed
    with Session(engine) as session:
        flows.act(session, inspection_id=ids["inspection"], name="record",
                  data=ActionIn.model_validate(_record_body(market, 1)),
                  principal=market.inspectors[0], settings=settings, idempotency_key="r1")
        session.commit()
    # The second inspector confirms while the first corrects his record, both at version 2.
    confirm = ActionIn.model_validate({"version": 2})
    correct = ActionIn.model_validate({**_record_body(market, 2), "summary": "补充说明"})
    results = _race(engine, settings, [
        lambda s: flows.act(s, inspection_id=ids["inspection"], name="confirm", data=confirm,
                            principal=market.inspectors[1], settings=settings).replayed,
        lambda s: flows.act(s, inspection_id=ids["inspection"], name="record", data=correct,
                            principal=market.inspectors[0], settings=settings,
                            idempotency_key="r2").replayed])
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1 and refused[0].code == "stale_version"
    with Session(engine) as session:
        inspection = session.get(Inspection, ids["inspection"])
        assert inspection.version == 3  # one move applied, once
        assert inspection.state in ("submitted", "recorded")
