"""The lifecycle through the API: the seven steps, the side states, the clock, merging."""

from datetime import datetime

from sqlalchemy import text

from tests.grid.incidents.conftest import act, member_of, png_base64, report, report_body


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_the_seven_steps_end_to_end(client, session, people, place, minor, units):
    village, supervisor = people["village_staff"], people["supervisor"]
    worker = place.worker
    incident = report(client, worker, report_body(place, minor)).json()
    steps = [
        (village, "file", {}, "filed", "dispatch"),
        (village, "dispatch", {"handler_unit_id": units["village_centre"]}, "dispatched",
         "handling"),
        (village, "accept", {}, "handling", "handling"),
        (village, "handle", {}, "handled", "verification"),
        (worker, "verify", {}, "verified", None),
        (village, "close", {}, "closed", None),
        (supervisor, "evaluate", {"rating": 5}, "evaluated", None),
    ]
    version = incident["version"]
    for person, action, fields, state, step in steps:
        response = act(client, person, incident, action, version, **fields)
        assert response.status_code == 200, (action, response.text)
        body = response.json()
        assert (body["state"], body["step"], body["version"]) == (state, step, version + 1)
        version = body["version"]
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=village.headers).json()
    assert [(e["action"], e["to_state"]) for e in detail["timeline"]] == [
        ("report", "reported"), ("file", "filed"), ("dispatch", "dispatched"),
        ("accept", "handling"), ("handle", "handled"), ("verify", "verified"),
        ("close", "closed"), ("evaluate", "evaluated")]
    assert [e["actor"] for e in detail["timeline"]][4:6] == ["demo_village_staff",
                                                             worker.principal.username]
    assert detail["rating"] == 5
    assert detail["handler_unit"]["id"] == units["village_centre"]
    assert detail["handler_unit"]["name"]
    # The step clocks, one per step, each stopped when its step ended.
    assert [c["name"] for c in detail["clocks"]] == ["step"] * 4
    assert all(c["stopped_at"] for c in detail["clocks"])
    # The grid's worker is told to verify (核查), besides the holding centre's desks.
    told = session.scalar(text(
        "SELECT payload FROM outbox_message WHERE topic = 'incident.handled' "
        "AND payload->>'subject_id' = :id"), {"id": str(incident["id"])})
    assert told["user_ids"] == [worker.principal.user_id]
    assert told["audience"]["unit_ids"] == [units["village_centre"]]
    audited = session.scalars(text("SELECT action FROM audit_event WHERE subject_type = "
                                   "'incident' AND subject_id = :id ORDER BY id"),
                              {"id": str(incident["id"])}).all()
    assert audited == ["incident.report", "incident.file", "incident.dispatch",
                       "incident.accept", "incident.handle", "incident.verify",
                       "incident.close", "incident.evaluate"]


def test_an_illegal_move_is_409_naming_the_allowed_ones(client, people, place, minor):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    response = act(client, village, incident, "close", incident["version"])
    assert response.status_code == 409
    problem = response.json()
    assert problem["current_state"] == "reported"
    assert problem["allowed"] == ["file", "void", "merge"]
    assert "file, void, merge" in problem["detail"]


def test_a_stale_version_is_409_naming_the_current_state(client, people, place, minor):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    assert act(client, village, incident, "file", 1).status_code == 200
    stale = act(client, village, incident, "void", 1, reason="重复")
    assert stale.status_code == 409
    assert (stale.json()["current_state"], stale.json()["current_version"]) == ("filed", 2)


def test_a_role_without_the_move_is_403(client, people, place, minor):
    incident = report(client, place.worker, report_body(place, minor)).json()
    response = act(client, place.worker, incident, "file", 1)
    assert response.status_code == 403 and "grid_worker may not file" in response.json()["detail"]


def test_outside_the_territory_is_404(client, session, settings, people, place, minor):
    from tests.conftest import bearer

    incident = report(client, place.worker, report_body(place, minor)).json()
    other_village = session.scalar(text(
        "SELECT min(code) FROM area WHERE level = 'village' AND code > :v"),
        {"v": place.grid_code[:12]})
    outsider = bearer(settings, role="village_staff", scope_code=other_village,
                      username="outsider")
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=outsider).status_code == 404
    moved = client.post(f"/api/v1/incidents/{incident['id']}/actions/file",
                        json={"version": 1}, headers=outsider)
    assert moved.status_code == 404
    listed = client.get("/api/v1/incidents", headers=outsider).json()
    assert incident["id"] not in [i["id"] for i in listed["items"]]


def test_return_rework_and_the_counts(client, session, settings, people, place, minor, units):
    village = people["village_staff"]
    team = member_of(session, settings, units["township_team"])
    incident = report(client, place.worker, report_body(place, minor)).json()
    for person, action, fields in [
            (village, "file", {}),
            (village, "dispatch", {"handler_unit_id": units["township_team"]}),
            (team, "return", {"reason": "不属于本单位"}),
            (village, "dispatch", {"handler_unit_id": units["village_centre"]}),
            (village, "accept", {}), (village, "handle", {}),
            (village, "rework", {"reason": "垃圾仍在"}), (village, "handle", {})]:
        response = act(client, person, incident, action, **fields)
        assert response.status_code == 200, (action, response.text)
    body = response.json()
    assert (body["state"], body["rework_count"], body["handler_unit"]["id"]) == (
        "handled", 1, units["village_centre"])


