"""The part's workflows, pure (core/workflow/kernel.py): applications (受理 → 审查 → 决定 →
办结/出件, with 补办, 退件, 容缺 and 告知承诺), bundles, rectifications of bad ratings,
enterprise forms and the 办不成事 window. Which unit a move needs is a guard here; what a
move does to other rows is the flows' (applications.py …)."""

from core.errors import Forbidden, InvalidInput
from core.units.enums import DESK_POSITIONS
from core.users.enums import Role
from core.workflow.kernel import Actor, Notice, Workflow, about_the_actor, requires, transition

# Who works at halls, centres and stations (and their leaders); the proxy agent takes
# applications on a resident's behalf and brings what is missing, no more.
BACK_OFFICE = frozenset({Role.service_clerk, Role.village_staff, Role.township_staff,
                         Role.county_dispatcher, Role.supervisor, Role.admin})
CLERKS = BACK_OFFICE | {Role.proxy_agent}
SYSTEM_ONLY = frozenset({Role.admin})  # the sweep's moves (its principal is an admin)
LEADERS = frozenset({Role.supervisor, Role.admin, Role.county_dispatcher})


def _desk_at(column: str, what: str):
    """The actor holds a desk in the unit named by `column` (an admin or a supervisor of
    the territory may stand in: the scope already checked the territory)."""
    @about_the_actor
    def guard(facts, actor: Actor, data) -> None:
        if actor.role in (Role.admin, Role.supervisor):
            return
        if not actor.holds(facts.get(column), DESK_POSITIONS):
            raise Forbidden(f"{what}: this needs a desk in unit {facts.get(column)}",
                            code="not_your_unit")
    return guard


at_owner = _desk_at("owner_unit_id", "the deciding department (后台审批)")
at_intake = _desk_at("intake_unit_id", "the window that took the application (统一出件)")


@about_the_actor
def proxy_has_consent(facts, actor: Actor, data) -> None:
    """帮代办 (安阳市政务服务条例第十五条): a proxy agent acts only on an application he was
    given with the resident's recorded consent."""
    if actor.role != Role.proxy_agent:
        return
    if facts.get("proxy_user_id") != actor.user_id or facts.get("consent_at") is None:
        raise Forbidden("a proxy agent acts only with the resident's recorded consent "
                        "(代办需申请人授权)", code="consent_required")


def _nothing_deferred(facts, actor, data) -> None:
    """条例第二十四条: 补齐补正全部材料的，在承诺办理时限内及时办结 — not before."""
    if facts.get("deferred"):
        names = "、".join(m.get("name", "") for m in facts["deferred"])
        raise InvalidInput(f"容缺材料尚未补齐：{names}", code="deferred_materials_missing")


def _result_given(facts, actor, data) -> None:
    if data.get("result") not in ("approved", "refused"):
        raise InvalidInput("a decision's result is approved or refused",
                           code="result_required")
    if data["result"] == "refused" and not (data.get("reason") or "").strip():
        raise InvalidInput("不予许可 needs its reason", code="reason_required")


def _is_commitment(facts, actor, data) -> None:
    if not facts.get("commitment"):
        raise InvalidInput("not an application under 告知承诺制", code="not_a_commitment")


def _not_checked(facts, actor, data) -> None:
    if facts.get("commit_checked_at") is not None:
        raise InvalidInput("this commitment was checked already", code="already_checked")


def _decided(facts, actor, data, now):
    return {"decided_at": now, "result": data["result"],
            "result_note": data.get("result_note") or data.get("reason")}


def _finished(facts, actor, data, now):
    due = facts.get("due_at")
    return {"finished_at": now, "on_time": due is None or now <= due}


def _committed(facts, actor, data, now):
    return {"decided_at": now, "finished_at": now, "result": "approved", "on_time": True,
            "result_note": "告知承诺制：当场作出决定"}


def _checked(facts, actor, data, now):
    return {"commit_checked_at": now, "commit_check_result": data.get("check_result")}


def _deferred_done(facts, actor, data, now):
    return {"deferred": [], "supplement_due_at": None}


APPLICATION = Workflow(
    "application",
    (transition("review", ["accepted"], "reviewing", BACK_OFFICE, label="审查",
                guards=[at_owner]),
     transition("ask_supplement", ["accepted", "reviewing"], "supplement", BACK_OFFICE,
                label="补办（一次性告知补正）", needs_reason=True, guards=[at_owner]),
     transition("supplemented", ["supplement"], "reviewing", CLERKS, label="补正到位",
                guards=[proxy_has_consent]),
     transition("add_deferred", ["accepted", "reviewing", "decided"], None, CLERKS,
                label="补齐容缺材料", guards=[proxy_has_consent], effect=_deferred_done),
     transition("decide", ["reviewing"], "decided", BACK_OFFICE, label="决定",
                guards=[at_owner, _result_given], effect=_decided,
                fields=("result", "result_note")),
     transition("finish", ["decided"], "done", BACK_OFFICE, label="办结出件",
                guards=[at_intake, _nothing_deferred], effect=_finished),
     transition("return", ["accepted", "reviewing", "supplement"], "returned", BACK_OFFICE,
                label="退件", needs_reason=True, guards=[at_owner]),
     transition("withdraw", ["accepted", "reviewing", "supplement", "decided"], "withdrawn",
                CLERKS, label="申请人撤回", needs_reason=True, guards=[proxy_has_consent]),
     transition("lapse", ["accepted", "reviewing", "supplement", "decided"], "withdrawn",
                SYSTEM_ONLY, label="逾期未补齐，视为撤回", needs_reason=True),
     transition("commit_decide", ["accepted"], "done", BACK_OFFICE, label="告知承诺 当场决定",
                guards=[_is_commitment], effect=_committed),
     transition("commit_check", ["done"], "done", BACK_OFFICE, label="告知承诺 核查",
                guards=[_is_commitment, _not_checked,
                        requires("check_result", "核查结果必填", "check_result_required")],
                effect=_checked, fields=("check_result",)),
     transition("revoke", ["done"], "revoked", BACK_OFFICE, label="撤销许可（承诺不实）",
                needs_reason=True, guards=[_is_commitment])),
    steps={"accepted": "handle", "reviewing": "handle", "decided": "handle"},
    paused_states=frozenset({"supplement"}),
    final_states=frozenset({"done", "returned", "not_accepted", "withdrawn", "revoked"}),
    labels={"accepted": "已受理", "reviewing": "审查中", "supplement": "待补正",
            "decided": "已决定", "done": "已办结", "returned": "已退件",
            "not_accepted": "不予受理", "withdrawn": "已撤回", "revoked": "已撤销"},
)

