"""当场处罚 as the field app sends it (enforcement/static/field/spot.js): one POST with the
party's signature and the scene's photos as the case's `evidence`, under one
Idempotency-Key — a replay stores nothing twice; a warning, which closes the case at once,
still carries its signature; above the ceiling, a 422 naming the limit (its amount, key and
citation, which the page puts in words) and nothing written.
"""

from sqlalchemy import text

from tests.conftest import bearer
from tests.enforcement.cases.conftest import CITIZEN_ID, grid_code
from tests.factories import png_base64

URL = "/api/v1/enforcement/cases"


def _headers(settings, desk, who: str, key: str) -> dict:
    principal = desk.people[who]
    return {**bearer(settings, role=str(principal.role), scope_code=principal.scope_code,
                     user_id=principal.user_id, username=principal.username),
            "Idempotency-Key": key}


def _body(session, desk, *, fine_fen=None, warning=False, signed=True) -> dict:
    types = (["warning"] if warning else []) + (["fine"] if fine_fen else [])
    evidence = [{"kind": "audiovisual", "title": "现场照片 1",
                 "file": {"content_type": "image/png", "data": png_base64((10, 120, 200))}}]
    if signed:
        evidence.insert(0, {"kind": "documentary", "title": "当场处罚决定书·当事人签名",
                            "file": {"content_type": "image/png", "file_name": "signature.png",
                                     "data": png_base64((0, 0, 0))}})
    return {"procedure": "simple", "unit_id": desk.unit.id, "title": "占道经营",
            "area_code": grid_code(session, desk.township), "officer_ids": [desk.ids["officer_a"]],
            "parties": [{"kind": "citizen", "name": "张三", "id_number": CITIZEN_ID}],
            "penalty": {"penalty_types": types, "fine_fen": fine_fen, "party_signed": signed,
                        "refusal_noted": None if signed else "拒绝签名"},
            "evidence": evidence}


def _evidence(session, case_id: int) -> list:
    return session.execute(text(
        "SELECT e.kind, a.content_type FROM enforcement_evidence e "
        "JOIN attachment a ON a.id = e.attachment_id WHERE e.case_id = :c ORDER BY e.id"),
        {"c": case_id}).all()


def test_a_decision_with_its_signature_and_photo_is_filed_once(anonymous, settings, session,
                                                                desk):
    headers = _headers(settings, desk, "officer_a", "spot-key-1")
    body = _body(session, desk, fine_fen=20_000)
    first = anonymous.post(URL, json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = anonymous.post(URL, json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    case = first.json()
    assert again.json()["id"] == case["id"]
    assert (case["state"], case["fine_fen"]) == ("served", 20_000)
    assert [d["kind"] for d in case["documents"] if d["number"]] == ["enf_on_spot"]
    assert _evidence(session, case["id"]) == [("documentary", "image/png"),
                                              ("audiovisual", "image/png")]


def test_a_warning_closes_the_case_and_keeps_its_signature(anonymous, settings, session, desk):
    response = anonymous.post(URL, json=_body(session, desk, warning=True),
                              headers=_headers(settings, desk, "officer_b", "spot-key-2"))
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "closed"
    assert [kind for kind, _ in _evidence(session, response.json()["id"])] == [
        "documentary", "audiovisual"]


def test_over_the_ceiling_is_refused_naming_it_and_nothing_is_written(anonymous, settings,
                                                                       session, desk):
    before = session.scalar(text("SELECT count(*) FROM enforcement_evidence"))
    response = anonymous.post(URL, json=_body(session, desk, fine_fen=20_001, signed=False),
                              headers=_headers(settings, desk, "officer_a", "spot-key-3"))
    assert response.status_code == 422
    problem = response.json()
    assert (problem["code"], problem["limit_fen"], problem["limit_key"]) == (
        "simple_limit_exceeded", 20_000, "simple_citizen_max")
    assert "第五十一条" in problem["citation"]
    assert session.scalar(text("SELECT count(*) FROM enforcement_evidence")) == before
    assert session.scalar(text("SELECT count(*) FROM enforcement_case WHERE owner_unit_id = :u"),
                          {"u": desk.unit.id}) == 0
