"""12345 work orders (工单): the rules, the workflow and the case type for the kernel.

受理 (an operator takes the call) → 派单 (to the unit the 派单目录 names for the matter in
the area) → 签收 → 办理 → 答复 → 回访 → 办结. The unit first dispatched to answers for it
(首接负责, 北京市接诉即办工作条例第十四条); it may object once, within the window, and the
centre decides (派单异议, 同条例第十二条第三款; 潍坊市12345热线条例第二十二条第二款: a unit the
centre names may not return it again). The handling clock is 5 working days, +5 with the
approval of the unit's head (安阳市政务服务条例第五十条), read from `workorder_rule`. The
centre calls back once the unit replied or the period ran out (北京 第二十三条).
Intake: workorder_intake.py; moves: workorders.py; lists and reading: workorder_lists.py.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from convenience.open311.models import (
    SATISFACTION,
    WORK_ORDER_SUBJECT,
    WorkOrder,
    WorkOrderRule,
)
from core import audit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.units.enums import Position
from core.users.enums import Role
from core.workflow.case_types import CaseType
from core.workflow.clocks import ClockRule
from core.workflow.durations import parse_duration
from core.workflow.kernel import ClockOp, Notice, Workflow, about_the_actor, requires, transition

PLATFORM = "convenience"
CASE_TYPE = "work_order"

# The rules as first seeded (migration 0020); admins edit the rows (workorder_rule).
RULES: dict[str, tuple[str, str, str]] = {
    "handling": ("5d", "承办时限（工作日）",
                 "安阳市政务服务条例第五十条第一款：承办单位应当在接到政务服务热线事项五个工作日内办理"
                 "完毕并回复来电人、反馈热线工作机构；国务院办公厅关于进一步优化地方政务服务便民热线的"
                 "指导意见（国办发〔2020〕53号）"),
    "extension": ("5d", "延期（经本单位负责人批准，工作日）",
                  "安阳市政务服务条例第五十条第一款：对于特别复杂的政务服务热线事项，五个工作日不能办理"
                  "完毕的，经本单位负责人批准，可以延期五个工作日"),
    "objection_hours": ("24", "派单异议（退回）期限（小时，自派单起）",
                        "安阳市政务服务条例第五十条第二款：不属于本单位职责范围的，应当在24小时内退回热线"
                        "工作机构并说明退回原因"),
    "objection_rounds": ("1", "派单异议轮次",
                         "北京市接诉即办工作条例第十二条第三款（派单异议审核机制）；潍坊市12345政务服务便民"
                         "热线条例第二十二条第二款：经研究确定或者直接指定的承办单位不得退回热线事项"),
    "response": ("1d", "签收（响应）时限（工作日）",
                 "本地规定（响应率考核口径）：北京市接诉即办工作条例第三十二条，考评以响应率、解决率、"
                 "满意率为核心内容"),
}

STATE_LABELS = {"registered": "已受理（待派单）", "dispatched": "已派单（待签收）",
                "objected": "派单异议（待审核）", "handling": "办理中",
                "transferred": "已转网格化管理平台处置", "replied": "已答复（待回访）",
                "closed": "已办结", "void": "作废"}
SATISFACTION_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意",
                       "unsatisfied": "不满意"}
# 12345 operators: the centres' desks and the leaders who watch over them.
OPERATORS = frozenset({Role.county_dispatcher, Role.township_staff, Role.village_staff,
                       Role.supervisor})
EVERYONE = frozenset(Role)
OPEN_STATES = ("dispatched", "objected", "handling")


# --- rules -------------------------------------------------------------------------------

def rule(session: Session, name: str) -> WorkOrderRule:
    row = session.get(WorkOrderRule, name)
    if row is None:
        raise NotFound(f"no work-order rule {name!r}: seed workorder_rule",
                       code="rule_missing")
    return row


def handling_rule(session: Session, order: WorkOrder = None, step: str = "handling"
                  ) -> ClockRule:
    """The handling clock: limit and extension from the rules table, with citations."""
    limit, extension = rule(session, "handling"), rule(session, "extension")
    return ClockRule("step", parse_duration(limit.value), citation=limit.citation,
                     extension=parse_duration(extension.value),
                     extension_position=Position.head, escalates=False)


# --- the workflow (pure) ---------------------------------------------------------------

@about_the_actor
def _member_of_handler(facts, actor, data) -> None:
    """首接负责: the order is its handling unit's: a member of it makes its moves."""
    if not actor.holds(facts.get("handler_unit_id"), frozenset(Position)):
        raise Forbidden("this work order was dispatched to another unit", code="not_your_order")


