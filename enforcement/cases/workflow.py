"""The ordinary procedure (普通程序) and the simple one (当场处罚), declared once for the
kernel (core/workflow/kernel.py): the live API (through the runner) and the demo history
run the same declaration.

线索登记 → 核查 → 立案 / 不予立案 → 调查取证 → 调查终结 → 法制审核 → 集体讨论 → 事先告知 →
陈述申辩 / 听证 → 决定 → 送达 (公告) → 执行 (催告, 申请法院) → 结案; 中止 and 检测鉴定
suspend, 两法衔接 moves a case to the police. Who may make each move, its guards and the
fields it sets are pure functions of the case's facts and the move's data; what needs the
database (the limitation period against the calendar, who holds a valid 执法证, the
earliest hearing day) is put into the facts by enforcement/cases/flows.py first.

Moves that leave the state as it is (延长, 公示, 申请回避 …) name no target: the flows hand
the current state over as `resume_state`.
"""

from core.errors import Conflict, Forbidden, InvalidInput
from core.units.enums import Position
from core.users.enums import Role
from core.workflow.kernel import Workflow, about_the_actor, requires, transition

# The roles that work cases (which move, the positions say); the command centre's
# dispatchers register leads (线索) and assign officers.
OFFICERS = frozenset({Role.enforcement_officer})
DESK = OFFICERS | {Role.county_dispatcher}

LABELS = {
    "clue": "待核查", "not_filed": "不予立案", "investigating": "调查取证",
    "investigated": "调查终结", "legal_review": "法制审核中", "notified": "已事先告知",
    "hearing_requested": "已申请听证", "hearing_scheduled": "已通知听证", "heard": "听证结束",
    "decided": "已作出决定", "public_notice": "公告送达中", "served": "已送达（待履行）",
    "paid": "已履行", "urged": "已催告", "court": "已申请法院强制执行",
    "suspended": "中止", "testing": "检测鉴定中", "transfer_pending": "移送待审批",
    "transfer_approved": "已批准移送", "transferred": "已移送公安",
    "transfer_accepted": "公安已立案",
    "closed": "结案",
}
# The step each state runs (its limit: enforcement_rule, read by case_type.clock_rule).
STEPS = {"clue": "verify", "notified": "notice", "decided": "service",
         "public_notice": "public_service", "served": "payment", "urged": "urge",
         "transfer_pending": "transfer_decision", "transfer_approved": "transfer_handover",
         "transferred": "police_review"}
FINAL = frozenset({"not_filed", "closed", "transfer_accepted"})
PAUSED = frozenset({"suspended", "testing"})
# States in which the 90-day decision clock stands still (行政处罚法第六十条 as provinces
# apply it: 中止, 听证, 检测鉴定 are not counted).
DECISION_PAUSED = frozenset({"suspended", "testing", "hearing_requested",
                             "hearing_scheduled"})
OPEN = frozenset(LABELS) - FINAL
BEFORE_DECISION = ("clue", "investigating", "investigated", "legal_review", "notified",
                   "hearing_requested", "hearing_scheduled", "heard")
AFTER_DECISION = ("decided", "public_notice", "served", "paid", "urged", "court", "closed")

# 不予立案: the reasons the law allows (行政处罚法第三十三条、第三十六条; jurisdiction:
# 第二十二条).
DECLINE_REASONS = {
    "minor_corrected": "违法行为轻微并及时改正，没有造成危害后果（第三十三条第一款）",
    "first_minor": "初次违法且危害后果轻微并及时改正（第三十三条第一款）",
    "no_fault": "当事人有证据足以证明没有主观过错（第三十三条第二款）",
    "not_jurisdiction": "不属于本机关管辖（第二十二条）",
    "limitation_expired": "超过追责时效（第三十六条）",
}
OUTCOMES = ("penalty", "no_penalty", "transfer")  # 第五十七条第一款
SERVICE_METHODS = ("direct", "left", "electronic", "post")  # 直接, 留置, 电子, 邮寄
TRANSFER_PACKAGE = ("transfer_letter", "investigation_report", "items_list", "test_report")
PACKAGE_LABELS = {"transfer_letter": "涉嫌犯罪案件移送书", "investigation_report": "调查报告",
                  "items_list": "涉案物品清单", "test_report": "检验报告"}


# --- guards ------------------------------------------------------------------------------

