"""The deadline sweep, in the test's transaction: colours, overdue escalation, and hand-offs
left unsigned past their limit."""

from datetime import timedelta

from sqlalchemy import text

from grid.incidents.service import now_utc
from grid.incidents.sweep import sweep
from tests.grid.incidents.conftest import report, report_body


def state_of(session, incident_id: int):
    return session.execute(text(
        "SELECT deadline, owner_code, escalation_count, overdue_escalated, version "
        "FROM incident WHERE id = :id"), {"id": incident_id}).one()


def test_colours_follow_the_stored_instants(client, session, settings, place, minor):
    ids = [report(client, place.worker, report_body(place, minor)).json()["id"]
           for _ in range(3)]
    now = now_utc()
    due = {ids[0]: (now + timedelta(hours=1), now + timedelta(hours=2)),  # green
           ids[1]: (now - timedelta(minutes=1), now + timedelta(hours=2)),  # yellow
           ids[2]: (now - timedelta(hours=2), now - timedelta(minutes=1))}  # red
    for incident, (warn, deadline) in due.items():
        session.execute(text("UPDATE incident SET step_warn_at = :w, step_due_at = :d "
                             "WHERE id = :id"), {"w": warn, "d": deadline, "id": incident})
    result = sweep(session, now=now, settings=settings)
    assert result.red >= 1 and result.yellow >= 1
    colours = [state_of(session, i).deadline for i in ids]
    assert colours == ["green", "yellow", "red"]
    # The overdue one went one level up, village → township, as a hand-off to sign.
    red = state_of(session, ids[2])
    assert (red.owner_code, red.escalation_count, red.overdue_escalated) == (
        place.grid_code[:9], 1, True)
    handoff = session.execute(text("SELECT kind, status, from_code, to_code, created_by "
                                   "FROM handoff WHERE incident_id = :id"), {"id": ids[2]}).one()
    assert tuple(handoff) == ("escalate", "pending", place.grid_code[:12], place.grid_code[:9],
                              "system")
    # Again: nothing changes.
    again = sweep(session, now=now, settings=settings)
    assert (again.escalated, state_of(session, ids[2]).escalation_count) == (0, 1)


def test_a_suspended_incident_is_not_swept(client, session, settings, people, place, minor):
    incident = report(client, place.worker, report_body(place, minor)).json()
    session.execute(text("UPDATE incident SET state = 'suspended', step_due_at = now() - "
                         "interval '1 day' WHERE id = :id"), {"id": incident["id"]})
    sweep(session, now=now_utc(), settings=settings)
    assert state_of(session, incident["id"]).deadline == "green"


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
                                "WHERE incident_id = :id ORDER BY id"),
                           {"id": incident["id"]}).all()
    assert [tuple(r) for r in rows] == [
        ("expired", place.grid_code[:9], village.principal.username),
        ("pending", place.grid_code[:6], "system")]
    assert state_of(session, incident["id"]).owner_code == place.grid_code[:6]
    timeline = client.get(f"/api/v1/incidents/{incident['id']}",
                          headers=people["county_dispatcher"].headers).json()["timeline"]
    assert timeline[-1]["action"] == "handoff.escalate" and timeline[-1]["actor"] == "system"
