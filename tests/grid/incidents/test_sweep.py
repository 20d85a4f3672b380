"""The deadline sweep of incidents' clocks (core/workflow/sweep.py with the incident hook),
in the test's transaction: colours, overdue escalation to the centre above, hand-offs left
unsigned past their limit, two sweeps at once."""

import threading
import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.workflow.runner import now_utc
from core.workflow.sweep import sweep
from tests.grid.incidents.conftest import report, report_body

CLOCK = ("FROM case_clock WHERE subject_type = 'incident' AND subject_id = :id "
         "AND stopped_at IS NULL")


def state_of(session, incident_id: int):
    return session.execute(text(
        f"""SELECT i.deadline, i.owner_code, i.owner_unit_id, i.escalation_count, i.version,
                   (SELECT escalated {CLOCK}) AS escalated, (SELECT colour {CLOCK}) AS colour
            FROM incident i WHERE i.id = :id"""), {"id": incident_id}).one()


def set_clock(session, incident_id: int, *, warn, due) -> None:
    session.execute(text(f"UPDATE case_clock SET warn_at = :w, due_at = :d "
                         f"WHERE id = (SELECT id {CLOCK})"),
                    {"w": warn, "d": due, "id": incident_id})


def centre_at(session, code: str) -> int:
    return session.scalar(text("SELECT id FROM unit WHERE kind = 'centre' AND seat_code = :c"),
                          {"c": code})


def test_colours_follow_the_stored_instants(client, session, settings, place, minor):
    ids = [report(client, place.worker, report_body(place, minor)).json()["id"]
           for _ in range(3)]
    now = now_utc()
    due = {ids[0]: (now + timedelta(hours=1), now + timedelta(hours=2)),  # green
           ids[1]: (now - timedelta(minutes=1), now + timedelta(hours=2)),  # yellow
           ids[2]: (now - timedelta(hours=2), now - timedelta(minutes=1))}  # red
    for incident, (warn, deadline) in due.items():
        set_clock(session, incident, warn=warn, due=deadline)
    result = sweep(session, now=now, settings=settings)
    assert result.red >= 1 and result.yellow >= 1
    assert [state_of(session, i).deadline for i in ids] == ["green", "yellow", "red"]
    assert [state_of(session, i).colour for i in ids] == ["green", "yellow", "red"]
    # The overdue one went one level up, village centre → township centre, as a hand-off
    # the township centre must sign.
    red = state_of(session, ids[2])
    assert (red.owner_code, red.owner_unit_id, red.escalation_count, red.escalated) == (
        place.grid_code[:9], centre_at(session, place.grid_code[:9]), 1, True)
    handoff = session.execute(text(
        "SELECT kind, status, from_code, to_code, to_unit_id, created_by FROM handoff "
        "WHERE subject_type = 'incident' AND subject_id = :id"), {"id": ids[2]}).one()
    assert tuple(handoff) == ("escalate", "pending", place.grid_code[:12], place.grid_code[:9],
                              centre_at(session, place.grid_code[:9]), "system")
    # Its timeline, audit and a notice to the township centre.
    assert session.scalar(text(
        "SELECT count(*) FROM timeline_event WHERE subject_type = 'incident' AND "
        "subject_id = :id AND action = 'handoff.escalate' AND actor = 'system'"),
        {"id": ids[2]}) == 1
    assert session.scalar(text(
        "SELECT count(*) FROM outbox_message WHERE topic = 'case.escalated' AND "
        "payload->>'subject_id' = :id"), {"id": str(ids[2])}) == 1
    # Again: nothing changes.
    again = sweep(session, now=now, settings=settings)
    assert (again.escalated, state_of(session, ids[2]).escalation_count) == (0, 1)


def test_a_red_incident_with_a_hand_off_pending_escalates_once_it_is_signed(
        client, session, settings, people, place, minor):
    village, township = people["village_staff"], people["township_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    up = client.post(f"/api/v1/incidents/{incident['id']}/handoffs",
                     json={"kind": "escalate", "version": 1, "reason": "需要镇里"},
                     headers=village.headers).json()
    now = now_utc()
    set_clock(session, incident["id"], warn=now - timedelta(hours=2),
              due=now - timedelta(minutes=1))
    sweep(session, now=now, settings=settings)
    waiting = state_of(session, incident["id"])
    assert (waiting.deadline, waiting.escalated, waiting.escalation_count) == ("red", False, 1)
    client.post(f"/api/v1/incidents/{incident['id']}/handoffs/{up['id']}/sign",
                headers=township.headers)
    sweep(session, now=now, settings=settings)
    moved = state_of(session, incident["id"])
    assert (moved.owner_code, moved.escalated, moved.escalation_count) == (
        place.grid_code[:6], True, 2)


