"""The cases on the supervisor's map (issue §9: "cases, operations and teams as layers on
the supervisor map, scoped"): each located case at its point, with its step, the step
clock's colour and the state — served by geo's outputs (vector tiles, GeoJSON, OGC API
Features, exports) once registered, inside the caller's territory (the case's area code
is the scope's key, as for the queue). No party's name or number is on the map.
"""

from core.scope import Scope
from enforcement.cases.permissions import CasePermission
from enforcement.cases.workflow import LABELS, STEPS
from geo.layers import Filter, Layer, register

CLOCK_LABELS = {"green": "正常", "yellow": "临期", "red": "超期"}
STEP_LABELS = {"verify": "核查", "notice": "陈述申辩/听证申请", "service": "送达",
               "public_service": "公告", "payment": "缴纳罚款", "urge": "催告",
               "transfer_decision": "移送审批", "transfer_handover": "移送公安",
               "police_review": "公安审查"}


def _cases_scope(scope: Scope) -> tuple[str, dict]:
    """The caller's territory; cases with no point (a clue phoned in without one) are not
    on the map."""
    condition = scope.code_condition("c.area_code", pyformat=True)
    return f"({condition}) AND c.geom IS NOT NULL", scope.params


CASES = Layer(
    name="enforcement_cases", title="Enforcement cases", title_zh="执法案件",
    permission=CasePermission.cases_read, geometry_type="Point",
    source="enforcement_case c LEFT JOIN enforcement_matter m ON m.id = c.matter_id",
    geom="c.geom", key="c.id", key_type=int, tile_id="c.id",
    properties=(("id", "c.id"), ("title", "c.title"), ("state", "c.state"),
                ("procedure", "c.procedure"), ("step", "c.step"),
                ("clock", "c.deadline"), ("step_due_at", "c.step_due_at"),
                ("matter_code", "m.code"), ("owner_unit_id", "c.owner_unit_id"),
                ("area_code", "c.area_code"), ("opened_at", "c.opened_at")),
    scope=_cases_scope,
    filters={
        "state": Filter("c.state = ANY(%(f_state)s)", lambda v: {"f_state": list(v)},
                        title="状态", description="the case's states", many=True,
                        values=dict(LABELS)),
        "clock": Filter("c.deadline = %(f_clock)s", lambda v: {"f_clock": str(v)},
                        title="时限", description="the step clock's colour",
                        values=CLOCK_LABELS),
        "step": Filter("c.step = %(f_step)s", lambda v: {"f_step": str(v)}, title="环节",
                       description="the step whose clock runs",
                       values={s: STEP_LABELS.get(s, s) for s in sorted(set(STEPS.values()))}),
    },
    temporal="c.opened_at",
    short_names={"procedure": "proc", "step_due_at": "due", "matter_code": "matter",
                 "owner_unit_id": "unit", "area_code": "area", "opened_at": "opened"},
)


def register_layers() -> None:
    """Serve the layer (idempotent)."""
    register(CASES)
