"""文书 of each step, through the kernel's documents (core/documents): each move that the
law makes in writing issues its document, filled from the case (party, facts, matter,
penalty, limits), and locks it — the unit's next number of that kind and year (no gap, no
duplicate), a PDF with a CJK font and the QR code of its public verification page, its
SHA-256 — when the unit has its 机关代字 (a numbering rule); without one, the draft waits
for it. Serving a case serves its decision.

Templates are registered here as data (kind → title, 类别字, sections with the legal text
and its citation); the kernel renders them.
"""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.workflow import runner
from enforcement.cases.models import Case, Matter, Party

DATA_TEMPLATES = Path(__file__).with_name("templates")
# The parts every case document shares.
_PARTY = {"heading": "当事人", "fields": [
    {"key": "party_name", "label": "当事人", "required": True, "personal": True},
    {"key": "party_id_number", "label": "公民身份号码", "type": "id_number"},
    {"key": "party_credit_code", "label": "统一社会信用代码", "type": "credit_code"},
    {"key": "party_address", "label": "住所（地址）", "personal": True}]}
_CASE = {"heading": "案件", "fields": [
    {"key": "case_title", "label": "案由", "required": True},
    {"key": "case_ref", "label": "案件编号", "required": True},
    {"key": "matter", "label": "执法事项"}]}
_FACTS = {"heading": "违法事实", "fields": [
    {"key": "facts", "label": "事实", "type": "paragraph"}]}
_PENALTY = {"heading": "处罚内容", "fields": [
    {"key": "penalty", "label": "处罚种类", "type": "paragraph"},
    {"key": "fine", "label": "罚款", "type": "money"}]}
_BASIS = {"heading": "依据", "fields": [
    {"key": "legal_basis", "label": "处罚依据", "type": "paragraph"}]}

# kind → (title, 类别字, extra sections, closing, closing citation)
TEMPLATES: dict[str, tuple[str, str, list[dict], str | None, str | None]] = {
    "enf_filing": ("立案审批表", "立", [_FACTS, {
        "text": "经核查，有违法事实，依法应当给予行政处罚，属于本机关管辖，在追责时效内，"
                "建议立案。", "citation": "行政处罚法第五十四条、第三十六条"}], None, None),
    "enf_not_filed": ("不予立案审批表", "不立", [_FACTS, {
        "heading": "不予立案理由", "fields": [{"key": "reason", "label": "理由",
                                          "type": "paragraph", "required": True}],
        "citation": "行政处罚法第三十三条、第三十六条"}], None, None),
    "enf_notice": ("行政处罚事先告知书", "告", [_FACTS, _BASIS, _PENALTY, {
        "heading": "当事人的权利",
        "text": "你（单位）有权进行陈述和申辩。{hearing_right}",
        "fields": [{"key": "hearing_right", "label": "听证权利", "type": "paragraph",
                    "required": True}],
        "citation": "行政处罚法第四十四条、第四十五条、第六十三条、第六十四条"}], None, None),
    "enf_hearing_notice": ("听证通知书", "听通", [{
        "heading": "听证", "text": "定于{hearing_at}举行听证，请准时参加。",
        "fields": [{"key": "hearing_at", "label": "听证时间", "required": True}],
        "citation": "行政处罚法第六十四条第二项：举行听证的七日前通知"}], None, None),
    "enf_decision": ("行政处罚决定书", "罚决", [_FACTS, _BASIS, _PENALTY, {
        "heading": "履行方式和期限",
        "text": "当事人应当自收到本决定书之日起十五日内缴纳罚款。到期不缴纳罚款的，每日按罚款数额"
                "的百分之三加处罚款，加处罚款的数额不超出罚款的数额。",
        "citation": "行政处罚法第六十七条、第七十二条"}],
        "当事人如不服本决定，可以在收到本决定书之日起六十日内申请行政复议，也可以在六个月内"
        "依法提起行政诉讼。", "行政复议法第二十条；行政诉讼法第四十六条"),
    "enf_no_penalty": ("不予行政处罚决定书", "不罚", [_FACTS, _BASIS], None, None),
    "enf_on_spot": ("当场行政处罚决定书", "当罚", [_FACTS, _BASIS, _PENALTY, {
        "heading": "签收", "fields": [{"key": "signature", "label": "当事人签名或拒签说明",
                                      "required": True}],
        "citation": "行政处罚法第五十一条、第五十二条"}],
        "当事人如不服本决定，可以在收到本决定书之日起六十日内申请行政复议，也可以在六个月内"
        "依法提起行政诉讼。", "行政复议法第二十条；行政诉讼法第四十六条"),
    "enf_service_receipt": ("送达回证", "送", [{
        "heading": "送达", "fields": [{"key": "service_method", "label": "送达方式",
                                      "required": True}],
        "citation": "行政处罚法第六十一条"}], None, None),
    "enf_service_notice": ("送达公告", "公告", [_PENALTY, {
        "text": "自公告发布之日起经过三十日，即视为送达。",
        "citation": "民事诉讼法第九十五条"}], None, None),
    "enf_urge": ("催告书", "催", [_PENALTY, {
        "heading": "催告", "text": "请于收到本催告书之日起十日内履行；逾期仍未履行的，本机关将依法"
                                 "申请人民法院强制执行。应缴金额（含加处罚款）：{amount_due}",
        "fields": [{"key": "amount_due", "label": "应缴金额（元）", "required": True}],
        "citation": "行政强制法第三十五条、第五十四条"}], None, None),
    "enf_transfer": ("涉嫌犯罪案件移送书", "移", [_FACTS, {
        "heading": "移送材料", "fields": [{"key": "package", "label": "附件",
                                         "type": "paragraph", "required": True}],
        "citation": "《行政执法机关移送涉嫌犯罪案件的规定》第六条"}], None, None),
    "enf_closing": ("结案审批表", "结", [_PENALTY, {
        "heading": "执行情况", "fields": [{"key": "execution", "label": "执行情况",
                                         "type": "paragraph", "required": True}]}],
        None, None),
}

