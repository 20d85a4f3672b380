"""The HTTP API: opening, the queue by incident, step and clock colour, a case's detail
(clocks with their citations, parties masked, evidence, documents, links), moves with
`{"version": N}` and problem+json refusals with stable codes; and the referral round trip
— an incident referred (转办) to an enforcement unit becomes a linked case carrying its
photos, and the case's closing shows on the incident's timeline."""

from sqlalchemy import text

from core.workflow import links, outbox
from core.workflow.clocks import Subject
from grid.incidents import handoffs as incident_handoffs
from grid.incidents.schemas import HandoffIn
from tests.conftest import bearer
from tests.enforcement.cases.conftest import CITIZEN_ID, MATTER, grid_code, move
from tests.factories import make_incident, principal_of

BASE = "/api/v1/enforcement/cases"


def as_(anonymous, settings, desk, who: str):
    anonymous.headers.update(bearer(settings, role="enforcement_officer",
                                    scope_code=desk.township, user_id=desk.ids[who],
                                    username=f"enf-test-{who}"))
    return anonymous


def _body(session, desk, **extra):
    return {"unit_id": desk.unit.id, "title": "占道经营", "facts": "人行道摆摊",
            "area_code": grid_code(session, desk.township),
            "officer_ids": [desk.ids["officer_a"], desk.ids["officer_b"]],
            "parties": [{"kind": "citizen", "name": "张三", "id_number": CITIZEN_ID,
                         "phone": "13800138000"}], **extra}


def test_open_list_read_and_move_through_http(session, settings, desk, anonymous):
    client = as_(anonymous, settings, desk, "head")
    from tests.factories import point_in

    lon, lat = point_in(session, grid_code(session, desk.township))
    located = _body(session, desk, location={"type": "Point", "coordinates": [lon, lat]})
    created = client.post(BASE, json=located, headers={"Idempotency-Key": "k-1"})
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["location"] == [lon, lat]
    assert case["state"] == "clue" and case["state_label"] == "待核查"
    step = next(c for c in case["clocks"] if c["name"] == "step")
    assert step["colour"] == "green" and "第二十三条" in step["citation"] and step["due"]
    assert case["parties"][0]["id_number"] == "110105********002X"
    assert case["parties"][0]["phone"] == "138****8000"
    replay = client.post(BASE, json=located, headers={"Idempotency-Key": "k-1"})
    assert replay.json()["id"] == case["id"] and replay.headers["Idempotent-Replayed"] == "true"

    listed = client.get(BASE, params={"step": "verify", "clock": "green"}).json()
    assert case["id"] in [item["id"] for item in listed["items"]]
    assert client.get(BASE, params={"clock": "red", "step": "verify"}).json()["total"] == 0
    faceted = client.get(BASE, params={"facets": "true", "sort": "deadline"}).json()
    assert faceted["by_step"]["verify"] >= 1 and faceted["by_clock"]["green"] >= 1

    moved = client.post(f"{BASE}/{case['id']}/actions/file",
                        json={"version": case["version"], "matter_code": MATTER})
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "investigating"
    detail = client.get(f"{BASE}/{case['id']}").json()
    decision = next(c for c in detail["clocks"] if c["name"] == "decision")
    assert "第六十条" in decision["citation"] and decision["due"]
    assert detail["matter"]["code"] == MATTER and "documents" in detail and "links" in detail


