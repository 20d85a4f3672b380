"""上报 needs its reason (grid/incidents/handoffs.py REASON_REQUIRED): an escalation with no
reason, or only blanks, is a 422 `reason_required` and writes nothing; 下派 and 转办 do
not need one."""

import pytest
from sqlalchemy import text

from tests.grid.incidents.conftest import report, report_body
from tests.grid.incidents.test_handoffs import detail, hand_off


@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_an_escalation_without_a_reason_is_refused(client, session, people, place, minor,
                                                   reason):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    fields = {"kind": "escalate"} | ({} if reason is None else {"reason": reason})
    refused = hand_off(client, village, incident["id"], 1, **fields)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "reason_required"
    # Nothing written: no hand-off row, the owner and version as they were.
    assert session.scalar(text("SELECT count(*) FROM handoff WHERE subject_type = 'incident' "
                               "AND subject_id = :id"), {"id": incident["id"]}) == 0
    after = detail(client, village, incident["id"])
    assert (after["version"], after["owner"]["code"], after["escalation_count"]) == (
        1, incident["owner"]["code"], 0)
    # With a reason, the same escalation goes through.
    done = hand_off(client, village, incident["id"], 1, kind="escalate", reason="需乡镇协调")
    assert done.status_code == 201, done.text
    assert done.json()["reason"] == "需乡镇协调"


def test_a_referral_needs_no_reason(client, people, place, minor):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    referred = hand_off(client, village, incident["id"], 1, kind="refer",
                        to_platform="enforcement")
    assert referred.status_code == 201, referred.text
    assert referred.json()["kind"] == "refer" and referred.json()["reason"] == ""


def test_the_workflow_says_which_hand_offs_need_a_reason(client, people):
    """The pages mark the field required from this (handoff.js), not from a copy."""
    body = client.get("/api/v1/workflows/incident",
                      headers=people["village_staff"].headers).json()
    assert {h["name"]: (h["label"], h["needs_reason"]) for h in body["handoffs"]} == {
        "escalate": ("上报", True), "assign": ("下派", False), "refer": ("转办", False)}
