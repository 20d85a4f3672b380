"""Hand-offs (流转): up a level, down, across to a platform; signed or returned."""

from sqlalchemy import text

from tests.grid.incidents.conftest import person_of, report, report_body


def hand_off(client, person, incident_id, version, **fields):
    return client.post(f"/api/v1/incidents/{incident_id}/handoffs",
                       json={"version": version, **fields}, headers=person.headers)


def answer(client, person, incident_id, handoff_id, verb, reason=None):
    body = {"reason": reason} if verb == "return" else None
    return client.post(f"/api/v1/incidents/{incident_id}/handoffs/{handoff_id}/{verb}",
                       json=body, headers=person.headers)


def detail(client, person, incident_id):
    return client.get(f"/api/v1/incidents/{incident_id}", headers=person.headers).json()


def _all_ids(client, person, queue: str) -> set[int]:
    """Every page of the queue: the whole suite's committed hand-offs (the demo history,
    other tests' journeys) may fill more than one page of a county unit's queue."""
    ids: set[int] = set()
    for offset in range(0, 100_000, 500):
        page = client.get(f"/api/v1/incidents?queue={queue}&limit=500&offset={offset}",
                          headers=person.headers).json()
        ids |= {item["id"] for item in page["items"]}
        if len(page["items"]) < 500:
            break
    return ids


def sign_ids(client, person):
    return _all_ids(client, person, "sign")


def queue_ids(client, person):
    return _all_ids(client, person, "mine")


def test_escalate_sign_escalate_return(client, people, place, minor):
    village, township = people["village_staff"], people["township_staff"]
    county = people["county_dispatcher"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    assert incident["id"] in queue_ids(client, village)

    up = hand_off(client, village, incident["id"], 1, kind="escalate", reason="村里处理不了")
    assert up.status_code == 201, up.text
    assert (up.json()["to_code"], up.json()["status"]) == (place.grid_code[:9], "pending")
    assert incident["id"] not in queue_ids(client, village)
    assert incident["id"] in queue_ids(client, township)
    # Another hand-off while one awaits a signature is refused.
    assert hand_off(client, township, incident["id"], 2, kind="escalate",
                    reason="需上级协调").status_code == 409
    # Only the receiving centre signs.
    assert answer(client, village, incident["id"], up.json()["id"], "sign").status_code == 403
    signed = answer(client, township, incident["id"], up.json()["id"], "sign")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"

    again = hand_off(client, township, incident["id"], 3, kind="escalate", reason="需区协调")
    assert again.json()["to_code"] == place.grid_code[:6]
    assert answer(client, county, incident["id"], again.json()["id"], "return").status_code == 422
    back = answer(client, county, incident["id"], again.json()["id"], "return", "镇里可以处理")
    assert back.json()["status"] == "returned" and back.json()["answer_reason"] == "镇里可以处理"
    after = detail(client, township, incident["id"])
    assert after["owner"]["code"] == place.grid_code[:9]
    assert after["escalation_count"] == 2
    assert [e["action"] for e in after["timeline"]] == [
        "report", "handoff.escalate", "handoff.sign", "handoff.escalate", "handoff.return"]
    assert all(e["actor"] for e in after["timeline"])


def test_assign_down_to_a_village_inside(client, session, people, place, minor, units):
    village, township = people["village_staff"], people["township_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    up = hand_off(client, village, incident["id"], 1, kind="escalate", reason="需上级协调").json()
    answer(client, township, incident["id"], up["id"], "sign")
    elsewhere = session.scalar(text(
        "SELECT id FROM unit WHERE kind = 'centre' AND seat_code LIKE :t || '%' "
        "AND length(seat_code) = 12 AND seat_code <> :v ORDER BY seat_code LIMIT 1"),
        {"t": place.grid_code[:9], "v": place.grid_code[:12]})
    wrong = hand_off(client, township, incident["id"], 3, kind="assign", to_unit_id=elsewhere)
    assert wrong.status_code == 422 and wrong.json()["code"] == "assign_target_invalid"
    down = hand_off(client, township, incident["id"], 3, kind="assign",
                    to_unit_id=units["village_centre"], reason="请村里处理")
    assert down.status_code == 201 and down.json()["to_code"] == place.grid_code[:12]
    assert answer(client, village, incident["id"], down.json()["id"], "sign").status_code == 200


def test_refer_across_to_an_enforcement_unit(client, session, settings, people, place, minor,
                                             units):
    """转办 to 综合执法 reaches the unit's officers: their queue, their inbox; the officer of
    another department in the same county sees none of it."""
    from core.workflow.outbox import InboxChannel, deliver_pending

    village, officer = people["village_staff"], people["enforcement_officer"]
    ecology = person_of(session, settings, "demo_ecology_officer")
    assert ecology.principal.scope_code[:6] == officer.principal.scope_code[:6]
    incident = report(client, place.worker, report_body(place, minor)).json()
    across = hand_off(client, village, incident["id"], 1, kind="refer",
                      to_unit_id=units["county_brigade"], reason="需要执法")
    assert across.status_code == 201, across.text
    assert across.json()["to_platform"] == "enforcement"
    assert incident["id"] in sign_ids(client, officer)
    assert incident["id"] not in sign_ids(client, ecology)
    # Not a member of the receiving unit: the market inspector may not sign.
    inspector = people["market_inspector"]
    assert answer(client, inspector, incident["id"], across.json()["id"], "sign").status_code == 403
    assert answer(client, officer, incident["id"], across.json()["id"], "sign").status_code == 200
    owner = detail(client, officer, incident["id"])["owner"]
    assert (owner["platform"], owner["unit_id"]) == ("enforcement", units["county_brigade"])
    assert incident["id"] in queue_ids(client, officer)
    assert incident["id"] not in queue_ids(client, ecology)
    while deliver_pending(session, channels=[InboxChannel()]):
        pass  # everything pending, this test's notice among it
    told = session.execute(text(
        "SELECT user_id FROM notification WHERE subject_type = 'incident' AND subject_id = :id "
        "AND topic = 'incident.handoff.refer'"), {"id": str(incident["id"])}).scalars().all()
    assert officer.principal.user_id in told and ecology.principal.user_id not in told


def test_refer_to_a_platform_finds_its_most_local_unit(client, people, place, minor, units):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    across = hand_off(client, village, incident["id"], 1, kind="refer",
                      to_platform="enforcement", reason="需要执法")
    assert across.status_code == 201, across.text
    assert across.json()["to_unit_id"] == units["township_team"]


def test_a_stale_version_and_a_finished_incident_cannot_be_handed_off(client, people, place,
                                                                      minor):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    assert hand_off(client, village, incident["id"], 7, kind="escalate",
                    reason="需上级协调").status_code == 409
    client.post(f"/api/v1/incidents/{incident['id']}/actions/void",
                json={"version": 1, "reason": "误报"}, headers=village.headers)
    done = hand_off(client, village, incident["id"], 2, kind="escalate", reason="需上级协调")
    assert done.status_code == 409 and done.json()["current_state"] == "void"


def test_grid_workers_cannot_hand_off(client, place, minor):
    incident = report(client, place.worker, report_body(place, minor)).json()
    refused = hand_off(client, place.worker, incident["id"], 1, kind="escalate",
                       reason="需上级协调")
    assert refused.status_code == 403