def test_refusals_are_problems_with_stable_codes_and_write_nothing(session, settings, desk,
                                                                   anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    case = client.post(BASE, json=_body(session, desk)).json()
    stale = client.post(f"{BASE}/{case['id']}/actions/file",
                        json={"version": case["version"] + 5, "matter_code": MATTER})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.headers["content-type"].startswith("application/problem+json")
    not_head = client.post(f"{BASE}/{case['id']}/actions/file",
                           json={"version": case["version"], "matter_code": MATTER})
    assert not_head.status_code == 403 and not_head.json()["code"] == "position_required"
    wrong_state = client.post(f"{BASE}/{case['id']}/actions/serve",
                              json={"version": case["version"], "service_method": "direct"})
    assert wrong_state.status_code == 409 and wrong_state.json()["code"] == "move_not_allowed_now"
    unknown = client.post(f"{BASE}/{case['id']}/actions/nothing", json={"version": 1})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_action"
    simple = client.post(BASE, json=_body(session, desk, procedure="simple", officer_ids=[],
                                          penalty={"penalty_types": ["fine"],
                                                   "fine_fen": 20_001, "party_signed": True}))
    assert simple.status_code == 422 and simple.json()["code"] == "simple_limit_exceeded"
    assert simple.json()["limit_fen"] == 20_000
    bad_id = client.post(BASE, json=_body(session, desk, parties=[
        {"kind": "citizen", "name": "x", "id_number": "110105194912310021"}]))
    assert bad_id.status_code == 422 and bad_id.json()["code"] == "party_id_invalid"
    after = client.get(f"{BASE}/{case['id']}").json()
    assert (after["state"], after["version"]) == (case["state"], case["version"])
    assert client.get(f"{BASE}/999999999").status_code == 404


def test_a_referred_incident_becomes_a_case_and_hears_when_it_closes(session, settings, desk,
                                                                     anonymous):
    grid = grid_code(session, desk.township)
    incident_id = make_incident(session, settings, grid_code=grid, photo=True,
                                description="商户占道经营，多次劝导无效")
    staff = principal_of(session, "demo_township_staff")
    from core.security import Principal
    from core.units.service import grants_of

    staff = Principal(staff.user_id, staff.username, staff.role, staff.scope_code,
                      grants_of(session, user_id=staff.user_id))
    version = session.execute(text("SELECT version FROM incident WHERE id = :id"),
                              {"id": incident_id}).scalar_one()
    handoff = incident_handoffs.hand_off(session, incident_id=incident_id, principal=staff,
                                         settings=settings, data=HandoffIn(
                                             kind="refer", version=version,
                                             to_unit_id=desk.unit.id, reason="转综合执法处理"))
    session.flush()
    outbox.deliver_pending(session, channels=[])
    # Referred: in the unit's sign queue, no case yet.
    assert not links.linked(session, Subject("incident", incident_id), kind="referred",
                            other_type="enforcement_case")
    # The receiving unit signs the hand-off: a case in its queue, linked.
    incident_handoffs.answer_handoff(session, incident_id=incident_id, handoff_id=handoff.id,
                                     sign=True, reason=None, principal=desk.people["head"],
                                     settings=settings)
    session.flush()
    outbox.deliver_pending(session, channels=[])
    opened = links.linked(session, Subject("incident", incident_id), kind="referred",
                          other_type="enforcement_case")
    assert len(opened) == 1
    # Delivered again (a retried message): still one case.
    from enforcement.cases.referral import open_from_referral

    assert open_from_referral(session, {"to_platform": "enforcement",
                                        "subject_type": "incident",
                                        "subject_id": incident_id}) is None
    client = as_(anonymous, settings, desk, "head")
    queue = client.get(BASE, params={"incident": incident_id}).json()
    assert [item["id"] for item in queue["items"]] == [opened[0].id]
    detail = client.get(f"{BASE}/{opened[0].id}").json()
    assert detail["source"] == "grid_referral" and detail["state"] == "clue"
    assert {"type": "incident", "id": incident_id} in [
        {"type": link["type"], "id": link["id"]} for link in detail["links"]]
    carried = [e for e in detail["evidence"] if e["from"] == {"type": "incident",
                                                              "id": incident_id}]
    assert carried and carried[0]["kind"] == "audiovisual" and len(carried[0]["sha256"]) == 64

    from enforcement.cases.models import Case

    case = session.get(Case, opened[0].id)
    case.officer_ids = [desk.ids["officer_a"], desk.ids["officer_b"]]
    session.flush()
    move(session, settings, desk, case, "file", matter_code=MATTER)
    move(session, settings, desk, case, "conclude", "officer_a")
    move(session, settings, desk, case, "notify", "officer_a", penalty_types=["warning"])
    move(session, settings, desk, case, "decide", outcome="penalty", penalty_types=["warning"])
    move(session, settings, desk, case, "serve", "officer_a", service_method="direct")
    move(session, settings, desk, case, "close")
    events = session.execute(text(
        "SELECT action FROM timeline_event WHERE subject_type = 'incident' AND subject_id = :id"),
        {"id": incident_id}).scalars().all()
    assert "enforcement_case.closed" in events


def test_evidence_of_the_eight_kinds_is_hashed_and_immutable(session, settings, desk,
                                                            anonymous):
    import hashlib

    import pytest
    from sqlalchemy.exc import DBAPIError

    from tests.factories import png_base64

    client = as_(anonymous, settings, desk, "officer_a")
    case = client.post(BASE, json=_body(session, desk)).json()
    photo = client.post(f"{BASE}/{case['id']}/evidence", json={
        "kind": "audiovisual", "title": "现场照片",
        "file": {"content_type": "image/png", "data": png_base64(), "lon": 113.15,
                 "lat": 27.83, "taken_at": "2026-12-01T10:00:00+08:00",
                 "device": "HUAWEI P60"}})
    assert photo.status_code == 201, photo.text
    assert len(photo.json()["sha256"]) == 64 and photo.json()["attachment_id"]
    record = client.post(f"{BASE}/{case['id']}/evidence", json={
        "kind": "inspection_record", "title": "现场检查笔录", "content": "当事人在人行道摆摊。"})
    assert record.json()["sha256"] == hashlib.sha256("当事人在人行道摆摊。".encode()).hexdigest()
    empty = client.post(f"{BASE}/{case['id']}/evidence", json={"kind": "witness", "title": "x"})
    assert empty.status_code == 422 and empty.json()["code"] == "evidence_empty"
    bad_kind = client.post(f"{BASE}/{case['id']}/evidence", json={"kind": "rumour",
                                                                  "title": "x", "content": "y"})
    assert bad_kind.status_code == 422
    detail = client.get(f"{BASE}/{case['id']}").json()
    assert [e["kind_label"] for e in detail["evidence"]] == ["视听资料", "勘验笔录、现场笔录"]
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("UPDATE enforcement_evidence SET content = 'changed' "
                             "WHERE id = :id"), {"id": record.json()["id"]})


