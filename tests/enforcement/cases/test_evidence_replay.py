"""Evidence sent from the officer's phone queue (enforcement/static/field/cases.js) carries
an Idempotency-Key: a replay answers with the first piece and records nothing more (one
evidence row, one attachment, one timeline event); the same key with another body is the
client's bug (422); a replay after the case closed still answers the first piece; the key
is unique per case, so another case takes the same key."""

from sqlalchemy import text

from tests.enforcement.cases.test_api import BASE, _body, as_
from tests.factories import png_base64


def _piece(colour=(200, 30, 30)) -> dict:
    return {"kind": "audiovisual", "title": "现场照片",
            "file": {"content_type": "image/png", "data": png_base64(colour), "lon": 113.15,
                     "lat": 27.83, "taken_at": "2026-12-01T10:00:00+08:00"}}


def _counts(session, case_id: int) -> tuple:
    return session.execute(text(
        "SELECT (SELECT count(*) FROM enforcement_evidence WHERE case_id = :c), "
        "(SELECT count(*) FROM attachment WHERE subject_type = 'enforcement_case' "
        " AND subject_id = :c), "
        "(SELECT count(*) FROM timeline_event WHERE subject_type = 'enforcement_case' "
        " AND subject_id = :c AND action = 'evidence')"), {"c": case_id}).one()


def test_evidence_replayed_with_its_key_is_recorded_once(session, settings, desk, anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    case = client.post(BASE, json=_body(session, desk)).json()
    url = f"{BASE}/{case['id']}/evidence"
    before = _counts(session, case["id"])
    first = client.post(url, json=_piece(), headers={"Idempotency-Key": "ev-1"})
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = client.post(url, json=_piece(), headers={"Idempotency-Key": "ev-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _counts(session, case["id"]) == tuple(n + 1 for n in before)

    other = client.post(url, json=_piece((0, 0, 0)), headers={"Idempotency-Key": "ev-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert _counts(session, case["id"]) == tuple(n + 1 for n in before)

    # A new key is a new piece; no key at all is recorded as before (online).
    second = client.post(url, json=_piece((0, 0, 0)), headers={"Idempotency-Key": "ev-2"})
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]
    text_piece = {"kind": "inspection_record", "title": "现场笔录", "content": "摆摊"}
    assert client.post(url, json=text_piece).status_code == 201
    # (the text is a piece and an event, no file)
    assert _counts(session, case["id"]) == (before[0] + 3, before[1] + 2, before[2] + 3)


def test_the_key_is_per_case_and_a_replay_outlives_the_close(session, settings, desk,
                                                             anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    one = client.post(BASE, json=_body(session, desk)).json()
    two = client.post(BASE, json=_body(session, desk)).json()
    piece = {"kind": "inspection_record", "title": "现场笔录", "content": "当事人在人行道摆摊。"}
    a = client.post(f"{BASE}/{one['id']}/evidence", json=piece, headers={"Idempotency-Key": "k"})
    b = client.post(f"{BASE}/{two['id']}/evidence", json=piece, headers={"Idempotency-Key": "k"})
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]
    # The phone lost the answer; the case was closed meanwhile: the first piece answers.
    session.execute(text("UPDATE enforcement_case SET state = 'closed' WHERE id = :c"),
                    {"c": one["id"]})
    again = client.post(f"{BASE}/{one['id']}/evidence", json=piece,
                        headers={"Idempotency-Key": "k"})
    assert again.status_code == 201 and again.json()["id"] == a.json()["id"]
    fresh = client.post(f"{BASE}/{one['id']}/evidence", json=piece,
                        headers={"Idempotency-Key": "k-new"})
    assert fresh.status_code == 409 and fresh.json()["code"] == "case_final"
    long_key = client.post(f"{BASE}/{two['id']}/evidence", json=piece,
                           headers={"Idempotency-Key": "x" * 200})
    assert long_key.status_code == 422
