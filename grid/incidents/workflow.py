"""The incident lifecycle, declared once for the kernel (core/workflow/kernel.py).

信息收集 → 立案 → 派遣 → 处理 → 反馈 → 核查 → 结案 → 评价, with 退回, 返工, 挂账, 作废 and 并单.
Who may make each move, its guards, the fields it sets and whom it tells are here, as pure
functions of the incident's facts and the move's data: the live API (through the runner)
and the demo history (grid/incidents/history) run the same declaration. Where (territory)
is the scope's business; what needs the database before a move (the dispatch unit, the
merge target) is checked in grid/incidents/flows.py.
"""

from core.errors import Forbidden
from core.units.enums import Position
from core.users.enums import CENTRES, Role
from core.workflow.kernel import Notice, Workflow, about_the_actor, requires, transition
from grid.incidents.enums import FINAL, LABELS_ZH, STEP_OF_STATE
from grid.incidents.enums import State as S

# Whoever a task can be dispatched to: the centres' own units, the platforms' officers,
# and grid workers for what they can fix on the spot.
HANDLERS = CENTRES | {Role.grid_worker, Role.enforcement_officer, Role.market_inspector,
                      Role.service_clerk}
# Verification (核查) is the grid worker's, or a centre's when it sends someone.
VERIFIERS = CENTRES | {Role.grid_worker}
# The centres (受理员, 派遣员, 值班长) and the leaders who watch over them.
LEADERS = CENTRES | {Role.supervisor}

OPEN_WITH_WORK = (S.filed, S.dispatched, S.handling, S.rework)
# Who may act for a named handler of their unit.
MANAGERS = frozenset({Position.head, Position.dispatcher})


# --- guards -----------------------------------------------------------------------------

@about_the_actor
def _the_handler(facts, actor, data) -> None:
    """A task is its handling unit's to sign, return and report back on: a member of it
    (when a person is named, that person, or the unit's head or dispatcher)."""
    named, unit = facts.get("handler_user_id"), facts.get("handler_unit_id")
    if named is None and unit is None:
        return  # not dispatched to anyone (a row made before units): the role decides
    if named is not None:
        allowed = named == actor.user_id or actor.holds(unit, MANAGERS)
    else:
        allowed = actor.holds(unit, frozenset(Position))
    if not allowed:
        raise Forbidden("this task was dispatched to another unit or person",
                        code="not_your_task")


# --- effects (the fields a move sets) --------------------------------------------------

def _filed(facts, actor, data, now):
    return {"filed_at": now}


def _dispatched(facts, actor, data, now):
    return {"handler_unit_id": data["handler_unit_id"],
            "handler_user_id": data.get("handler_user_id"), "dispatched_at": now}


def _returned(facts, actor, data, now):
    return {"return_count": facts["return_count"] + 1}


def _handled(facts, actor, data, now):
    return {"handled_at": now}


def _verified(facts, actor, data, now):
    due = facts.get("step_due_at")
    return {"verified_at": now, "verified_on_time": due is None or now <= due}


def _reworked(facts, actor, data, now):
    return {"rework_count": facts["rework_count"] + 1}


def _closed(facts, actor, data, now):
    return {"closed_at": now}


def _evaluated(facts, actor, data, now):
    return {"rating": data["rating"]}


def _suspended(facts, actor, data, now):
    return {"suspended_from": facts["state"]}


def _resumed(facts, actor, data, now):
    return {"suspended_from": None}


def _merged(facts, actor, data, now):
    return {"merged_into_id": data["into"]}


# --- notices ----------------------------------------------------------------------------

def _tell_handler(facts, data):
    return [Notice("incident.dispatched", f"派遣任务 #{facts['id']}",
                   (facts["handler_unit_id"],), (facts.get("handler_user_id"),))]


def _tell_owner_returned(facts, data):
    return [Notice("incident.returned", f"任务退回 #{facts['id']}：{data.get('reason')}",
                   (facts["owner_unit_id"],))]


def _tell_verifiers(facts, data):
    # The grid's worker verifies (核查), or the centre sends someone.
    return [Notice("incident.handled", f"待核查 #{facts['id']}", (facts["owner_unit_id"],),
                   (facts.get("responsible_worker_user_id"),))]


def _tell_handler_rework(facts, data):
    return [Notice("incident.rework", f"核查未通过，返工 #{facts['id']}",
                   (facts.get("handler_unit_id"),), (facts.get("handler_user_id"),),
                   positions=(Position.handler, Position.head, Position.dispatcher))]


INCIDENT_WORKFLOW = Workflow(
    "incident",
    (
        transition("file", [S.reported], S.filed, CENTRES, label="立案", effect=_filed),
        transition("dispatch", [S.filed, S.returned], S.dispatched, CENTRES, label="派遣",
                   guards=[requires("handler_unit_id", "dispatch needs handler_unit_id: the "
                                    "unit that will handle it", "handler_unit_required")],
                   effect=_dispatched, notify=_tell_handler,
                   fields=["handler_unit_id", "handler_user_id"]),
        transition("accept", [S.dispatched], S.handling, HANDLERS, label="签收",
                   guards=[_the_handler]),
        transition("return", [S.dispatched], S.returned, HANDLERS, label="退回",
                   needs_reason=True, guards=[_the_handler], effect=_returned,
                   notify=_tell_owner_returned),
        transition("handle", [S.handling, S.rework], S.handled, HANDLERS, label="处理反馈",
                   guards=[_the_handler], effect=_handled, notify=_tell_verifiers,
                   fields=["photos"]),  # 处理后 photos (grid/incidents/photos.py)
        transition("verify", [S.handled], S.verified, VERIFIERS, label="核查通过",
                   effect=_verified),
        transition("rework", [S.handled], S.rework, VERIFIERS, label="返工", needs_reason=True,
                   effect=_reworked, notify=_tell_handler_rework),
        transition("close", [S.verified], S.closed, CENTRES, label="结案", effect=_closed),
        transition("evaluate", [S.closed], S.evaluated, LEADERS, label="评价",
                   guards=[requires("rating", "evaluate needs a rating from 1 to 5",
                                    "rating_required")],
                   effect=_evaluated, fields=["rating"]),
        transition("suspend", OPEN_WITH_WORK, S.suspended, LEADERS, label="挂账",
                   needs_reason=True, effect=_suspended),
        transition("resume", [S.suspended], None, LEADERS, label="解挂", effect=_resumed),
        transition("void", [S.reported, S.filed, S.returned], S.void, CENTRES, label="作废",
                   needs_reason=True),
        transition("merge", [S.reported, S.filed], S.merged, CENTRES, label="并单",
                   guards=[requires("into", "merge needs `into`: the id of another open "
                                    "incident", "merge_target_required")],
                   effect=_merged, fields=["into"]),
    ),
    steps={str(state): str(step) for state, step in STEP_OF_STATE.items()},
    paused_states=frozenset({S.suspended}),
    final_states=frozenset(str(s) for s in FINAL),
    labels={str(state): label for state, label in LABELS_ZH.items()},
)