@about_the_actor
def _head_of_handler(facts, actor, data) -> None:
    """安阳市政务服务条例第五十条: the extension is approved by the unit's head."""
    if not actor.holds(facts.get("handler_unit_id"), {Position.head}):
        raise Forbidden("an extension is approved by the head (负责人) of the handling unit",
                        code="extension_needs_head")


def _not_extended(facts, actor, data) -> None:
    if facts.get("extended"):
        raise Conflict("the order was extended already (once, 5 working days)",
                       code="already_extended")


def _objection_allowed(facts, actor, data) -> None:
    """One round (objection_rounds), within the window after the dispatch."""
    if facts.get("objection_count", 0) >= facts.get("objection_rounds", 1):
        raise Conflict("the objection round was used: the unit the centre named handles it "
                       "(首接负责)", code="objection_round_used")
    if not facts.get("objection_open", True):
        raise Conflict("the objection window after the dispatch has passed",
                       code="objection_window_passed")


def _callback_allowed(facts, actor, data) -> None:
    """回访: after the unit replied, or once the period ran out (北京 第二十三条)."""
    if facts["state"] == "handling" and not facts.get("due_passed"):
        raise Conflict("call back after the unit replied or once its period ran out",
                       code="callback_too_early")
    if data.get("satisfaction") not in SATISFACTION:
        raise InvalidInput(f"satisfaction: one of {', '.join(SATISFACTION)}",
                           code="satisfaction_required")
    if data.get("resolved") is None:
        raise InvalidInput("resolved: true or false (已解决/未解决)", code="resolved_required")


def _new_unit(facts, actor, data) -> None:
    if data.get("handler_unit_id") is None:
        raise InvalidInput("handler_unit_id: the unit that handles it", code="unit_required")
    if data.get("handler_unit_id") == facts.get("handler_unit_id"):
        raise InvalidInput("upholding the objection dispatches to another unit",
                           code="same_unit")


def _dispatched(facts, actor, data, now):
    return {"handler_unit_id": data["handler_unit_id"], "dispatched_at": now,
            "first_unit_id": facts.get("first_unit_id") or data["handler_unit_id"],
            "signed_at": None, "signed_on_time": None}


def _redispatched(facts, actor, data, now):
    # The objection upheld: the unit the centre names answers for it from now on.
    return {"handler_unit_id": data["handler_unit_id"], "first_unit_id": data["handler_unit_id"],
            "dispatched_at": now, "signed_at": None, "signed_on_time": None}


def _signed(facts, actor, data, now):
    due = facts.get("response_due_at")
    return {"signed_at": now, "signed_on_time": due is None or now <= due}


def _objected(facts, actor, data, now):
    return {"objection_count": facts.get("objection_count", 0) + 1,
            "objection_reason": data.get("reason")}


def _rejected(facts, actor, data, now):
    # The unit must handle it: counted as received now, and listed for 督办 (拒不接收).
    return {"refused": True, "signed_at": facts.get("signed_at") or now,
            "signed_on_time": facts.get("signed_on_time") or False}


def _replied(facts, actor, data, now):
    return {"reply": data.get("reason"), "replied_at": now}


def _called_back(facts, actor, data, now):
    return {"satisfaction": data["satisfaction"], "resolved": bool(data["resolved"]),
            "callback_note": data.get("reason"), "closed_at": now}


def _tell_handler(topic: str, title: str):
    def notices(facts, data) -> list[Notice]:
        unit = facts.get("handler_unit_id")
        return [Notice(topic, title, (unit,))] if unit else []
    return notices


def _tell_owner(topic: str, title: str):
    def notices(facts, data) -> list[Notice]:
        unit = facts.get("owner_unit_id")
        return [Notice(topic, title, (unit,))] if unit else []
    return notices


