"""The proxy agent's field tool (convenience/static/field/proxy.js; issue 15 §3, §5) as its
API sees it: a 代办员 gets the 帮代办 tool; an application he takes on a resident's
doorstep needs the resident's consent (422 `consent_required`, nothing written), carries
the consent's signature and the materials' photos as attachments, and comes from the
phone's queue under an Idempotency-Key: a replay answers with the first and takes nothing
twice; his queue lists it; his row counts the trips he saved residents once it is done."""

from sqlalchemy import text

from convenience.services import desks
from tests.conftest import bearer
from tests.convenience.services.conftest import application_data
from tests.factories import png_base64

URL = "/api/v1/convenience/applications"


def _as(settings, agent) -> dict:
    return bearer(settings, role=str(agent.role), scope_code=agent.scope_code,
                  user_id=agent.user_id, username=agent.username)


def _body(items, places, **extra) -> dict:
    signature = {"content_type": "image/png", "file_name": "consent-signature.png",
                 "data": png_base64((0, 0, 0))}
    photo = {"content_type": "image/png", "data": png_base64((200, 120, 10))}
    return application_data(items["township"], places["station"], channel="proxy",
                            consent=True, consent_note="申请人在代办员手机上签名授权代办",
                            materials=[signature, photo], **extra)


def _written(session, key: str) -> tuple:
    return session.execute(text(
        "SELECT count(DISTINCT a.id), count(t.id) FROM svc_application a "
        "LEFT JOIN attachment t ON t.subject_type = 'svc_application' AND t.subject_id = a.id "
        "WHERE a.idempotency_key = :k"), {"k": key}).one()


def test_a_proxy_agent_gets_the_proxy_tool(anonymous, settings, agent):
    answer = anonymous.get("/api/v1/field/tools", headers=_as(settings, agent))
    assert answer.status_code == 200, answer.text
    tools = answer.json()["tools"]
    assert [(t["key"], t["label"], t["module"]) for t in tools] == [
        ("convenience.proxy", "帮代办", "/static/convenience/field/proxy.js")]
    [membership] = answer.json()["memberships"]
    assert (membership["position"], membership["platform"]) == ("proxy_agent", "convenience")


def test_taken_by_proxy_with_consent_once_per_key(anonymous, settings, session, items,
                                                  places, agent, point_items):
    headers = _as(settings, agent) | {"Idempotency-Key": "proxy-key-1"}
    no_consent = _body(items, places) | {"consent": False}
    refused = anonymous.post(URL, json=no_consent, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "consent_required"
    assert _written(session, "proxy-key-1") == (0, 0)

    first = anonymous.post(URL, json=_body(items, places), headers=headers)
    assert first.status_code == 201, first.text
    taken = first.json()
    assert (taken["channel"], taken["proxy_user_id"]) == ("proxy", agent.user_id)
    assert taken["consent_at"] and "Idempotent-Replayed" not in first.headers
    again = anonymous.post(URL, json=_body(items, places), headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == taken["id"] and again.json()["number"] == taken["number"]
    assert _written(session, "proxy-key-1") == (1, 2)  # the signature and the photo, once

    other = anonymous.post(URL, json=_body(items, places, applicant_name="李四"),
                           headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"

    mine = anonymous.get(f"{URL}?queue=proxy", headers=_as(settings, agent)).json()
    assert [a["id"] for a in mine] == [taken["id"]]


def test_the_agents_row_counts_the_trips_he_saved(anonymous, settings, session, items,
                                                  places, agent, point_items):
    desks.register_agent(session, user_id=agent.user_id, unit_id=places["station"].id,
                         tier="village", name="测试代办员")
    headers = _as(settings, agent) | {"Idempotency-Key": "proxy-key-2"}
    taken = anonymous.post(URL, json=_body(items, places), headers=headers).json()
    row = _row(anonymous, settings, agent)
    assert (row["open"], row["done"], row["trips_saved"], row["tier_label"]) == (
        1, 0, 0, "村级代办员")
    # Done (the back office's moves are the applications tests'): the item's visits saved.
    session.execute(text("UPDATE svc_application SET state = 'done' WHERE id = :id"),
                    {"id": taken["id"]})
    row = _row(anonymous, settings, agent)
    assert (row["open"], row["done"], row["trips_saved"]) == (0, 1, items["township"].visits)


def _row(anonymous, settings, agent) -> dict:
    agents = anonymous.get("/api/v1/convenience/proxy-agents",
                           headers=_as(settings, agent)).json()
    return next(a for a in agents if a["user_id"] == agent.user_id)
