"""The 12345 work orders' map layer (工单), served by geo's layer outputs (vector tiles,
GeoJSON, OGC API Features, exports) once registered, like the grid's incidents.

Only orders with a point (a call located by the operator, an Open311 request with lat/long
about a catalogue item). Scoped as the lists are (workorder_lists.py): the orders held by
a centre of the caller's territory (`owner_code`), so a feature on the map is one the
caller can open. No caller's name or phone in the properties."""

from convenience.open311.workorder_flow import STATE_LABELS
from convenience.open311.workorder_router import WorkOrderPermission
from core.scope import Scope
from geo.layers import Filter, Layer, registry

DEADLINE_LABELS = {"green": "正常", "yellow": "预警", "red": "超期"}


def _order_scope(scope: Scope) -> tuple[str, dict]:
    """The orders with a point held in the caller's territory."""
    condition = scope.code_condition("w.owner_code", pyformat=True)
    return f"(w.geom IS NOT NULL AND {condition})", scope.params


WORK_ORDERS = Layer(
    name="work_orders", title="12345 work orders", title_zh="12345工单",
    permission=WorkOrderPermission.read, geometry_type="Point",
    source="work_order w LEFT JOIN unit hu ON hu.id = w.handler_unit_id",
    geom="w.geom", key="w.id", key_type=int, tile_id="w.id",
    properties=(("id", "w.id"), ("number", "'GD' || lpad(w.id::text, 10, '0')"),
                ("state", "w.state"), ("deadline", "w.deadline"),
                ("matter_code", "w.matter_code"), ("handler_unit", "hu.name"),
                ("due_at", "w.due_at"), ("created_at", "w.created_at"),
                ("area_code", "w.area_code")),
    scope=_order_scope, temporal="w.created_at",
    tile_source="(SELECT * FROM work_order WHERE geom && {box} OFFSET 0) w "
                "LEFT JOIN unit hu ON hu.id = w.handler_unit_id",
    # The overdue first when a tile is over its budget: those are the ones to see.
    tile_priority="CASE w.deadline WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END",
    filters={
        "state": Filter("w.state = ANY(%(f_state)s)", lambda v: {"f_state": list(v)},
                        title="状态", description="the order's state(s)", values=STATE_LABELS,
                        many=True),
        "deadline": Filter("w.deadline = %(f_deadline)s", lambda v: {"f_deadline": str(v)},
                           title="期限", description="green, yellow or red",
                           values=DEADLINE_LABELS)},
    short_names={"matter_code": "matter", "handler_unit": "unit", "created_at": "created",
                 "area_code": "area"},
)


def register_layers() -> None:
    registry.register(WORK_ORDERS)  # the same declaration again is a no-op