def test_only_the_handling_unit_takes_the_task(client, session, settings, people, place,
                                               minor, units):
    """A task dispatched to the township's 执法队 is its members' to sign: the village
    desk may not, and is not offered the move."""
    village = people["village_staff"]
    team = member_of(session, settings, units["township_team"])
    incident = report(client, place.worker, report_body(place, minor)).json()
    act(client, village, incident, "file")
    act(client, village, incident, "dispatch", handler_unit_id=units["township_team"])
    seen = client.get(f"/api/v1/incidents/{incident['id']}", headers=village.headers).json()
    assert "accept" not in seen["allowed_actions"]
    refused = act(client, village, incident, "accept")
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_task"
    theirs = client.get(f"/api/v1/incidents/{incident['id']}", headers=team.headers).json()
    assert "accept" in theirs["allowed_actions"]
    assert act(client, team, incident, "accept").status_code == 200


def test_dispatch_goes_to_a_unit_that_covers_the_incident(client, session, people, place,
                                                          minor, units):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    act(client, village, incident, "file")
    elsewhere = session.scalar(text(
        "SELECT id FROM unit WHERE kind = 'centre' AND length(seat_code) = 12 "
        "AND seat_code <> :v ORDER BY seat_code LIMIT 1"), {"v": place.grid_code[:12]})
    refused = act(client, village, incident, "dispatch", handler_unit_id=elsewhere)
    assert refused.status_code == 422 and refused.json()["code"] == "dispatch_unit_outside"
    missing = act(client, village, incident, "dispatch")
    assert missing.status_code == 422 and missing.json()["code"] == "handler_unit_required"
    unknown = act(client, village, incident, "dispatch", handler_unit_id=10**9)
    assert unknown.status_code == 422 and unknown.json()["code"] == "unit_unknown"


def test_suspension_stops_the_clock(client, session, people, place, minor, units):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    act(client, village, incident, "file")
    before = act(client, village, incident, "dispatch",
                 handler_unit_id=units["village_centre"]).json()
    suspended = act(client, village, incident, "suspend", reason="等待产权认定").json()
    assert suspended["state"] == "suspended"
    # Pretend the suspension began two days ago: resuming now gives back the office time
    # that was left then, counted from now.
    clock = ("FROM case_clock WHERE subject_type = 'incident' AND subject_id = :id "
             "AND stopped_at IS NULL")
    session.execute(text(f"UPDATE case_clock SET paused_at = paused_at - interval '2 days' "
                         f"WHERE id = (SELECT id {clock})"), {"id": incident["id"]})
    left = session.scalar(text(f"SELECT remaining_seconds {clock}"), {"id": incident["id"]})
    resumed = act(client, village, incident, "resume").json()
    assert resumed["state"] == "dispatched" and resumed["step"] == "handling"
    from core.workflow.calendar_store import load_calendar

    calendar = load_calendar(session, settings=client.app.state.settings)
    expected = calendar.add_working_seconds(at(resumed_event_time(client, village, incident)),
                                            left)
    assert abs((at(resumed["step_due_at"]) - expected).total_seconds()) < 1
    assert at(resumed["step_due_at"]) >= at(before["step_due_at"])


def resumed_event_time(client, person, incident) -> str:
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=person.headers).json()
    return [e["at"] for e in detail["timeline"] if e["action"] == "resume"][-1]


def test_merging_keeps_every_reporter_and_photo(client, session, people, place, minor):
    village = people["village_staff"]
    patrol = people["township_staff"]
    target = report(client, place.worker, report_body(
        place, minor, photos=[{"content_type": "image/png", "data": png_base64((1, 2, 3))}]
    )).json()
    duplicate = report(client, patrol, report_body(
        place, minor, photos=[{"content_type": "image/png", "data": png_base64((9, 9, 9))}]
    )).json()
    assert duplicate["duplicate_candidates"][0] == target["id"]
    merged = act(client, village, duplicate, "merge", into=target["id"], reason="同一处垃圾")
    assert merged.status_code == 200, merged.text
    assert merged.json()["state"] == "merged" and merged.json()["merged_into"] == target["id"]
    kept = client.get(f"/api/v1/incidents/{target['id']}", headers=village.headers).json()
    assert sorted(kept["reporters"]) == sorted([place.worker.principal.user_id,
                                                patrol.principal.user_id])
    assert len(kept["photos"]) == 2
    assert kept["timeline"][-1]["action"] == "merged_in"
    # Merging into itself, or into a finished incident, is refused.
    assert act(client, village, target, "merge", into=target["id"]).status_code == 422
