"""文书 issued on demand (issue 13 §6): 询问通知书, 询问笔录, 责令改正通知书, 先行登记保存证据
通知书, 查封（扣押）决定书, 听证笔录 — each from its data template, numbered with its 类别字,
a PDF with the case's Chinese text; issued by whom the law says (the head for the measures
he must approve), in the states where it belongs, with the case's version; a refusal
writes nothing."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from core.documents import of_subject
from core.errors import DomainError
from enforcement.cases import writings
from enforcement.cases.service import subject_of
from tests.enforcement.cases.conftest import MATTER, move, open_clue


def issue(session, settings, desk, case, who: str, kind: str, **fields):
    data = writings.WritingIn(version=case.version, kind=kind, fields=fields)
    return writings.issue(session, case, data, principal=desk.people[who], settings=settings)


def refused(session, settings, desk, case, who, kind, **fields) -> DomainError:
    version, documents = case.version, len(of_subject(session, subject_of(case)))
    with pytest.raises(DomainError) as error:
        issue(session, settings, desk, case, who, kind, **fields)
    session.refresh(case)
    assert case.version == version
    assert len(of_subject(session, subject_of(case))) == documents
    return error.value


def test_an_inquiry_notice_is_numbered_with_its_category_and_the_cases_text(session, settings,
                                                                           desk):
    case = open_clue(session, settings, desk)
    version = case.version
    document = issue(session, settings, desk, case, "officer_a", "enf_inquiry_notice",
                     inquiry_at="2026-12-10 09:00", place="第一询问室",
                     party_name="李四")
    assert document.state == "locked" and "询通字〔" in document.number
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document.pdf)).pages)
    assert "询问通知书" in pdf and "第一询问室" in pdf
    # The party is the case's, whatever the request says.
    assert document.body["party_name"] == "张三"
    assert case.version == version + 1
    event = session.execute(text(
        "SELECT action, data FROM timeline_event WHERE subject_type = 'enforcement_case' "
        "AND subject_id = :id ORDER BY id DESC LIMIT 1"), {"id": case.id}).one()
    assert (event.action, event.data["kind"]) == ("document_issued", "enf_inquiry_notice")


def test_each_kind_by_its_issuer_and_in_its_states(session, settings, desk):
    case = open_clue(session, settings, desk)
    items = {"items": "电子秤一台", "kept_at": "执法队证物室"}
    assert refused(session, settings, desk, case, "head", "enf_preserve_notice",
                   **items).code == "document_not_now"
    move(session, settings, desk, case, "file", matter_code=MATTER)
    assert refused(session, settings, desk, case, "officer_a", "enf_preserve_notice",
                   **items).code == "position_required"
    assert issue(session, settings, desk, case, "head", "enf_preserve_notice",
                 **items).kind == "enf_preserve_notice"
    seizure = issue(session, settings, desk, case, "head", "enf_seizure_decision",
                    measure="扣押", reason="涉嫌无照经营", items="三轮车一辆", until="2027-01-05")
    assert "查扣字〔" in seizure.number
    assert issue(session, settings, desk, case, "officer_c", "enf_rectify_order",
                 correction="清除占道物品", deadline="2026-12-20").kind == "enf_rectify_order"
    assert issue(session, settings, desk, case, "officer_b", "enf_inquiry_record",
                 inquiry_at="2026-12-08 10:00", place="执法队", interviewee="张三",
                 officers="甲、乙", record="问：是否在人行道摆摊？答：是。").state == "locked"
    # An expired 执法证 cannot question anyone; the 听证笔录 waits for the hearing.
    assert refused(session, settings, desk, case, "expired", "enf_inquiry_record",
                   inquiry_at="x", place="x", interviewee="x", officers="x",
                   record="x").code == "credential_required"
    assert refused(session, settings, desk, case, "officer_a", "enf_hearing_record",
                   hearing_at="x", place="x", host="x", attendees="x",
                   record="x").code == "document_not_now"


def test_bad_requests_are_refused_naming_the_fault(session, settings, desk):
    case = open_clue(session, settings, desk)
    assert refused(session, settings, desk, case, "officer_a",
                   "enf_decision").code == "document_kind_not_on_demand"
    unknown = refused(session, settings, desk, case, "officer_a", "enf_inquiry_notice",
                      inquiry_at="2026-12-10 09:00", place="x", colour="red")
    assert unknown.code == "document_fields_invalid"
    assert unknown.extra["errors"] == [{"field": "colour", "reason": "unknown"}]
    missing = refused(session, settings, desk, case, "officer_a", "enf_inquiry_notice",
                      inquiry_at="2026-12-10 09:00")
    assert missing.code == "document_fields_invalid"
    with pytest.raises(DomainError) as stale:
        writings.issue(session, case, writings.WritingIn(
            version=case.version + 1, kind="enf_inquiry_notice",
            fields={"inquiry_at": "x", "place": "x"}),
            principal=desk.people["officer_a"], settings=settings)
    assert stale.value.code == "stale_version"
