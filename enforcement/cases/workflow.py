"""The ordinary procedure (普通程序) and the simple one (当场处罚), declared once for the
kernel (core/workflow/kernel.py): the live API (through the runner) and the demo history
run the same declaration.

线索登记 → 核查 → 立案 / 不予立案 → 调查取证 → 调查终结 → 法制审核 → 集体讨论 → 事先告知 →
陈述申辩 / 听证 → 决定 → 送达 (公告) → 执行 (催告, 申请法院) → 结案; 中止 and 检测鉴定
suspend, 两法衔接 moves a case to the police. Who may make each move, its guards and the
fields it sets are pure functions of the case's facts and the move's data; what needs the
database (the limitation period against the calendar, who holds a valid 执法证, the
earliest hearing day) is put into the facts by enforcement/cases/flows.py first.

The guards and effects are kept by stage: who acts (positions, 执法证, two officers) here;
立案 to 听证 in stage_investigation.py; 决定 to 结案 and 两法衔接 in stage_decision.py; 公告
before the decision and 暂缓/分期缴纳 in execution.py.

Moves that leave the state as it is (延长, 公示, 申请回避 …) name no target: the flows hand
the current state over as `resume_state`.
"""

from core.errors import Conflict, Forbidden, InvalidInput
from core.units.enums import Position
from core.users.enums import Role
from core.workflow.kernel import Workflow, about_the_actor, requires, transition
from enforcement.cases import execution as ex
from enforcement.cases import stage_decision as dec
from enforcement.cases import stage_investigation as inv

# Re-exported: the vocabulary other modules read from the workflow.
from enforcement.cases.stage_decision import (  # noqa: F401
    OUTCOMES,
    PACKAGE_LABELS,
    SERVICE_METHODS,
    TRANSFER_PACKAGE,
)
from enforcement.cases.stage_investigation import DECLINE_REASONS  # noqa: F401

# The roles that work cases (which move, the positions say); the command centre's
# dispatchers register leads (线索) and assign officers.
OFFICERS = frozenset({Role.enforcement_officer})
DESK = OFFICERS | {Role.county_dispatcher}

LABELS = {
    "clue": "待核查", "not_filed": "不予立案", "investigating": "调查取证",
    "investigated": "调查终结", "legal_review": "法制审核中", "notified": "已事先告知",
    "hearing_requested": "已申请听证", "hearing_scheduled": "已通知听证", "heard": "听证结束",
    "announcing": "公告中", "decided": "已作出决定", "public_notice": "公告送达中",
    "served": "已送达（待履行）",
    "paid": "已履行", "urged": "已催告", "court": "已申请法院强制执行",
    "suspended": "中止", "testing": "检测鉴定中", "transfer_pending": "移送待审批",
    "transfer_approved": "已批准移送", "transferred": "已移送公安",
    "transfer_accepted": "公安已立案",
    "closed": "结案",
}
# The step each state runs (its limit: enforcement_rule, read by case_type.clock_rule).
STEPS = {"clue": "verify", "notified": "notice", "decided": "service",
         "public_notice": "public_service", "announcing": "public_service",
         "served": "payment", "urged": "urge",
         "transfer_pending": "transfer_decision", "transfer_approved": "transfer_handover",
         "transferred": "police_review"}
FINAL = frozenset({"not_filed", "closed", "transfer_accepted"})
PAUSED = frozenset({"suspended", "testing"})
# States in which the 90-day decision clock stands still (行政处罚法第六十条 as provinces
# apply it, e.g. 《市场监督管理行政处罚程序规定》第六十四条: 中止、听证、公告和检测、鉴定等时间
# 不计入案件办理期限).
DECISION_PAUSED = frozenset({"suspended", "testing", "hearing_requested",
                             "hearing_scheduled", "announcing"})