def _holds(*positions: str):
    wanted = frozenset(positions)

    @about_the_actor
    def guard(facts, actor, data) -> None:
        if not actor.holds(facts.get("owner_unit_id"), wanted):
            names = "、".join(_POSITION_ZH[p] for p in positions)
            raise Forbidden(f"this move is for the case unit's {names}",
                            code="position_required", positions=sorted(wanted))
    guard.__name__ = f"holds_{'_'.join(positions)}"
    return guard


_POSITION_ZH = {"head": "负责人", "legal_reviewer": "法制审核员", "handler": "承办人",
                "inspector": "检查员", "dispatcher": "派遣员"}
HEAD = _holds(Position.head)
LEGAL = _holds(Position.legal_reviewer)
OFFICER = _holds(Position.handler, Position.inspector, Position.head)
DISPATCH = _holds(Position.dispatcher, Position.head)


@about_the_actor
def credentialed(facts, actor, data) -> None:
    """行政处罚法第四十二条: the officer acting holds a valid 执法证 in the case's unit."""
    if facts.get("owner_unit_id") not in actor.credentialed_units:
        raise Forbidden("this move needs a valid 执法证 in the unit that holds the case "
                        "(行政处罚法第四十二条)", code="credential_required")


def two_officers(facts, actor, data) -> None:
    """行政处罚法第四十二条: 执法人员不得少于两人 — two officers on the case with a valid
    执法证 today and not withdrawn (`valid_officers` is counted by the flows)."""
    valid = facts.get("valid_officers", ())
    if len(valid) < 2:
        raise Conflict(f"investigation needs at least two officers with a valid 执法证 on "
                       f"the case (行政处罚法第四十二条); it has {len(valid)}",
                       code="two_officers_required", valid_officers=list(valid))


def within_limitation(facts, actor, data) -> None:
    """行政处罚法第三十六条: not after the limitation period (2 years; 5 for safety)."""
    if facts.get("limitation_expired"):
        raise Conflict("the offence is beyond the limitation period (行政处罚法第三十六条): "
                       "decline it with reason limitation_expired",
                       code="limitation_expired", limit=facts.get("limitation_limit"))


def matter_named(facts, actor, data) -> None:
    if facts.get("matter_id") is None and data.get("matter_code") is None:
        raise InvalidInput("立案 needs the matter (执法事项): matter_code",
                           code="matter_required")


def decline_reason_allowed(facts, actor, data) -> None:
    code = data.get("decline_reason")
    if code not in DECLINE_REASONS:
        raise InvalidInput(f"不予立案 needs one of the reasons the law allows: "
                           f"{', '.join(DECLINE_REASONS)}", code="decline_reason_invalid",
                           allowed=list(DECLINE_REASONS))


def reviewed_if_required(facts, actor, data) -> None:
    """行政处罚法第五十八条: 未经法制审核或者审核未通过的，不得作出决定."""
    if facts.get("legal_review_required") and not facts.get("legal_review_passed"):
        raise Conflict("法制审核 is required before this move (行政处罚法第五十八条)",
                       code="legal_review_required")


def discussed_if_major(facts, actor, data) -> None:
    """行政处罚法第五十七条第二款: 情节复杂或者重大违法行为 → 负责人集体讨论决定."""
    if facts.get("major") and not facts.get("discussed"):
        raise Conflict("a major case is decided after the heads' collective discussion "
                       "(行政处罚法第五十七条第二款)", code="discussion_required")


def _fine(data, key="fine_fen") -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{key} is a whole number of fen, 0 or more", code="invalid_fine")
    return value


def notice_complete(facts, actor, data) -> None:
    """行政处罚法第四十四条: the notice states the proposed penalty (facts, reasons and
    basis are the case's); a fine within the matter's range."""
    types = data.get("penalty_types") or []
    fine = _fine(data)
    if not types:
        raise InvalidInput("事先告知 needs the proposed penalty: penalty_types",
                           code="penalty_required")
    if ("fine" in types) != (fine is not None and fine > 0):
        raise InvalidInput("a proposed fine needs fine_fen > 0, and fine_fen needs the "
                           "penalty type fine", code="fine_mismatch")
    _within_matter(facts, fine)


def _within_matter(facts, fine: int | None) -> None:
    low, high = facts.get("matter_fine_min_fen"), facts.get("matter_fine_max_fen")
    if fine is None:
        return
    if (low is not None and fine < low) or (high is not None and fine > high):
        raise InvalidInput(f"the fine {fine} fen is outside the matter's range "
                           f"({low}–{high} fen)", code="fine_outside_matter",
                           fine_min_fen=low, fine_max_fen=high)