# The document each move issues.
DOCUMENT_OF_MOVE = {"file": "enf_filing", "decline": "enf_not_filed", "notify": "enf_notice",
                    "schedule_hearing": "enf_hearing_notice", "decide": "enf_decision",
                    "serve_by_notice": "enf_service_notice", "serve": "enf_service_receipt",
                    "urge": "enf_urge", "hand_over": "enf_transfer", "close": "enf_closing"}
ON_SPOT = "enf_on_spot"
PENALTY_ZH = {"warning": "警告", "criticism": "通报批评", "fine": "罚款",
              "confiscation": "没收违法所得", "confiscation_property": "没收非法财物",
              "license_suspend": "暂扣许可证件", "license_revoke": "吊销许可证件",
              "qualification_lower": "降低资质等级", "production_suspend": "责令停产停业",
              "business_restrict": "限制开展生产经营活动", "closure": "责令关闭",
              "employment_ban": "限制从业", "detention": "行政拘留"}
SERVICE_ZH = {"direct": "直接送达", "left": "留置送达", "electronic": "电子送达",
              "post": "邮寄送达", "notice": "公告送达"}
# The kernel's service methods (core/documents SERVICE_METHODS) for ours.
KERNEL_SERVICE = {"direct": "direct", "left": "lodged", "electronic": "electronic",
                  "post": "post", "notice": "announcement"}