# What stops each clock, in words, for the dispatcher's console (issue 13 §9: every clock
# with its citation and what stops it); the states above are the rule, this its reading.
CLOCK_STOPS = {
    "step": "中止、检测鉴定期间停止计算",
    "decision": "中止、听证、公告和检测、鉴定的期间不计入（《市场监督管理行政处罚程序规定》"
                "第六十四条）",
    "reconsideration": "当事人申请行政复议后停止", "litigation": "当事人提起行政诉讼后停止",
}
OPEN = frozenset(LABELS) - FINAL
BEFORE_DECISION = ("clue", "investigating", "investigated", "legal_review", "notified",
                   "hearing_requested", "hearing_scheduled", "heard", "announcing")
ANNOUNCEABLE = ("investigating", "investigated", "notified", "heard")
AFTER_DECISION = ("decided", "public_notice", "served", "paid", "urged", "court", "closed")



# --- guards ------------------------------------------------------------------------------

def _units(facts, *, team: bool) -> tuple:
    """The case's unit, and (for the officers' moves) the team sent to it by 派遣."""
    return (facts.get("owner_unit_id"), facts.get("team_id")) if team else \
        (facts.get("owner_unit_id"),)


def _holds(*positions: str, team: bool = False):
    wanted = frozenset(positions)

    @about_the_actor
    def guard(facts, actor, data) -> None:
        if not any(actor.holds(unit, wanted) for unit in _units(facts, team=team)):
            names = "、".join(_POSITION_ZH[p] for p in positions)
            raise Forbidden(f"this move is for the case unit's {names}",
                            code="position_required", positions=sorted(wanted))
    guard.__name__ = f"holds_{'_'.join(positions)}"
    return guard


_POSITION_ZH = {"head": "负责人", "legal_reviewer": "法制审核员", "handler": "承办人",
                "inspector": "检查员", "dispatcher": "派遣员"}
HEAD = _holds(Position.head)
LEGAL = _holds(Position.legal_reviewer)
# The dispatched team's officers work the case with the unit's own (行政处罚法第四十二条);
# deciding, reviewing and dispatching stay with the case's unit.
OFFICER = _holds(Position.handler, Position.inspector, Position.head, team=True)
DISPATCH = _holds(Position.dispatcher, Position.head)


@about_the_actor
def credentialed(facts, actor, data) -> None:
    """行政处罚法第四十二条: the officer acting holds a valid 执法证 in the case's unit (or
    in the team sent to it)."""
    if not any(unit in actor.credentialed_units for unit in _units(facts, team=True)):
        raise Forbidden("this move needs a valid 执法证 in the unit that holds the case "
                        "(行政处罚法第四十二条)", code="credential_required")


def two_officers(facts, actor, data) -> None:
    """行政处罚法第四十二条: 执法人员不得少于两人 — `min_officers` (the rule row
    officers_min, put in the facts by the flows) on the case with a valid 执法证 today and
    not withdrawn (`valid_officers` is counted by the flows)."""
    valid, least = facts.get("valid_officers", ()), facts["min_officers"]
    if len(valid) < least:
        raise Conflict(f"investigation needs at least {least} officers with a valid 执法证 "
                       f"on the case (行政处罚法第四十二条); it has {len(valid)}",
                       code="two_officers_required", valid_officers=list(valid),
                       least=least)


def officers_given(facts, actor, data) -> None:
    ids, least = data.get("officer_ids"), facts["min_officers"]
    if not isinstance(ids, list) or len(set(ids)) < least:
        raise InvalidInput(f"name at least {least} officers: officer_ids "
                           "(行政处罚法第四十二条)", code="two_officers_required", least=least)


def team_named(facts, actor, data) -> None:
    if data.get("team_id") is None or data.get("team_version") is None:
        raise InvalidInput("派遣 names the team and the availability version read: team_id, "
                           "team_version", code="team_required")


# --- effects -----------------------------------------------------------------------------

def _suspended(facts, actor, data, now):
    return {"suspended_from": facts["state"]}


def _resumed(facts, actor, data, now):
    return {"suspended_from": None}


def _officers(facts, actor, data, now):
    return {"officer_ids": sorted(set(data["officer_ids"]))}


def _dispatched(facts, actor, data, now):
    """The team on the case, and its members named (the flows chose them: the dispatcher's
    choice, else every member qualified, enforcement/teams/crews.py)."""
    return {"team_id": data["team_id"], "officer_ids": sorted(set(data["officer_ids"]))}