def no_heavier_than_notice(facts, actor, data) -> None:
    """行政处罚法第四十五条第二款: 不得因当事人陈述、申辩而给予更重的处罚 — the decision's
    fine is at most the notice's and it adds no kind of penalty the notice did not name."""
    if data.get("outcome") != "penalty":
        return
    fine, noticed = _fine(data) or 0, facts.get("notice_fine_fen") or 0
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


def hearing_offered(facts, actor, data) -> None:
    if not facts.get("hearing_offered"):
        raise Conflict("no hearing was offered for this case (行政处罚法第六十三条)",
                       code="hearing_not_offered")


def hearing_in_time(facts, actor, data) -> None:
    """行政处罚法第六十四条第一项: asked within 5 working days of the notice (the flows put
    the notice clock's due moment in the facts)."""
    due, now = facts.get("hearing_request_due"), facts.get("now")
    if due is not None and now is not None and now > due:
        raise Conflict(f"the hearing had to be asked for by {due.isoformat()} "
                       "(行政处罚法第六十四条第一项)", code="hearing_request_late",
                       due=due.isoformat())


def hearing_far_enough(facts, actor, data) -> None:
    """行政处罚法第六十四条第二项: the party is told at least 7 working days ahead."""
    earliest, at = facts.get("hearing_earliest"), data.get("hearing_at")
    if at is None:
        raise InvalidInput("听证通知 needs hearing_at", code="hearing_at_required")
    if earliest is not None and facts.get("hearing_day") is not None \
            and facts["hearing_day"] < earliest:
        raise InvalidInput(f"the hearing may be held on {earliest.isoformat()} at the "
                           "earliest: 7 working days after the notice (行政处罚法第六十四条"
                           "第二项)", code="hearing_too_soon", earliest=earliest.isoformat())


def service_method_allowed(facts, actor, data) -> None:
    method = data.get("service_method")
    if method not in SERVICE_METHODS:
        raise InvalidInput(f"送达 needs service_method: {', '.join(SERVICE_METHODS)} "
                           "(公告送达: the move serve_by_notice)", code="service_method_invalid")
    if method == "electronic" and not (facts.get("electronic_consent")
                                       or data.get("electronic_consent")):
        raise Conflict("electronic service needs the party's signed consent "
                       "(行政处罚法第六十一条第二款)", code="electronic_consent_required")


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


def officers_given(facts, actor, data) -> None:
    ids = data.get("officer_ids")
    if not isinstance(ids, list) or len(set(ids)) < 2:
        raise InvalidInput("name at least two officers: officer_ids (行政处罚法第四十二条)",
                           code="two_officers_required")


# --- effects -----------------------------------------------------------------------------

def _filed(facts, actor, data, now):
    out = {"filed_at": now}
    if data.get("major") is not None:
        out["major"] = bool(data["major"])
    if data.get("legal_review_required") is not None:
        out["legal_review_required"] = bool(data["legal_review_required"])
    if facts.get("new_matter_id") is not None:
        out["matter_id"] = facts["new_matter_id"]
    return out


def _declined(facts, actor, data, now):
    return {"decline_reason": data["decline_reason"], "closed_at": now}


def _review_submitted(facts, actor, data, now):
    return {"suspended_from": facts["state"]}  # where the passed review returns to


def _review_passed(facts, actor, data, now):
    return {"legal_review_passed": True, "suspended_from": None}


def _review_returned(facts, actor, data, now):
    return {"legal_review_passed": False, "suspended_from": None}


def _heard(facts, actor, data, now):
    """行政处罚法第五十八条第一款第二项: a case that went through a hearing is reviewed
    (法制审核) before the decision."""
    return {"legal_review_required": True, "legal_review_passed": False}


def _discussed(facts, actor, data, now):
    return {"discussed": True}


def _notified(facts, actor, data, now):
    return {"notified_at": now, "notice_penalty_types": list(data["penalty_types"]),
            "notice_fine_fen": _fine(data), "hearing_offered": bool(facts.get("hearing_due"))}


def _hearing_scheduled(facts, actor, data, now):
    return {"hearing_at": facts["hearing_at_parsed"]}


def _decided(facts, actor, data, now):
    penalty = data["outcome"] == "penalty"
    return {"decided_at": now, "outcome": data["outcome"],
            "penalty_types": list(data.get("penalty_types") or []) if penalty else [],
            "fine_fen": _fine(data) if penalty else None,
            "confiscation_fen": _fine(data, "confiscation_fen") if penalty else None}


