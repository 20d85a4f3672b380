"""The life of a 文书: a draft checked against its template, locked into a numbered PDF
with its hash that a PDF reader reads back in Chinese, immutable from then on (the
service refuses with 409, the database's trigger refuses whoever connects), served once,
revoked with a reason; every move audited."""

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from core.audit import AuditEvent
from core.documents import (
    discard,
    issue,
    lock,
    of_subject,
    pdf_of,
    register_template,
    revoke,
    serve,
    shown_body,
    summaries,
    template_of,
    update_draft,
)
from core.documents.render import capital_yuan, money_text
from core.errors import Conflict, InvalidInput, NotFound
from core.workflow.clocks import Subject
from tests.core.documents.conftest import PENALTY, UNIT_NAME

CASE = Subject("test_case", 42)


def _pdf_text(data: bytes) -> str:
    """The PDF's text as a reader extracts it, lines joined (Chinese wraps mid-phrase)."""
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages
                   ).replace("\n", "")


def _draft(session, unit, **changes):
    return issue(session, subject=CASE, kind="penalty_decision", unit_id=unit,
                 fields={**PENALTY, **changes}, actor="officer")


def test_a_locked_decision_is_a_pdf_with_the_cases_chinese_text(session, unit):
    document = lock(session, _draft(session, unit), "head")
    assert document.state == "locked"
    assert document.sha256 == hashlib.sha256(document.pdf).hexdigest()
    assert document.pdf.startswith(b"%PDF-")
    content = _pdf_text(document.pdf)
    for expected in ("行政处罚决定书", UNIT_NAME, "张三丰", "株荷综执罚决字〔2026〕第0001号",
                     "人民币200.00元（贰佰元整）", "株洲市荷塘区人民政府", "扫码核验本文书真伪",
                     "行政处罚法第五十九条"):
        assert expected in content, expected
    assert "草稿" not in content


def test_a_drafts_preview_says_draft_and_has_no_number(session, unit):
    draft = _draft(session, unit)
    content = _pdf_text(pdf_of(session, draft))
    assert "草稿" in content and "株荷综执罚决字" not in content and "张三丰" in content


def test_a_rare_character_outside_gb2312_is_still_printed(session, unit):
    # 堃 (U+5803) is not in GB 2312: the PDF is set with the whole font.
    document = lock(session, _draft(session, unit, party_name="王堃"), "head")
    assert "王堃" in _pdf_text(document.pdf)


@pytest.mark.parametrize("changes, field, reason", [
    ({"party_name": None}, "party_name", "required"),
    ({"fine": "200"}, "fine", "not_an_integer"),
    ({"fine": -1}, "fine", "negative"),
    ({"party_id_number": "110105194912310021"}, "party_id_number", "bad_id_number"),
    ({"party_credit_code": "91350100M000100Y44"}, "party_credit_code", "bad_credit_code"),
    ({"facts": "x" * 5001}, "facts", "too_long"),
    ({"penalty": "a\x00b"}, "penalty", "control_character"),
    ({"hacked": "1"}, "hacked", "unknown"),
])
def test_bad_fields_are_refused_by_name(session, unit, changes, field, reason):
    with pytest.raises(InvalidInput) as refused:
        _draft(session, unit, **changes)
    assert refused.value.code == "document_fields_invalid"
    assert {"field": field, "reason": reason} in refused.value.extra["errors"]


def test_unknown_kind_and_unit_are_not_found(session, unit):
    with pytest.raises(NotFound) as kind:
        issue(session, subject=CASE, kind="no_such_kind", unit_id=unit, fields={}, actor="x")
    assert kind.value.code == "document_kind_unknown"
    with pytest.raises(NotFound) as missing:
        issue(session, subject=CASE, kind="penalty_decision", unit_id=2**62, fields=PENALTY,
              actor="x")
    assert missing.value.code == "unit_not_found"


