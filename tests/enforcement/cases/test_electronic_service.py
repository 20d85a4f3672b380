"""电子送达 through HTTP (行政处罚法第六十一条第二款): only with the party's signed
送达地址确认书 recorded on the case as evidence, naming the address; a refusal is a 422
problem+json with a stable code and writes nothing."""

from enforcement.cases.models import Case
from tests.enforcement.cases.conftest import MATTER, move
from tests.enforcement.cases.test_api import BASE, _body, as_

CONSENT = {"kind": "documentary", "title": "送达地址确认书",
           "content": "本人同意以电子邮件接收行政处罚文书，电子送达地址：zs@example.cn。签名：张三"}


def _decided(client, session, settings, desk) -> Case:
    opened = client.post(BASE, json=_body(session, desk))
    assert opened.status_code == 201, opened.text
    case = session.get(Case, opened.json()["id"])
    move(session, settings, desk, case, "file", matter_code=MATTER)
    move(session, settings, desk, case, "conclude", "officer_a")
    move(session, settings, desk, case, "notify", "officer_a", penalty_types=["warning"])
    move(session, settings, desk, case, "decide", outcome="penalty", penalty_types=["warning"])
    return case


def _serve(client, case_id, **fields):
    version = client.get(f"{BASE}/{case_id}").json()["version"]
    return client.post(f"{BASE}/{case_id}/actions/serve",
                       json={"version": version, "service_method": "electronic", **fields})


def _refused(client, case_id, code, **fields) -> None:
    before = client.get(f"{BASE}/{case_id}").json()
    answer = _serve(client, case_id, **fields)
    assert answer.status_code == 422 and answer.json()["code"] == code, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    after = client.get(f"{BASE}/{case_id}").json()
    assert (after["state"], after["version"]) == ("decided", before["version"])


def test_electronic_service_with_and_without_the_signed_confirmation(session, settings, desk,
                                                                    anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    case = _decided(client, session, settings, desk)
    _refused(client, case.id, "electronic_consent_required", service_address="zs@example.cn")
    other = client.post(BASE, json=_body(session, desk)).json()
    foreign = client.post(f"{BASE}/{other['id']}/evidence", json=CONSENT)
    assert foreign.status_code == 201, foreign.text
    _refused(client, case.id, "electronic_consent_invalid",
             service_consent_id=foreign.json()["id"],
             service_address="zs@example.cn")
    consent = client.post(f"{BASE}/{case.id}/evidence", json=CONSENT)
    consent_id = consent.json()["id"]
    _refused(client, case.id, "electronic_address_not_consented",
             service_consent_id=consent_id, service_address="other@example.cn")
    served = _serve(client, case.id, service_consent_id=consent_id,
                    service_address="zs@example.cn")
    assert served.status_code == 200, served.text
    assert served.json()["state"] == "served"
    session.refresh(case)
    assert (case.service_method, case.electronic_consent) == ("electronic", True)