def _served(facts, actor, data, now):
    return {"served_at": now, "service_method": data.get("service_method", "notice"),
            "electronic_consent": bool(facts.get("electronic_consent")
                                       or data.get("electronic_consent"))}


def _by_notice(facts, actor, data, now):
    return {"service_method": "notice"}


def _paid(facts, actor, data, now):
    return {"paid_at": now, "paid_fen": facts.get("amount_due_fen") or facts.get("fine_fen")}


def _closed(facts, actor, data, now):
    return {"closed_at": now}


def _suspended(facts, actor, data, now):
    return {"suspended_from": facts["state"]}


def _resumed(facts, actor, data, now):
    return {"suspended_from": None}


def _officers(facts, actor, data, now):
    return {"officer_ids": sorted(set(data["officer_ids"]))}


def _published(facts, actor, data, now):
    return {"published_at": now}


def _withdrawn(facts, actor, data, now):
    return {"withdrawn_at": now}


def _police_answered(facts, actor, data, now):
    return {"police_answer": data.get("reason") or data.get("police_answer"),
            "suspended_from": None}


def _police_accepted(facts, actor, data, now):
    return {"police_answer": data.get("police_answer") or data.get("reason"),
            "closed_at": now, "outcome": "transfer"}


# --- the workflow ------------------------------------------------------------------------