def register_templates() -> None:
    from core.documents import register_template

    for kind, (title, category, sections, closing, citation) in TEMPLATES.items():
        register_template(kind, {"title": title, "category": category,
                                 "sections": [_PARTY, _CASE, *sections], "closing": closing,
                                 "closing_citation": citation, "label": title})
    # Templates kept as data files (the 现场笔录, enforcement/cases/records.py): the party
    # and the case first, as in every case document.
    for path in sorted(DATA_TEMPLATES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        register_template(data["kind"], {**data, "sections": [_PARTY, _CASE,
                                                              *data["sections"]]})


# --- filling in --------------------------------------------------------------------------

def fields_for(session: Session, case: Case, kind: str, *, extra: dict | None = None
               ) -> dict[str, Any]:
    """The template's fields from the case (its first party, matter, notice, decision)."""
    party = session.scalar(select(Party).where(Party.case_id == case.id).order_by(Party.id)
                           .limit(1))
    matter = session.get(Matter, case.matter_id) if case.matter_id else None
    decided = bool(case.decided_at)
    types = case.penalty_types if decided else case.notice_penalty_types
    fine = case.fine_fen if decided else case.notice_fine_fen
    values: dict[str, Any] = {
        "party_name": party.name if party else "（未查明）",
        "party_id_number": party.id_number if party else None,
        "party_credit_code": party.uscc if party else None,
        "party_address": party.address if party else None,
        "case_title": case.title, "case_ref": f"ZF{case.id:08d}",
        "matter": f"{matter.code} {matter.name}" if matter else None,
        "facts": case.facts or case.title,
        "legal_basis": (matter.legal_basis if matter else None) or None,
        "penalty": "、".join(PENALTY_ZH.get(t, t) for t in types) or None,
        "fine": fine or None,
        "hearing_right": ("拟作出的行政处罚属于较大数额罚款或者较重处罚，你（单位）有权在收到本"
                          "告知书之日起五日内要求听证。" if case.hearing_offered else
                          "你（单位）可以在收到本告知书之日起五日内提出陈述、申辩。"),
        "hearing_at": case.hearing_at.isoformat(timespec="minutes") if case.hearing_at
        else None,
        "service_method": SERVICE_ZH.get(case.service_method or "", case.service_method),
        "reason": case.decline_reason,
        "execution": ("罚款已缴纳" if case.paid_at else "已申请人民法院强制执行"
                      if case.state == "court" else "无罚款"),
        **(extra or {})}
    from core.documents import template_of

    declared = template_of(kind).field_map
    return {key: value for key, value in values.items() if key in declared and value is not None}


def issue(context: runner.Context, case: Case, kind: str, *, extra: dict | None = None):
    """Issue the case's document of `kind` and lock it when the unit has its 机关代字."""
    from core.documents import issue as issue_document
    from core.documents import lock
    from enforcement.cases.service import subject_of

    session = context.session
    document = issue_document(session, subject=subject_of(case), kind=kind,
                              unit_id=case.owner_unit_id,
                              fields=fields_for(session, case, kind, extra=extra),
                              actor=context.actor)
    if numbered(session, case.owner_unit_id, kind):
        lock(session, document, context.actor, now=context.now, settings=context.settings)
    return document


def numbered(session: Session, unit_id: int, kind: str) -> bool:
    from core.documents.models import NumberingRule

    return session.scalar(select(NumberingRule.unit_id).where(
        NumberingRule.unit_id == unit_id, NumberingRule.kind.in_((kind, "*"))).limit(1)) \
        is not None


def issue_for_move(context: runner.Context, case: Case, move: str) -> None:
    if move in ("serve", "deem_served"):
        serve_decision(context, case)
    kind = DOCUMENT_OF_MOVE.get(move)
    if kind is None:
        return
    if move == "decide" and case.outcome != "penalty":
        kind = "enf_no_penalty" if case.outcome == "no_penalty" else None
    if kind is None:
        return
    extra = None
    if move == "hand_over":
        from enforcement.cases.workflow import PACKAGE_LABELS

        extra = {"package": "、".join(PACKAGE_LABELS.values())}
    if move == "urge":
        from enforcement.cases.rules import yuan
        from enforcement.cases.service import amount_due

        owed = amount_due(context.session, case, now=context.now, calendar=context.calendar)
        extra = {"amount_due": yuan(owed["total_fen"]) if owed else "0 元"}
    issue(context, case, kind, extra=extra)


def serve_decision(context: runner.Context, case: Case) -> None:
    """The case's locked decision is served by the case's method (the kernel records it)."""
    from core.documents import of_subject, serve
    from enforcement.cases.service import subject_of

    for document in of_subject(context.session, subject_of(case)):
        if document.kind in ("enf_decision", "enf_no_penalty", ON_SPOT) \
                and document.state == "locked":
            serve(context.session, document, KERNEL_SERVICE.get(case.service_method or "direct",
                                                                "direct"),
                  context.now, context.actor, now=context.now)


def of_case(session: Session, case: Case) -> list[dict]:
    from core.documents import of_subject, verify_url
    from enforcement.cases.service import subject_of

    return [{"id": d.id, "kind": d.kind, "title": d.title, "state": d.state,
             "number": d.number, "sha256": d.sha256, "created_at": d.created_at,
             "locked_at": d.locked_at,
             "verify_url": verify_url(d.verify_token) if d.number else None,
             "pdf_url": f"/api/v1/documents/{d.id}/pdf" if d.number else None}
            for d in of_subject(session, subject_of(case))]


