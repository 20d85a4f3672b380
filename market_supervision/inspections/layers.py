"""The inspections' map layers, served by geo's layer outputs (vector tiles, GeoJSON, OGC
API Features, exports) once registered: the inspections (at their GPS fix, else at the
entity), and the rectifications overdue (an order whose 整改 clock ran out with no
re-inspection accepted). Scoped like every list: the entity's area code in the caller's
territory. The entity layer itself is the register's (colour: market_entity.last_result,
which flows.py keeps).
"""

from core.scope import Scope, prefix_range, subtree_prefix_of
from geo.layers import Filter, Layer, register
from market_supervision.inspections.permissions import InspectionPermission
from market_supervision.inspections.vocabulary import LABELS, OUTCOMES


def _scope(scope: Scope) -> tuple[str, dict]:
    return scope.code_condition("i.area_code", pyformat=True), scope.params


SOURCE = ("market_inspection i JOIN market_entity e ON e.id = i.entity_id "
          "JOIN market_task t ON t.id = i.task_id")
GEOM = "COALESCE(i.geom, e.location)"
PROPERTIES = (("id", "i.id"), ("state", "i.state"), ("kind", "i.kind"),
              ("outcome", "i.outcome"), ("entity", "e.name"), ("uscc", "e.uscc"),
              ("industry", "e.industry"), ("task", "t.name"),
              ("inspected_at", "i.inspected_at"), ("rectify_due_at", "i.rectify_due_at"),
              ("area_code", "i.area_code"))
def _area_bind(code: object) -> dict:
    bounds = prefix_range(subtree_prefix_of(str(code)))
    return {"f_area_low": bounds["low"], "f_area_high": bounds["high"]}


AREA = Filter("(i.area_code >= %(f_area_low)s AND i.area_code < %(f_area_high)s)", _area_bind,
              title="区域", description="an area code: its subtree (drill-down)",
              pattern=r"\d{6}(\d{3}){0,3}", hint="area is an area code such as 430202001")
FILTERS = {
    "area": AREA,
    "state": Filter("i.state = ANY(%(f_state)s)", lambda v: {"f_state": list(v)},
                    title="状态", description="result states", many=True, values=LABELS),
    "outcome": Filter("i.outcome = ANY(%(f_outcome)s)", lambda v: {"f_outcome": list(v)},
                      title="结果", description="outcomes", many=True, values=OUTCOMES),
}
SHORT = {"inspected_at": "inspected", "rectify_due_at": "rect_due", "area_code": "area"}

INSPECTIONS = Layer(
    name="market_inspections", title="Market inspections", title_zh="市场检查",
    permission=InspectionPermission.read, geometry_type="Point", source=SOURCE, geom=GEOM,
    key="i.id", key_type=int, tile_id="i.id", properties=PROPERTIES, scope=_scope,
    filters=FILTERS, temporal="i.inspected_at", short_names=SHORT,
    tile_priority="CASE WHEN i.failed_count > 0 THEN 0 ELSE 1 END",
)

# An order overdue: its 整改 clock running past its due moment (the sweep's colour may
# lag a minute; the due moment does not).
OVERDUE_SOURCE = (SOURCE + " JOIN case_clock k ON k.subject_type = 'market_inspection' "
                  "AND k.subject_id = i.id AND k.name = 'rectify' AND k.stopped_at IS NULL "
                  "AND k.due_at < now()")

OVERDUE_RECTIFICATIONS = Layer(
    name="market_rectifications_overdue", title="Overdue rectifications",
    title_zh="逾期未整改", permission=InspectionPermission.read, geometry_type="Point",
    source=OVERDUE_SOURCE, geom=GEOM, key="i.id", key_type=int, tile_id="i.id",
    properties=PROPERTIES, scope=_scope, filters={"area": AREA}, temporal="i.rectify_due_at",
    short_names=SHORT,
)


def register_layers() -> None:
    for layer in (INSPECTIONS, OVERDUE_RECTIFICATIONS):
        register(layer)