# --- the workflow ------------------------------------------------------------------------

CASE_WORKFLOW = Workflow(
    "enforcement_case",
    (
        transition("assign_officers", OPEN, None, DESK, label="指派执法人员",
                   guards=[DISPATCH, officers_given], effect=_officers,
                   fields=["officer_ids"]),
        transition("dispatch", OPEN, None, DESK, label="派遣",
                   guards=[DISPATCH, team_named, officers_given], effect=_dispatched,
                   fields=["team_id", "team_version", "officer_ids"]),
        transition("extend_verify", ["clue"], None, OFFICERS, label="延长核查",
                   guards=[HEAD], needs_reason=True),
        transition("file", ["clue"], "investigating", OFFICERS, label="立案",
                   guards=[HEAD, inv.matter_named, inv.within_limitation], effect=inv.filed,
                   fields=["matter_code", "major", "legal_review_required"]),
        transition("decline", ["clue"], "not_filed", OFFICERS, label="不予立案",
                   needs_reason=True, guards=[HEAD, inv.decline_reason_allowed,
                                              inv.exempt_listed],
                   effect=inv.declined, fields=["decline_reason"]),
        transition("conclude", ["investigating"], "investigated", OFFICERS, label="调查终结",
                   guards=[OFFICER, credentialed, two_officers]),
        transition("submit_review", ["investigated", "heard"], "legal_review", OFFICERS,
                   label="提交法制审核", guards=[OFFICER], effect=inv.review_submitted),
        transition("pass_review", ["legal_review"], None, OFFICERS,
                   label="法制审核通过", guards=[LEGAL], effect=inv.review_passed),
        transition("return_review", ["legal_review"], "investigating", OFFICERS,
                   label="法制审核退回", needs_reason=True, guards=[LEGAL],
                   effect=inv.review_returned),
        transition("discuss", ["investigated"], None, OFFICERS, label="负责人集体讨论",
                   guards=[HEAD], effect=inv.discussed),
        transition("notify", ["investigated"], "notified", OFFICERS, label="事先告知",
                   guards=[OFFICER, credentialed, two_officers, inv.reviewed_if_required,
                           inv.discussed_if_major, inv.notice_complete],
                   effect=inv.notified, fields=["penalty_types", "fine_fen"]),
        # 行政处罚法第四十五条: 当事人有权进行陈述和申辩; the authority hears and reviews
        # (复核) what the party says: the statement and its review are the move's reason.
        transition("record_defence", ["notified"], None, OFFICERS, label="记录陈述申辩",
                   needs_reason=True, guards=[OFFICER]),
        transition("request_hearing", ["notified"], "hearing_requested", OFFICERS,
                   label="当事人申请听证",
                   guards=[OFFICER, inv.hearing_offered, inv.hearing_in_time]),
        transition("schedule_hearing", ["hearing_requested"], "hearing_scheduled", OFFICERS,
                   label="听证通知", guards=[OFFICER, inv.hearing_far_enough],
                   effect=inv.hearing_scheduled, fields=["hearing_at"]),
        transition("hold_hearing", ["hearing_scheduled"], "heard", OFFICERS, label="举行听证",
                   guards=[OFFICER], effect=inv.heard),
        transition("decide", ["notified", "heard"], "decided", OFFICERS, label="作出决定",
                   guards=[HEAD, dec.outcome_known, inv.reviewed_if_required,
                           inv.discussed_if_major, dec.no_heavier_than_notice],
                   effect=dec.decided, fields=["outcome", "penalty_types", "fine_fen",
                                            "confiscation_fen"]),
        transition("extend_decision", ["investigating", "investigated", "legal_review",
                                       "notified", "heard"], None, OFFICERS,
                   label="延长办案期限", needs_reason=True, guards=[HEAD]),
        transition("serve", ["decided"], "served", OFFICERS, label="送达",
                   guards=[OFFICER, dec.service_method_allowed], effect=dec.served,
                   fields=["service_method", "service_consent_id", "service_address"]),
        transition("serve_by_notice", ["decided"], "public_notice", OFFICERS, label="公告送达",
                   guards=[OFFICER], effect=dec.by_notice),
        transition("deem_served", ["public_notice"], "served", OFFICERS, label="视为送达",
                   guards=[OFFICER], effect=dec.served),
        transition("defer_payment", ["served"], None, OFFICERS, label="批准暂缓（分期）缴纳",
                   needs_reason=True, guards=[HEAD, dec.has_fine], fields=["extend_by"]),
        transition("apply_payment_plan", ["served"], None, OFFICERS,
                   label="当事人申请暂缓（分期）缴纳", needs_reason=True,
                   guards=[OFFICER, dec.has_fine, ex.no_plan_pending, ex.schedule_valid],
                   fields=["instalments"]),
        transition("decide_payment_plan", ["served"], None, OFFICERS,
                   label="暂缓（分期）缴纳审批", guards=[HEAD, ex.plan_named],
                   fields=["plan_id", "granted"]),
        transition("pay_instalment", ["served", "urged"], None, OFFICERS,
                   label="缴纳一期罚款", guards=[OFFICER, ex.has_plan],
                   effect=ex.instalment_paid),
        transition("pay", ["served", "urged"], "paid", OFFICERS, label="缴纳罚款",
                   guards=[OFFICER, dec.has_fine], effect=dec.paid),
        transition("urge", ["served"], "urged", OFFICERS, label="催告",
                   guards=[OFFICER, dec.has_fine, dec.payment_overdue]),
        transition("apply_court", ["urged"], "court", OFFICERS, label="申请法院强制执行",
                   guards=[HEAD]),
        transition("close", ["served", "paid", "court"], "closed", OFFICERS, label="结案",
                   guards=[HEAD, dec.settled], effect=dec.closed),
        transition("publish", ["decided", "public_notice", "served", "paid", "urged", "court",
                               "closed"], None, OFFICERS, label="公示", guards=[OFFICER],
                   effect=dec.published),
        transition("revoke", ["decided", "public_notice", "served", "paid", "urged", "court",
                              "closed"], None, OFFICERS, label="决定被撤销（撤回公示）",
                   needs_reason=True, guards=[HEAD]),
        transition("withdraw_publication", ["decided", "public_notice", "served", "paid",
                                            "urged", "court", "closed"], None, OFFICERS,
                   label="撤回公示", needs_reason=True, guards=[OFFICER], effect=dec.withdrawn),
        transition("suspend", ["investigating", "investigated", "notified", "heard"],
                   "suspended", OFFICERS, label="中止", needs_reason=True, guards=[HEAD],
                   effect=_suspended),
        transition("start_testing", ["investigating"], "testing", OFFICERS,
                   label="检测鉴定", needs_reason=True, guards=[OFFICER], effect=_suspended),
        transition("announce", ANNOUNCEABLE, "announcing", OFFICERS, label="公告",
                   needs_reason=True, guards=[OFFICER], effect=ex.announced),
        transition("end_announcement", ["announcing"], None, OFFICERS, label="公告期满",
                   guards=[OFFICER], effect=ex.announcement_ended),
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
                   label="移交公安机关", guards=[OFFICER, dec.package_complete],
                   fields=["package"]),
        transition("police_accept", ["transferred"], "transfer_accepted", OFFICERS,
                   label="公安机关立案", guards=[OFFICER], effect=dec.police_accepted,
                   fields=["police_answer"]),
        transition("police_decline", ["transferred"], None, OFFICERS, label="公安机关不予立案",
                   needs_reason=True, guards=[OFFICER], effect=dec.police_answered),
    ),
    steps=STEPS,
    paused_states=PAUSED,
    final_states=FINAL,
    labels=LABELS,
)

# Moves with no fixed target that stay where the case is (the others with none return to
# `suspended_from`: 恢复, 不批准移送, 公安机关不予立案).
IN_PLACE = frozenset({"assign_officers", "dispatch", "record_defence", "extend_verify",
                      "discuss", "extend_decision",
                      "defer_payment", "apply_payment_plan", "decide_payment_plan",
                      "publish", "revoke", "withdraw_publication", "request_recusal",
                      "decide_recusal"})