CASE_WORKFLOW = Workflow(
    "enforcement_case",
    (
        transition("assign_officers", OPEN, None, DESK, label="指派执法人员",
                   guards=[DISPATCH, officers_given], effect=_officers,
                   fields=["officer_ids"]),
        transition("extend_verify", ["clue"], None, OFFICERS, label="延长核查",
                   guards=[HEAD], needs_reason=True),
        transition("file", ["clue"], "investigating", OFFICERS, label="立案",
                   guards=[HEAD, matter_named, within_limitation], effect=_filed,
                   fields=["matter_code", "major", "legal_review_required"]),
        transition("decline", ["clue"], "not_filed", OFFICERS, label="不予立案",
                   needs_reason=True, guards=[HEAD, decline_reason_allowed],
                   effect=_declined, fields=["decline_reason"]),
        transition("conclude", ["investigating"], "investigated", OFFICERS, label="调查终结",
                   guards=[OFFICER, credentialed, two_officers]),
        transition("submit_review", ["investigated", "heard"], "legal_review", OFFICERS,
                   label="提交法制审核", guards=[OFFICER], effect=_review_submitted),
        transition("pass_review", ["legal_review"], None, OFFICERS,
                   label="法制审核通过", guards=[LEGAL], effect=_review_passed),
        transition("return_review", ["legal_review"], "investigating", OFFICERS,
                   label="法制审核退回", needs_reason=True, guards=[LEGAL],
                   effect=_review_returned),
        transition("discuss", ["investigated"], None, OFFICERS, label="负责人集体讨论",
                   guards=[HEAD], effect=_discussed),
        transition("notify", ["investigated"], "notified", OFFICERS, label="事先告知",
                   guards=[OFFICER, credentialed, two_officers, reviewed_if_required,
                           discussed_if_major, notice_complete],
                   effect=_notified, fields=["penalty_types", "fine_fen"]),
        transition("request_hearing", ["notified"], "hearing_requested", OFFICERS,
                   label="当事人申请听证", guards=[OFFICER, hearing_offered, hearing_in_time]),
        transition("schedule_hearing", ["hearing_requested"], "hearing_scheduled", OFFICERS,
                   label="听证通知", guards=[OFFICER, hearing_far_enough],
                   effect=_hearing_scheduled, fields=["hearing_at"]),
        transition("hold_hearing", ["hearing_scheduled"], "heard", OFFICERS, label="举行听证",
                   guards=[OFFICER], effect=_heard),
        transition("decide", ["notified", "heard"], "decided", OFFICERS, label="作出决定",
                   guards=[HEAD, outcome_known, reviewed_if_required, discussed_if_major,
                           no_heavier_than_notice],
                   effect=_decided, fields=["outcome", "penalty_types", "fine_fen",
                                            "confiscation_fen"]),
        transition("extend_decision", ["investigating", "investigated", "legal_review",
                                       "notified", "heard"], None, OFFICERS,
                   label="延长办案期限", needs_reason=True, guards=[HEAD]),
        transition("serve", ["decided"], "served", OFFICERS, label="送达",
                   guards=[OFFICER, service_method_allowed], effect=_served,
                   fields=["service_method", "electronic_consent"]),
        transition("serve_by_notice", ["decided"], "public_notice", OFFICERS, label="公告送达",
                   guards=[OFFICER], effect=_by_notice),
        transition("deem_served", ["public_notice"], "served", OFFICERS, label="视为送达",
                   guards=[OFFICER], effect=_served),
        transition("defer_payment", ["served"], None, OFFICERS, label="批准暂缓（分期）缴纳",
                   needs_reason=True, guards=[HEAD, has_fine], fields=["extend_by"]),
        transition("pay", ["served", "urged"], "paid", OFFICERS, label="缴纳罚款",
                   guards=[OFFICER, has_fine], effect=_paid),
        transition("urge", ["served"], "urged", OFFICERS, label="催告",
                   guards=[OFFICER, has_fine, payment_overdue]),
        transition("apply_court", ["urged"], "court", OFFICERS, label="申请法院强制执行",
                   guards=[HEAD]),
        transition("close", ["served", "paid", "court"], "closed", OFFICERS, label="结案",
                   guards=[HEAD, settled], effect=_closed),
        transition("publish", ["decided", "public_notice", "served", "paid", "urged", "court",
                               "closed"], None, OFFICERS, label="公示", guards=[OFFICER],
                   effect=_published),
        transition("revoke", ["decided", "public_notice", "served", "paid", "urged", "court",
                              "closed"], None, OFFICERS, label="决定被撤销（撤回公示）",
                   needs_reason=True, guards=[HEAD]),
        transition("withdraw_publication", ["decided", "public_notice", "served", "paid",
                                            "urged", "court", "closed"], None, OFFICERS,
                   label="撤回公示", needs_reason=True, guards=[OFFICER], effect=_withdrawn),
        transition("suspend", ["investigating", "investigated", "notified", "heard"],
                   "suspended", OFFICERS, label="中止", needs_reason=True, guards=[HEAD],
                   effect=_suspended),
        transition("start_testing", ["investigating"], "testing", OFFICERS,
                   label="检测鉴定", needs_reason=True, guards=[OFFICER], effect=_suspended),
        transition("resume", ["suspended", "testing"], None, OFFICERS, label="恢复办理",
                   guards=[OFFICER], effect=_resumed),
        transition("request_recusal", OPEN, None, OFFICERS, label="当事人申请回避",
                   needs_reason=True, guards=[OFFICER,
                                              requires("officer_id", "name the officer whose "
                                                       "recusal is asked: officer_id",
                                                       "officer_required")],
                   fields=["officer_id"]),
        transition("decide_recusal", OPEN, None, OFFICERS, label="回避决定",
                   guards=[HEAD, requires("recusal_id", "name the request: recusal_id",
                                          "recusal_required"),
                           requires("granted", "say whether it is granted: granted",
                                    "granted_required")],
                   fields=["recusal_id", "granted"]),
        transition("propose_transfer", ["clue", "investigating", "investigated"],
                   "transfer_pending", OFFICERS, label="提请移送公安", needs_reason=True,
                   guards=[OFFICER, two_officers], effect=_suspended),
        transition("approve_transfer", ["transfer_pending"], "transfer_approved", OFFICERS,
                   label="批准移送", guards=[HEAD]),
        transition("refuse_transfer", ["transfer_pending"], None, OFFICERS, label="不批准移送",
                   needs_reason=True, guards=[HEAD], effect=_resumed),
        transition("hand_over", ["transfer_approved"], "transferred", OFFICERS,
                   label="移交公安机关", guards=[OFFICER, package_complete],
                   fields=["package"]),
        transition("police_accept", ["transferred"], "transfer_accepted", OFFICERS,
                   label="公安机关立案", guards=[OFFICER], effect=_police_accepted,
                   fields=["police_answer"]),
        transition("police_decline", ["transferred"], None, OFFICERS, label="公安机关不予立案",
                   needs_reason=True, guards=[OFFICER], effect=_police_answered),
    ),
    steps=STEPS,
    paused_states=PAUSED,
    final_states=FINAL,
    labels=LABELS,
)

# Moves with no fixed target that stay where the case is (the others with none return to
# `suspended_from`: 恢复, 不批准移送, 公安机关不予立案).
IN_PLACE = frozenset({"assign_officers", "extend_verify", "discuss", "extend_decision",
                      "defer_payment",
                      "publish", "revoke", "withdraw_publication", "request_recusal",
                      "decide_recusal"})