def test_a_returned_referral_makes_no_case(session, settings, desk):
    from core.security import Principal
    from core.units.service import grants_of

    incident_id = make_incident(session, settings, grid_code=grid_code(session, desk.township))
    staff = principal_of(session, "demo_township_staff")
    staff = Principal(staff.user_id, staff.username, staff.role, staff.scope_code,
                      grants_of(session, user_id=staff.user_id))
    version = session.execute(text("SELECT version FROM incident WHERE id = :id"),
                              {"id": incident_id}).scalar_one()
    handoff = incident_handoffs.hand_off(session, incident_id=incident_id, principal=staff,
                                         settings=settings, data=HandoffIn(
                                             kind="refer", version=version,
                                             to_unit_id=desk.unit.id, reason="转综合执法"))
    incident_handoffs.answer_handoff(session, incident_id=incident_id, handoff_id=handoff.id,
                                     sign=False, reason="不属于本队管辖",
                                     principal=desk.people["head"], settings=settings)
    session.flush()
    outbox.deliver_pending(session, channels=[])
    assert not links.linked(session, Subject("incident", incident_id), kind="referred",
                            other_type="enforcement_case")


def test_a_repeated_key_shows_nothing_to_someone_outside_the_unit(session, settings, desk,
                                                                  anonymous):
    """The unit is checked before the Idempotency-Key is looked up: another officer who
    names the same unit and key gets a 403, not the case and its parties."""
    body = _body(session, desk)
    first = as_(anonymous, settings, desk, "head").post(
        BASE, json=body, headers={"Idempotency-Key": "k-unit-first"})
    assert first.status_code == 201, first.text
    anonymous.headers.update(bearer(settings, role="enforcement_officer",
                                    scope_code=desk.township, username="enf-test-stranger"))
    replay = anonymous.post(BASE, json=body, headers={"Idempotency-Key": "k-unit-first"})
    assert replay.status_code == 403 and replay.json()["code"] == "not_a_member"
    assert "parties" not in replay.json()
