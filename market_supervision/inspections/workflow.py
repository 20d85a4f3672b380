"""The inspection's lifecycle, declared once for the kernel (core/workflow/kernel.py).

未录入 → 待确认 → 待审核 → (退回 | 不通过 | 待公示) → 已公示 → 待撤回 → 已撤回

- 录入 (record): an inspector assigned to the target records the checklist (合格 / 不合格 /
  不适用, notes, photos), the GPS fix and the time; his own confirmation goes with it.
- 确认 (confirm): another assigned inspector confirms; with the minimum of confirmations
  (data: `market_inspection_rule` min_inspectors, 食品生产经营监督检查管理办法第二十三条:
  2名以上) the record goes to the unit's 审核人 (待审核). Each confirmer holds a valid
  执法证 on the inspection's day (行政处罚法第四十二条; checked against the memberships).
- 审核: the unit's 审核人 (or 负责人) approves it (待公示), returns it for correction (退回)
  or refuses it (不通过: the inspection is done again, 重新检查). Nobody reviews an
  inspection he took part in.
- 公示 (publish) within 20 working days of the inspection (企业信息公示暂行条例第六条;
  食品生产经营监督检查管理办法第三十九条), on a clock the unit sees.
- 撤销 (overturn) of a published result starts the 3 working days within which it is
  撤回 (withdrawn) (市场监督管理行政处罚信息公示规定第十一条, applied to inspection results).
- 复查 (reinspect) and 移送执法 (refer) leave the state as it is: the first opens a
  re-inspection of the failed items, the second refers the finding to 综合执法.

Pure: the facts the guards read beyond the row (`inspector_ids`, `credentialed`,
`check_ids`, `min_inspectors`, …) are looked up by flows.py, and by the demo from its own
records, so both run the same decisions.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.errors import Conflict, Forbidden, InvalidInput
from core.units.enums import Position
from core.users.enums import Role
from core.workflow.kernel import Actor, Notice, Workflow, about_the_actor, transition
from market_supervision.inspections.vocabulary import (
    APPROVED,
    LABELS,
    OVERTURNED,
    PENDING,
    PUBLISHED,
    RECORDED,
    REJECTED,
    RETURNED,
    SUBMITTED,
    WITHDRAWN,
)

INSPECTORS = frozenset({Role.market_inspector})
# Reviewers hold a market role; which unit they review for, their membership says.
REVIEWERS = frozenset({Role.market_inspector, Role.supervisor})
REVIEW_POSITIONS = frozenset({Position.reviewer, Position.head})


# --- guards ------------------------------------------------------------------------------

@about_the_actor
def assigned_inspector(facts, actor: Actor, data) -> None:
    """Only the inspectors drawn (or named) for this target record and confirm it."""
    if actor.user_id not in facts.get("inspector_ids", ()):
        raise Forbidden("you are not one of this inspection's inspectors",
                        code="not_an_assigned_inspector")


@about_the_actor
def holds_valid_credential(facts, actor: Actor, data) -> None:
    """行政处罚法第四十二条: 执法人员应当具有行政执法资格 — a 执法证 valid on the day of the
    inspection (flows.py reads the memberships' expiry into `credentialed`)."""
    if actor.user_id not in facts.get("credentialed", ()):
        raise Forbidden("this needs a valid 执法证 (law-enforcement credential) on the day of "
                        "the inspection", code="credential_required")


@about_the_actor
def not_confirmed_yet(facts, actor: Actor, data) -> None:
    if actor.user_id in (facts.get("confirmed_by") or ()):
        raise Conflict("you have confirmed this record already: another inspector confirms it",
                       code="already_confirmed")


@about_the_actor
def reviewer_of_unit(facts, actor: Actor, data) -> None:
    """审核 is the unit's 审核人 (or 负责人), who took no part in the inspection."""
    if not actor.holds(facts.get("owner_unit_id"), REVIEW_POSITIONS):
        raise Forbidden("this needs the 审核人 or 负责人 of the unit that holds the inspection",
                        code="not_the_reviewer")
    if actor.user_id in facts.get("inspector_ids", ()):
        raise Forbidden("an inspector does not review his own inspection",
                        code="reviewer_is_inspector")


@about_the_actor
def member_of_unit(facts, actor: Actor, data) -> None:
    """Moves of the unit's own (复查, 移送): an inspector of it or its reviewer."""
    if not (actor.user_id in facts.get("inspector_ids", ())
            or actor.holds(facts.get("owner_unit_id"), REVIEW_POSITIONS)):
        raise Forbidden("this needs an inspector of this inspection or the unit's 审核人",
                        code="not_of_the_unit")


def checklist_complete(facts, actor, data) -> None:
    """Every line of the checklist answered once, and only those (a re-inspection's list is
    the failed lines of the first)."""
    expected = set(facts.get("check_ids", ()))
    given = [line["check_id"] for line in data.get("checks") or ()]
    if len(given) != len(set(given)):
        raise InvalidInput("a checklist line is answered twice", code="check_repeated")
    unknown, missing = set(given) - expected, expected - set(given)
    if unknown:
        raise InvalidInput(f"lines {sorted(unknown)} are not on this inspection's checklist",
                           code="check_not_on_list", unknown=sorted(unknown))
    if missing and not data.get("special"):
        raise InvalidInput(f"lines {sorted(missing)} of the checklist are not answered",
                           code="checklist_incomplete", missing=sorted(missing))


def failures_handled(facts, actor, data) -> None:
    """A failed line is corrected on the spot (当场整改, recorded) or ordered corrected by a
    deadline (责令限期改正): 食品生产经营监督检查管理办法第三十三条."""
    ordered = [line for line in data.get("checks") or ()
               if line["result"] == "fail" and not line.get("rectified_on_site")]
    if ordered and not data.get("rectify_days"):
        raise InvalidInput("failed lines not corrected on the spot need a deadline: "
                           "rectify_days (责令限期改正)", code="rectify_deadline_required")
    most = facts.get("rectify_days_max")
    if ordered and most and data["rectify_days"] > most:
        raise InvalidInput(f"a rectification deadline is at most {most} days",
                           code="rectify_deadline_too_long", max_days=most)
    for line in data.get("checks") or ():
        if line.get("rectified_on_site") and line["result"] != "fail":
            raise InvalidInput("only a failed line is corrected on the spot",
                               code="rectified_line_not_failed")


def reinspection_possible(facts, actor, data) -> None:
    if not facts.get("ordered_count"):
        raise Conflict("nothing was ordered corrected: there is nothing to re-inspect",
                       code="nothing_to_reinspect")
    if facts.get("open_reinspection"):
        raise Conflict("a re-inspection of this inspection is open already",
                       code="reinspection_open", reinspection_id=facts["open_reinspection"])


def not_referred_yet(facts, actor, data) -> None:
    if facts.get("referred_at"):
        raise Conflict("this finding was referred to 综合执法 already", code="already_referred")


# --- effects -----------------------------------------------------------------------------

def outcome_of(checks, special: str | None) -> str:
    """The result as published: a special outcome the inspectors chose (无法联系 …), else
    from the lines: nothing failed, all failures corrected on the spot, or ordered."""
    if special:
        return special
    failed = [line for line in checks if line["result"] == "fail"]
    if not failed:
        return "no_problem"
    if all(line.get("rectified_on_site") for line in failed):
        return "rectified_on_site"
    return "ordered"


def _moment(value) -> datetime:
    """The move's data is JSON (the timeline keeps it): a moment arrives as ISO 8601."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _recorded(facts, actor, data, now) -> dict[str, Any]:
    checks = data.get("checks") or ()
    failed = [line for line in checks if line["result"] == "fail"]
    ordered = [line for line in failed if not line.get("rectified_on_site")]
    return {"recorded_by": actor.user_id, "recorded_at": now, "confirmed_by": [actor.user_id],
            "inspected_at": _moment(data["inspected_at"]),
            "outcome": outcome_of(checks, data.get("special")),
            "failed_count": len(failed), "ordered_count": len(ordered),
            "rectify_days": data.get("rectify_days") if ordered else None,
            "summary": data.get("summary")}


def _confirmed(facts, actor, data, now) -> dict[str, Any]:
    confirmed = [*(facts.get("confirmed_by") or ()), actor.user_id]
    enough = len(confirmed) >= facts["min_inspectors"]
    return {"confirmed_by": confirmed, **({"submitted_at": now} if enough else {})}


def confirm_target(facts: Mapping[str, Any]) -> str:
    """Where 确认 goes: to review once the minimum of inspectors confirmed, else it waits
    for the next (given to the kernel as the move's `resume_state`)."""
    return SUBMITTED if len(facts.get("confirmed_by") or ()) + 1 >= facts["min_inspectors"] \
        else RECORDED


def _reviewed(facts, actor, data, now) -> dict[str, Any]:
    return {"reviewed_by": actor.user_id, "reviewed_at": now}


def _returned(facts, actor, data, now) -> dict[str, Any]:
    return {"confirmed_by": [], "return_count": facts["return_count"] + 1}


def _reopened(facts, actor, data, now) -> dict[str, Any]:
    return {"confirmed_by": [], "recorded_by": None, "recorded_at": None, "inspected_at": None,
            "outcome": None, "failed_count": 0, "ordered_count": 0, "rectify_days": None,
            "submitted_at": None, "reviewed_by": None, "reviewed_at": None}


def _published(facts, actor, data, now) -> dict[str, Any]:
    due = facts.get("publish_due_at")
    return {"published_at": now, "published_on_time": due is None or now <= due}


def _overturned(facts, actor, data, now) -> dict[str, Any]:
    return {"overturned_at": now}


def _withdrawn(facts, actor, data, now) -> dict[str, Any]:
    return {"withdrawn_at": now, "withdrawn_on_time": (facts.get("withdraw_due_at") is None
                                                       or now <= facts["withdraw_due_at"])}


def _referred(facts, actor, data, now) -> dict[str, Any]:
    return {"referred_at": now}


# --- notices (pure: the facts after the move, and its data) ---------------------------------

def _tell_reviewers(facts, data) -> list[Notice]:
    if facts["state"] != SUBMITTED:  # still waiting for another inspector
        return [Notice("market_inspection.confirm", f"待确认检查记录 #{facts['id']}", (),
                       tuple(u for u in facts.get("inspector_ids", ())
                             if u not in (facts.get("confirmed_by") or ())))]
    return [Notice("market_inspection.submitted", f"待审核检查结果 #{facts['id']}",
                   (facts["owner_unit_id"],), positions=tuple(REVIEW_POSITIONS))]


def _tell_inspectors(facts, data) -> list[Notice]:
    return [Notice(f"market_inspection.{facts['state']}",
                   f"检查结果{LABELS[facts['state']]} #{facts['id']}：{data.get('reason') or ''}",
                   (), tuple(facts.get("inspector_ids", ())))]


def _tell_the_unit(facts, data) -> list[Notice]:
    return [Notice("market_inspection.overturned",
                   f"已公示结果被撤销，须在3个工作日内撤回 #{facts['id']}",
                   (facts["owner_unit_id"],), positions=tuple(REVIEW_POSITIONS))]


RECORD_FIELDS = ("inspected_at", "location", "accuracy_m", "checks", "rectify_days", "special",
                 "summary")

INSPECTION_WORKFLOW = Workflow(
    "market_inspection",
    (
        transition("record", [PENDING, RECORDED, RETURNED], RECORDED, INSPECTORS, label="录入",
                   guards=[assigned_inspector, holds_valid_credential, checklist_complete,
                           failures_handled],
                   effect=_recorded, notify=_tell_reviewers, fields=RECORD_FIELDS),
        transition("confirm", [RECORDED], None, INSPECTORS, label="确认",
                   guards=[assigned_inspector, holds_valid_credential, not_confirmed_yet],
                   effect=_confirmed, notify=_tell_reviewers),
        transition("approve", [SUBMITTED], APPROVED, REVIEWERS, label="审核通过",
                   guards=[reviewer_of_unit], effect=_reviewed),
        transition("return", [SUBMITTED], RETURNED, REVIEWERS, label="退回", needs_reason=True,
                   guards=[reviewer_of_unit], effect=_returned, notify=_tell_inspectors),
        transition("reject", [SUBMITTED], REJECTED, REVIEWERS, label="不通过",
                   needs_reason=True, guards=[reviewer_of_unit], effect=_reviewed,
                   notify=_tell_inspectors),
        transition("reopen", [REJECTED], PENDING, REVIEWERS, label="重新检查",
                   guards=[reviewer_of_unit], effect=_reopened),
        transition("publish", [APPROVED], PUBLISHED, REVIEWERS, label="公示",
                   guards=[reviewer_of_unit], effect=_published),
        transition("overturn", [PUBLISHED], OVERTURNED, REVIEWERS, label="撤销",
                   needs_reason=True, guards=[reviewer_of_unit], effect=_overturned,
                   notify=_tell_the_unit),
        transition("withdraw", [OVERTURNED], WITHDRAWN, REVIEWERS, label="撤回公示",
                   guards=[reviewer_of_unit], effect=_withdrawn),
        transition("reinspect", [APPROVED, PUBLISHED], None, INSPECTORS | REVIEWERS,
                   label="复查", guards=[member_of_unit, reinspection_possible]),
        transition("refer", [RECORDED, SUBMITTED, APPROVED, PUBLISHED], None,
                   INSPECTORS | REVIEWERS, label="移送执法", needs_reason=True,
                   guards=[member_of_unit, not_referred_yet], effect=_referred,
                   fields=("to_unit_id",)),
    ),
    final_states=frozenset({WITHDRAWN}),
    labels=LABELS,
)

# Moves that leave the state where it is (the kernel's `resume_state`).
STAYING = frozenset({"reinspect", "refer"})


def resume_state(name: str, facts: Mapping[str, Any]) -> str | None:
    """The state a move with no fixed target goes to: 确认 by the count of confirmations,
    复查 and 移送 stay."""
    if name == "confirm":
        return confirm_target(facts)
    if name in STAYING:
        return facts["state"]
    return None
