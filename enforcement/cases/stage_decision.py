"""The procedure from the decision on, and 两法衔接, its guards and effects (pure): 决定
(no heavier than the notice), 送达, 缴纳 and 催告, 结案, 公示, the transfer package and the
police's answer. Declared as moves in enforcement/cases/workflow.py.
"""

from core.errors import Conflict, InvalidInput
from enforcement.cases.stage_investigation import fine_of

OUTCOMES = ("penalty", "no_penalty", "transfer")  # 第五十七条第一款
SERVICE_METHODS = ("direct", "left", "electronic", "post")  # 直接, 留置, 电子, 邮寄
# Electronic service: the party's signed confirmation, recorded as a 书证 so titled.
CONSENT_TITLE = "送达地址确认书"
CITE = "行政处罚法第六十一条第二款"
TRANSFER_PACKAGE = ("transfer_letter", "investigation_report", "items_list", "test_report")
PACKAGE_LABELS = {"transfer_letter": "涉嫌犯罪案件移送书", "investigation_report": "调查报告",
                  "items_list": "涉案物品清单", "test_report": "检验报告"}


def no_heavier_than_notice(facts, actor, data) -> None:
    """行政处罚法第四十五条第二款: 不得因当事人陈述、申辩而给予更重的处罚 — the decision's
    fine is at most the notice's and it adds no kind of penalty the notice did not name."""
    if data.get("outcome") != "penalty":
        return
    fine, noticed = fine_of(data) or 0, facts.get("notice_fine_fen") or 0
    extra = set(data.get("penalty_types") or []) - set(facts.get("notice_penalty_types") or [])
    if fine > noticed or extra:
        noticed_types = sorted(facts.get("notice_penalty_types") or [])
        raise Conflict(f"the decision may not be heavier than the notice (行政处罚法第四十五条"
                       f"第二款): notice {noticed} fen {noticed_types}, "
                       f"decision {fine} fen {sorted(data.get('penalty_types') or [])}",
                       code="decision_heavier_than_notice", notice_fine_fen=noticed)


def outcome_known(facts, actor, data) -> None:
    if data.get("outcome") not in OUTCOMES:
        raise InvalidInput(f"决定 needs an outcome: {', '.join(OUTCOMES)}",
                           code="outcome_required")
    if data["outcome"] == "penalty" and not data.get("penalty_types"):
        raise InvalidInput("a penalty decision names penalty_types", code="penalty_required")


def service_method_allowed(facts, actor, data) -> None:
    method = data.get("service_method")
    if method not in SERVICE_METHODS:
        raise InvalidInput(f"送达 needs service_method: {', '.join(SERVICE_METHODS)} "
                           "(公告送达: the move serve_by_notice)", code="service_method_invalid")
    if method == "electronic":
        consent_signed(facts, data)


def consent_signed(facts, data) -> None:
    """行政处罚法第六十一条第二款: 当事人同意并签订确认书的，行政机关可以采用传真、电子邮件等
    方式 — a yes is not enough: the signed 送达地址确认书 is on the case (a 书证 of this case,
    `service_consent_id`, loaded by flows.facts_for as `service_consent`) and names the
    address the document is sent to (`service_address`)."""
    if not data.get("service_consent_id"):
        raise InvalidInput(f"electronic service needs the party's signed {CONSENT_TITLE} "
                           f"recorded on the case as evidence: give service_consent_id ({CITE})",
                           code="electronic_consent_required")
    consent = facts.get("service_consent")
    if consent is None or consent["kind"] != "documentary" or CONSENT_TITLE not in consent["title"]:
        raise InvalidInput(f"service_consent_id is not a {CONSENT_TITLE} (书证) of this case "
                           f"({CITE})", code="electronic_consent_invalid")
    address = (data.get("service_address") or "").strip()
    if not address or address not in consent["content"]:
        raise InvalidInput(f"service_address must be the fax, e-mail or phone the party named "
                           f"in the {CONSENT_TITLE} ({CITE})",
                           code="electronic_address_not_consented")


def package_complete(facts, actor, data) -> None:
    """《行政执法机关移送涉嫌犯罪案件的规定》第六条: the package the police receive."""
    given = set(data.get("package") or [])
    missing = [PACKAGE_LABELS[p] for p in TRANSFER_PACKAGE if p not in given]
    if missing:
        raise InvalidInput(f"the transfer package lacks {'、'.join(missing)} (移送规定第六条)",
                           code="transfer_package_incomplete", missing=missing)


def has_fine(facts, actor, data) -> None:
    if not facts.get("fine_fen"):
        raise Conflict("there is no fine to pay", code="no_fine")


def payment_overdue(facts, actor, data) -> None:
    """行政强制法第三十五条: 催告 once the time to pay has passed."""
    due, now = facts.get("payment_due"), facts.get("now")
    if due is not None and now is not None and now <= due:
        raise Conflict(f"the party may pay until {due.isoformat()}: 催告 after that",
                       code="payment_not_overdue", due=due.isoformat())


def settled(facts, actor, data) -> None:
    """结案: a fine paid (or sent to the court), or no fine at all."""
    if facts["state"] == "served" and facts.get("fine_fen"):
        raise Conflict("the fine is unpaid: record the payment, or 催告 and apply to the court",
                       code="fine_unpaid")


# --- effects ---------------------------------------------------------------------------

def decided(facts, actor, data, now):
    penalty = data["outcome"] == "penalty"
    return {"decided_at": now, "outcome": data["outcome"],
            "penalty_types": list(data.get("penalty_types") or []) if penalty else [],
            "fine_fen": fine_of(data) if penalty else None,
            "confiscation_fen": fine_of(data, "confiscation_fen") if penalty else None}


def served(facts, actor, data, now):
    return {"served_at": now, "service_method": data.get("service_method", "notice"),
            "electronic_consent": data.get("service_method") == "electronic"}


def by_notice(facts, actor, data, now):
    return {"service_method": "notice"}


def paid(facts, actor, data, now):
    return {"paid_at": now, "paid_fen": facts.get("amount_due_fen") or facts.get("fine_fen")}


def closed(facts, actor, data, now):
    return {"closed_at": now}


def published(facts, actor, data, now):
    return {"published_at": now}


def withdrawn(facts, actor, data, now):
    return {"withdrawn_at": now}


def police_answered(facts, actor, data, now):
    return {"police_answer": data.get("reason") or data.get("police_answer"),
            "suspended_from": None}


def police_accepted(facts, actor, data, now):
    return {"police_answer": data.get("police_answer") or data.get("reason"),
            "closed_at": now, "outcome": "transfer"}