WORKFLOW = Workflow(
    "work_order",
    (transition("dispatch", ["registered"], "dispatched", OPERATORS, label="派单",
                guards=[requires("handler_unit_id", "handler_unit_id: the unit that "
                                 "handles it (or a matter in the 派单目录)", "unit_required")],
                effect=_dispatched, fields=("handler_unit_id",),
                notify=_tell_handler("work_order.dispatched", "新派工单，请签收")),
     transition("sign", ["dispatched"], "handling", EVERYONE, label="签收",
                guards=[_member_of_handler], effect=_signed),
     transition("object", ["dispatched"], "objected", EVERYONE, label="派单异议",
                needs_reason=True, guards=[_member_of_handler, _objection_allowed],
                effect=_objected, notify=_tell_owner("work_order.objected", "工单派单异议待审核")),
     transition("uphold", ["objected"], "dispatched", OPERATORS, label="异议成立，改派",
                needs_reason=True, guards=[_new_unit], effect=_redispatched,
                fields=("handler_unit_id",),
                notify=_tell_handler("work_order.dispatched", "改派工单，请签收")),
     transition("reject", ["objected"], "handling", OPERATORS, label="异议不成立，原单位办理",
                needs_reason=True, effect=_rejected,
                notify=_tell_handler("work_order.objection_rejected", "派单异议不成立，请办理")),
     transition("extend", ["handling"], "handling", EVERYONE, label="延期",
                needs_reason=True, guards=[_head_of_handler, _not_extended],
                effect=lambda facts, actor, data, now: {"extended": True}),
     transition("reply", ["handling"], "replied", EVERYONE, label="答复",
                needs_reason=True, guards=[_member_of_handler], effect=_replied,
                notify=_tell_owner("work_order.replied", "工单已答复，待回访")),
     transition("transfer", ["registered"], "transferred", OPERATORS, label="转网格处置",
                fields=("service_code",)),
     transition("callback", ["replied", "handling", "transferred"], "closed", OPERATORS,
                label="回访", guards=[_callback_allowed], effect=_called_back,
                fields=("satisfaction", "resolved")),
     transition("void", ["registered"], "void", OPERATORS, label="作废", needs_reason=True)),
    steps={"dispatched": "handling", "objected": "handling", "handling": "handling"},
    restarting_moves=frozenset({"uphold"}),
    final_states=frozenset({"closed", "void"}),
    labels=STATE_LABELS,
)


def mirror_step(order: WorkOrder, clock, op: ClockOp, now: datetime) -> None:
    """The order's copy of its handling clock (lists, the 督办 list). Stopped late (the
    kernel's `late`: past due, or red): overdue for good."""
    if op.op in ("start", "resume") and clock is not None:
        order.due_at, order.deadline = clock.due_at, clock.colour
    elif op.op in ("stop", "stop_all") and clock is not None and clock.late:
        order.ever_overdue, order.deadline = True, "red"


WORK_ORDER = CaseType(
    code=CASE_TYPE, subject_type=WORK_ORDER_SUBJECT, platform=PLATFORM, label="12345工单",
    model=WorkOrder, workflow=WORKFLOW,
    area_code=lambda order: order.area_code or order.owner_code,
    clock_rule=handling_rule, mirror_step=mirror_step,
)


def edit_rule(session: Session, *, name: str, value: str, version: int,
                      actor: str) -> WorkOrderRule:
    """An admin edits a rule (optimistic: the version read)."""
    row = rule(session, name)
    if row.version != version:
        raise Conflict(f"the rule changed since you read it (version {row.version})",
                       code="stale_version", current_version=row.version)
    if name in ("handling", "extension", "response"):
        duration = parse_duration(value)
        if not duration.unit.working:
            raise InvalidInput(f"{name}: working days or hours (e.g. 5d)", code="rule_invalid")
    elif not value.isdigit():
        raise InvalidInput(f"{name}: a whole number", code="rule_invalid")
    before = row.value
    row.value = value
    session.flush()
    audit.record(session, actor=actor, action="work_order.rule", subject_type="workorder_rule",
                 subject_id=0, before={"name": name, "value": before},
                 after={"name": name, "value": value})
    return row