def test_a_draft_is_edited_then_locked_and_never_again(session, unit):
    draft = _draft(session, unit)
    update_draft(session, draft, fields={**PENALTY, "fine": 10000}, actor="officer", version=1)
    assert draft.version == 2 and draft.body["fine"] == 10000
    with pytest.raises(Conflict) as stale:
        lock(session, draft, "head", version=1)
    assert stale.value.code == "stale_version"
    lock(session, draft, "head", version=2)
    with pytest.raises(Conflict) as locked:
        update_draft(session, draft, fields=PENALTY, actor="officer")
    assert locked.value.code == "document_not_draft"
    with pytest.raises(Conflict):
        lock(session, draft, "head")
    with pytest.raises(Conflict):
        discard(session, draft, actor="head")


def test_the_database_refuses_to_change_a_locked_document(session, unit):
    document = lock(session, _draft(session, unit), "head")
    for statement in ("UPDATE document SET body = '{}'::jsonb WHERE id = :id",
                      "UPDATE document SET pdf = 'x'::bytea WHERE id = :id",
                      "UPDATE document SET sha256 = repeat('0', 64) WHERE id = :id",
                      "UPDATE document SET number = 'forged' WHERE id = :id",
                      "UPDATE document SET state = 'draft', serial = NULL WHERE id = :id",
                      "DELETE FROM document WHERE id = :id"):
        with pytest.raises(DBAPIError, match="document"), session.begin_nested():
            session.execute(text(statement), {"id": document.id})


def test_a_draft_may_be_discarded_and_leaves_no_number_behind(session, unit):
    discard(session, _draft(session, unit), actor="officer")
    assert lock(session, _draft(session, unit), "head").serial == 1


def test_serve_once_then_revoke_with_a_reason(session, unit):
    document = lock(session, _draft(session, unit), "head")
    now = datetime.now(UTC)
    with pytest.raises(InvalidInput) as method:
        serve(session, document, "pigeon", now, "officer")
    assert method.value.code == "service_method_unknown"
    with pytest.raises(InvalidInput) as early:
        serve(session, document, "direct", document.locked_at - timedelta(days=1), "officer")
    assert early.value.code == "served_at_invalid"
    with pytest.raises(InvalidInput) as future:
        serve(session, document, "direct", now + timedelta(days=1), "officer")
    assert future.value.code == "served_at_invalid"
    serve(session, document, "lodged", now, "officer", note="见证人：村委会李四")
    assert (document.state, document.service_method) == ("served", "lodged")
    with pytest.raises(Conflict) as twice:
        serve(session, document, "direct", now, "officer")
    assert twice.value.code == "document_not_locked"
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("UPDATE document SET served_at = now() WHERE id = :id"),
                        {"id": document.id})
    with pytest.raises(InvalidInput) as reasonless:
        revoke(session, document, reason=" ", actor="head")
    assert reasonless.value.code == "reason_required"
    revoke(session, document, reason="复议撤销", actor="head")
    assert document.state == "revoked"
    with pytest.raises(Conflict):
        revoke(session, document, reason="again", actor="head")
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "document", AuditEvent.subject_id == str(document.id))
        .order_by(AuditEvent.id)).all()
    assert actions == ["document.issue", "document.lock", "document.serve", "document.revoke"]


def test_documents_of_a_subject_and_masked_fields(session, unit):
    first, second = _draft(session, unit), _draft(session, unit)
    assert [d.id for d in of_subject(session, CASE)] == [first.id, second.id]
    masked = shown_body(first, sees_personal_data=False)
    assert masked["party_id_number"] == "110105********002X"
    assert shown_body(first, sees_personal_data=True)["party_id_number"] == PENALTY[
        "party_id_number"]


