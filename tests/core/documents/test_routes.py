"""The document routes: the public verification page (no login, no personal data; it
confirms the original's hash and refuses an altered one), its JSON twin, a document's
JSON and PDF in scope only, the kinds, the numbering rules; bad input is a 4xx
problem+json."""

import hashlib
import re

import pytest

from core.documents import issue, lock, revoke
from core.workflow.clocks import Subject
from tests.conftest import bearer
from tests.core.documents.conftest import PENALTY, UNIT_NAME, make_unit

PROBLEM = "application/problem+json"


@pytest.fixture
def locked(session, unit, documents_app):
    draft = issue(session, subject=Subject("test_case", 7), kind="penalty_decision",
                  unit_id=unit, fields=PENALTY, actor="officer")
    return lock(session, draft, "head")


def test_the_public_page_confirms_a_genuine_document_without_personal_data(anonymous, locked):
    page = anonymous.get(f"/verify/{locked.verify_token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for shown in (locked.number, UNIT_NAME, locked.sha256, "行政处罚决定书", "有效"):
        assert shown in html
    for hidden in ("张三丰", PENALTY["party_id_number"], "110105", "新华路", "占道经营"):
        assert hidden not in html
    assert "http://" not in html and "https://" not in html  # nothing from another host
    genuine = anonymous.get(f"/verify/{locked.verify_token}",
                            params={"sha256": hashlib.sha256(locked.pdf).hexdigest().upper()})
    assert "✓ 一致" in genuine.text and "不一致" not in genuine.text


def test_an_altered_hash_is_refused_clearly(anonymous, locked):
    altered = hashlib.sha256(locked.pdf + b" ").hexdigest()
    page = anonymous.get(f"/verify/{locked.verify_token}", params={"sha256": altered})
    assert page.status_code == 200 and "✗ 不一致" in page.text and "请勿采信" in page.text
    answer = anonymous.get(f"/api/v1/verify/{locked.verify_token}", params={"sha256": altered})
    assert answer.json()["matches"] is False
    assert anonymous.get(f"/api/v1/verify/{locked.verify_token}",
                         params={"sha256": locked.sha256}).json()["matches"] is True


def test_the_json_twin_shows_the_same_facts(anonymous, locked):
    body = anonymous.get(f"/api/v1/verify/{locked.verify_token}").json()
    assert body == {"number": locked.number, "title": "行政处罚决定书", "kind": "penalty_decision",
                    "unit": UNIT_NAME, "date": body["date"], "sha256": locked.sha256,
                    "status": "valid", "status_label": "有效", "revoked_on": None,
                    "matches": None}


def test_a_revoked_document_says_so_even_when_the_file_matches(anonymous, session, locked):
    revoke(session, locked, reason="复议撤销", actor="head")
    page = anonymous.get(f"/verify/{locked.verify_token}", params={"sha256": locked.sha256})
    assert "已撤销" in page.text and "已不再有效" in page.text
    assert anonymous.get(f"/api/v1/verify/{locked.verify_token}").json()["status"] == "revoked"


def test_unknown_tokens_and_drafts_are_not_found(anonymous, session, unit, documents_app):
    draft = issue(session, subject=Subject("test_case", 7), kind="penalty_decision",
                  unit_id=unit, fields=PENALTY, actor="officer")
    for token in (draft.verify_token, "A" * 32):
        page = anonymous.get(f"/verify/{token}")
        assert page.status_code == 404 and "未找到该文书" in page.text
        answer = anonymous.get(f"/api/v1/verify/{token}")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["code"] == "document_not_found"


@pytest.mark.parametrize("url", ["/verify/short", "/verify/{token}?sha256=xyz",
                                 "/verify/{token}?sha256=" + "0" * 63,
                                 "/api/v1/verify/{token}?sha256=" + "g" * 64,
                                 "/api/v1/verify/has%20space%20inside%20it"])
def test_malformed_input_is_a_problem(anonymous, locked, url):
    answer = anonymous.get(url.format(token=locked.verify_token))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM


def test_a_document_as_json_and_pdf(docs_client, locked):
    body = docs_client.get(f"/api/v1/documents/{locked.id}").json()
    assert (body["number"], body["state"], body["state_label"]) == (
        locked.number, "locked", "已定稿")
    assert body["verify_url"].endswith(f"/verify/{locked.verify_token}")
    assert body["body"]["party_name"] == "张三丰"
    pdf = docs_client.get(f"/api/v1/documents/{locked.id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == locked.sha256
    assert pdf.headers["etag"] == f'"{locked.sha256}"'
    assert "filename*=UTF-8''" in pdf.headers["content-disposition"]


def test_outside_the_scope_a_document_is_not_found(anonymous, session, settings, demo_city,
                                                   documents_app):
    # A unit seated in 芦淞区 (430203); the reader's territory is 荷塘区 (430202).
    other = make_unit(session, name="株洲市芦淞区综合行政执法局", area="430203", agency="株芦综执")
    document = lock(session, issue(session, subject=Subject("test_case", 8),
                                   kind="penalty_decision", unit_id=other, fields=PENALTY,
                                   actor="officer"), "head")
    anonymous.headers.update(bearer(settings, role="enforcement_officer", scope_code="430202",
                                    username="doc-officer"))
    for url in (f"/api/v1/documents/{document.id}", f"/api/v1/documents/{document.id}/pdf"):
        answer = anonymous.get(url)
        assert answer.status_code == 404 and answer.json()["code"] == "document_not_found"


def test_a_viewer_without_personal_data_sees_numbers_masked(anonymous, settings, locked):
    anonymous.headers.update(bearer(settings, role="enforcement_officer", scope_code="430202",
                                    username="doc-officer"))
    body = anonymous.get(f"/api/v1/documents/{locked.id}").json()
    assert body["body"]["party_id_number"] == "110105********002X"


def test_a_grid_worker_may_not_read_documents(anonymous, settings, locked):
    anonymous.headers.update(bearer(settings, role="grid_worker", scope_code="430202",
                                    username="doc-worker"))
    assert anonymous.get(f"/api/v1/documents/{locked.id}").status_code == 403


def test_kinds_list_their_fields(docs_client):
    kinds = {k["kind"]: k for k in docs_client.get("/api/v1/document-kinds").json()}
    assert kinds["penalty_decision"]["title"] == "行政处罚决定书"
    assert {"key": "fine", "label": "罚款", "type": "money", "required": False,
            "choices": []} in kinds["penalty_decision"]["fields"]


def test_an_admin_sets_a_units_numbering(docs_client, unit):
    answer = docs_client.put(f"/api/v1/units/{unit}/document-numbering/penalty_decision",
                             json={"agency": "株荷综执", "category": "罚字", "digits": 5})
    assert answer.status_code == 200, answer.text
    assert re.fullmatch(r"株荷综执罚字字〔\d{4}〕第00001号", answer.json()["example"])
    rules = docs_client.get(f"/api/v1/units/{unit}/document-numbering").json()
    assert {r["kind"] for r in rules} == {"*", "penalty_decision"}
    bad = docs_client.put(f"/api/v1/units/{unit}/document-numbering/penalty_decision",
                          json={"agency": "株", "pattern": "{agency}{oops}{serial}"})
    assert bad.status_code == 422 and bad.json()["code"] == "numbering_pattern_invalid"
    unknown = docs_client.put(f"/api/v1/units/{unit}/document-numbering/no_such_kind",
                              json={"agency": "株"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "document_kind_unknown"


@pytest.mark.parametrize("url", ["/api/v1/documents/0", "/api/v1/documents/99999999999999999999",
                                 "/api/v1/documents/abc/pdf"])
def test_bad_ids_are_problems(docs_client, url):
    answer = docs_client.get(url)
    assert answer.status_code in (404, 422) and answer.headers["content-type"] == PROBLEM