BUNDLE = Workflow(
    "bundle",
    (transition("close", ["handling"], "done", SYSTEM_ONLY, label="全部办结",
                effect=lambda facts, actor, data, now: {"closed_at": now}),
     transition("withdraw", ["handling"], "withdrawn", CLERKS, label="撤回", needs_reason=True)),
    steps={"handling": "handle"}, final_states=frozenset({"done", "withdrawn"}),
    labels={"handling": "办理中", "done": "已办结", "withdrawn": "已撤回"},
)


def _at(column: str):
    return lambda facts, actor, data, now: {column: now}


RECTIFICATION = Workflow(
    "rectification",
    (transition("contact", ["contact"], "rectifying", BACK_OFFICE, label="联系核实",
                needs_reason=True, guards=[at_owner], effect=_at("contacted_at")),
     transition("rectify", ["rectifying"], "callback", BACK_OFFICE, label="整改完成",
                guards=[at_owner, requires("measures", "整改措施必填", "measures_required")],
                effect=lambda facts, actor, data, now: {"rectified_at": now,
                                                        "measures": data["measures"]},
                fields=("measures",)),
     transition("call_back", ["callback"], "rerating", BACK_OFFICE, label="回访",
                needs_reason=True, guards=[at_owner], effect=_at("called_back_at")),
     transition("close", ["contact", "rectifying", "callback", "rerating"], "closed",
                SYSTEM_ONLY, label="再评价，整改闭环", effect=_at("closed_at"))),
    steps={"contact": "contact"}, final_states=frozenset({"closed"}),
    labels={"contact": "待联系", "rectifying": "整改中", "callback": "待回访",
            "rerating": "待再评价", "closed": "已闭环"},
)


def _red_notice(facts, data) -> list[Notice]:
    """红单问责: the discipline and business-environment offices are told (facts carry
    their units, looked up by the flow)."""
    units = tuple(facts.get("accountability_units") or ())
    return [Notice("convenience.enterprise.red",
                   f"企业代办红单（问责）{facts.get('number')}：{facts.get('enterprise_name')}",
                   unit_ids=units)] if units else []


ENTERPRISE = Workflow(
    "enterprise_request",
    (transition("assign", ["white"], "green", BACK_OFFICE, label="转部门帮办（绿单）",
                guards=[requires("department_code", "请选择帮办部门", "department_required")],
                effect=lambda facts, actor, data, now: {
                    "department_code": data["department_code"],
                    "help_kind": data.get("help_kind")},
                fields=("department_code", "help_kind")),
     transition("escalate_yellow", ["green"], "yellow", SYSTEM_ONLY, label="超时转黄单（督办）",
                needs_reason=True),
     transition("escalate_red", ["yellow"], "red", SYSTEM_ONLY, label="督办超时转红单（问责）",
                needs_reason=True, notify=_red_notice),
     transition("deliver", ["green", "yellow", "red"], "done", BACK_OFFICE, label="办结",
                needs_reason=True, effect=_at("closed_at"))),
    steps={"white": "white", "green": "green", "yellow": "yellow", "red": "red"},
    final_states=frozenset({"done"}),
    labels={"white": "白单（登记）", "green": "绿单（帮办）", "yellow": "黄单（督办）",
            "red": "红单（问责）", "done": "已办结"},
)


def _complex_only(facts, actor, data) -> None:
    if facts.get("kind") != "complex":
        raise InvalidInput("only a complex matter reports progress", code="not_complex")


STUCK = Workflow(
    "stuck_matter",
    (transition("report_progress", ["open"], "progressing", BACK_OFFICE, label="反馈进展",
                needs_reason=True, guards=[_complex_only], effect=_at("progress_reported_at")),
     transition("close", ["open", "progressing"], "closed", BACK_OFFICE, label="办结",
                guards=[requires("outcome", "办理结果必填", "outcome_required")],
                effect=lambda facts, actor, data, now: {"closed_at": now,
                                                        "outcome": data["outcome"]},
                fields=("outcome",))),
    steps={"open": "handle"}, final_states=frozenset({"closed"}),
    labels={"open": "办理中", "progressing": "已反馈进展", "closed": "已办结"},
)