def test_a_platform_registers_its_own_template(session, unit):
    register_template("test_notice", {
        "title": "测试通知书", "category": "测通",
        "sections": [{"heading": "事项", "fields": [{"key": "what", "label": "事项",
                                                    "required": True}]},
                     {"text": "请于{when}前到场。", "citation": "测试条例第一条",
                      "fields": [{"key": "when", "label": "日期", "type": "date"}]}]})
    assert template_of("test_notice").category == "测通"
    document = issue(session, subject=CASE, kind="test_notice", unit_id=unit,
                     fields={"what": "核对材料", "when": "2026-12-20"}, actor="clerk")
    content = _pdf_text(lock(session, document, "clerk").pdf)
    assert "株荷综执测通字" in content and "请于2026年12月20日前到场。" in content
    with pytest.raises(ValueError):
        register_template("bad_one", {"title": "x", "category": "x", "sections": [
            {"text": "{nowhere}"}]})


@pytest.mark.parametrize("fen, capital", [
    (20000, "贰佰元整"), (300001, "叁仟元零壹分"), (12050, "壹佰贰拾元伍角整"),
    (1000100, "壹万零壹元整"), (100000005, "壹佰万元零伍分"), (1, "壹分"), (0, "零元整"),
    (1005000, "壹万零伍拾元整"), (20000000000, "贰亿元整"),
])
def test_sums_in_capitals(fen, capital):
    assert capital_yuan(fen) == capital


def test_money_text():
    assert money_text(123456) == "人民币1,234.56元（壹仟贰佰叁拾肆元伍角陆分）"


def test_an_announcement_is_deemed_served_30_days_after_publication(session, unit):
    document = lock(session, _draft(session, unit), "head")
    deemed = datetime.now(UTC) + timedelta(days=30)
    serve(session, document, "announcement", deemed, "officer", note="株洲日报 2026-12-07 公告")
    assert document.served_at == deemed


def test_a_case_lists_its_documents_without_their_fields(session, unit):
    draft, locked = _draft(session, unit), lock(session, _draft(session, unit), "head")
    listed = summaries(session, CASE)
    assert [(d["id"], d["state"], d["number"]) for d in listed] == [
        (draft.id, "draft", None), (locked.id, "locked", locked.number)]
    assert listed[0]["verify_url"] is None
    assert listed[1]["verify_url"].endswith(f"/verify/{locked.verify_token}")
    assert listed[1]["pdf_url"] == f"/api/v1/documents/{locked.id}/pdf"
    assert "body" not in listed[1] and "张三丰" not in str(listed)


def test_demo_removal_purges_documents_and_their_numbers(session, unit):
    from core.documents import purge

    other = Subject("test_case", 43)
    kept = lock(session, issue(session, subject=other, kind="penalty_decision", unit_id=unit,
                               fields=PENALTY, actor="officer"), "head")
    for _ in range(2):
        lock(session, _draft(session, unit), "head")
    assert purge(session, subject_type=CASE.type, subject_ids=[CASE.id]) == 2
    assert of_subject(session, CASE) == [] and kept.serial == 1
    assert lock(session, _draft(session, unit), "head").serial == 2  # after the one kept
    with pytest.raises(DBAPIError), session.begin_nested():  # the trigger is back
        session.execute(text("DELETE FROM document WHERE id = :id"), {"id": kept.id})


def test_chinese_line_breaking_keeps_punctuation_where_it_belongs():
    from fpdf import FPDF

    from core.documents import fonts
    from core.documents.render import NO_LINE_END, NO_LINE_START, _broken

    text = ("经查，当事人于2026年10月12日在新华西路（店外）人行道摆放桌椅经营，占用城市道路，"
            "违反《城市市容和环境卫生管理条例》第十四条。") * 8
    pdf = FPDF(format=(148, 210))  # A5
    fonts.install(pdf, text)
    pdf.add_page()
    pdf.set_font(fonts.FAMILY, size=12)
    lines = [line for _, line in _broken(pdf, text, first_indent=10)]
    assert "".join(lines) == text and len(lines) > 5
    assert not any(line[0] in NO_LINE_START for line in lines[1:])
    assert not any(line[-1] in NO_LINE_END for line in lines)
    assert "2026" in "".join(lines) and not any(line.startswith("026") for line in lines)


def test_render_pdf_of_a_document_reads_its_unit(session, unit):
    from core.documents import render_pdf

    assert UNIT_NAME in _pdf_text(render_pdf(_draft(session, unit)))