def test_a_suspended_incident_is_not_swept(client, session, settings, people, place, minor,
                                           units):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    for action, fields in (("file", {}), ("suspend", {"reason": "等待产权认定"})):
        current = client.get(f"/api/v1/incidents/{incident['id']}",
                             headers=village.headers).json()["version"]
        client.post(f"/api/v1/incidents/{incident['id']}/actions/{action}",
                    json={"version": current, **fields}, headers=village.headers)
    now = now_utc()
    set_clock(session, incident["id"], warn=now - timedelta(days=2),
              due=now - timedelta(days=1))
    sweep(session, now=now, settings=settings)
    assert state_of(session, incident["id"]).colour == "green"


def test_an_unsigned_hand_off_expires_and_goes_one_level_further(client, session, settings,
                                                                 people, place, minor):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    up = client.post(f"/api/v1/incidents/{incident['id']}/handoffs",
                     json={"kind": "escalate", "version": 1, "reason": "需要镇里"},
                     headers=village.headers).json()
    session.execute(text("UPDATE handoff SET due_at = now() - interval '1 minute' "
                         "WHERE id = :id"), {"id": up["id"]})
    result = sweep(session, now=now_utc(), settings=settings)
    assert result.handoffs_expired >= 1
    rows = session.execute(text("SELECT status, to_code, created_by FROM handoff "
                                "WHERE subject_type = 'incident' AND subject_id = :id "
                                "ORDER BY id"), {"id": incident["id"]}).all()
    assert [tuple(r) for r in rows] == [
        ("expired", place.grid_code[:9], village.principal.username),
        ("pending", place.grid_code[:6], "system")]
    after = state_of(session, incident["id"])
    assert (after.owner_code, after.owner_unit_id) == (
        place.grid_code[:6], centre_at(session, place.grid_code[:6]))
    timeline = client.get(f"/api/v1/incidents/{incident['id']}",
                          headers=people["county_dispatcher"].headers).json()["timeline"]
    assert timeline[-1]["action"] == "handoff.escalate" and timeline[-1]["actor"] == "system"


def test_two_sweeps_at_once_escalate_once(engine, settings, demo_city):
    """Committed data, two sweeps in two transactions started together: the second waits
    on the first's advisory lock, then finds nothing left; each incident is escalated
    once. The rows made here are removed at the end."""
    with Session(engine) as setup:
        ids = _overdue_incidents(setup, settings, 5)
        setup.commit()
    try:
        results, barrier = [], threading.Barrier(2)

        def run() -> None:
            with Session(engine) as session:
                barrier.wait()
                results.append(sweep(session, now=now_utc(), settings=settings))
                session.commit()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(results) == 2
        with Session(engine) as check:
            escalations = check.execute(text(
                "SELECT subject_id, count(*) FROM handoff WHERE subject_type = 'incident' "
                "AND subject_id = ANY(:ids) AND kind = 'escalate' GROUP BY subject_id"),
                {"ids": ids}).all()
        assert sorted(escalations) == [(i, 1) for i in sorted(ids)]
        assert sorted(r.by_case_type["incident"]["escalated"] for r in results)[0] == 0
    finally:
        with Session(engine) as cleanup:
            _remove(cleanup, ids)
            cleanup.commit()


def _overdue_incidents(session, settings, count: int) -> list[int]:
    """Reports by the first village's staff, with their clocks run out."""
    from grid.incidents.schemas import ReportIn
    from grid.incidents.service import report as report_incident
    from tests.grid.incidents.conftest import person_of, place_in_village

    staff = person_of(session, settings, "demo_village_staff").principal
    place = place_in_village(session, settings, staff.scope_code)
    category = session.scalar(text("SELECT code FROM category WHERE level = 'minor' "
                                   "AND active ORDER BY code LIMIT 1"))
    ids = [report_incident(session, principal=staff, settings=settings,
                           idempotency_key=f"sweep-race-{uuid.uuid4()}",
                           data=ReportIn.model_validate(report_body(place, category))
                           ).incident.id for _ in range(count)]
    session.execute(text(
        "UPDATE case_clock SET warn_at = now() - interval '1 day', "
        "due_at = now() - interval '1 hour' WHERE subject_type = 'incident' "
        "AND subject_id = ANY(:ids) AND stopped_at IS NULL"), {"ids": ids})
    return ids


def _remove(session, ids: list[int]) -> None:
    for table in ("case_clock", "timeline_event", "handoff"):
        session.execute(text(f"DELETE FROM {table} WHERE subject_type = 'incident' "
                             f"AND subject_id = ANY(:ids)"), {"ids": ids})
    session.execute(text("DELETE FROM incident WHERE id = ANY(:ids)"), {"ids": ids})
