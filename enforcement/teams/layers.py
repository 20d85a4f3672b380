"""The teams part's map layers (issue §9): teams at their positions, joint operations'
areas, whistles' places — served by geo's outputs (vector tiles, GeoJSON, OGC API
Features, exports) once registered, inside the caller's territory.
"""

from core.scope import Scope
from enforcement.teams.dispatch import team_scope
from enforcement.teams.permissions import TeamsPermission
from enforcement.teams.whistles import WORKFLOW as CALL_WORKFLOW
from geo.layers import Filter, Layer, register

_ON_DUTY = ("EXISTS (SELECT 1 FROM enforcement_roster r WHERE r.team_id = u.id "
            "AND r.ends_at > now() AND r.starts_at <= now())")


def _teams_scope(scope: Scope) -> tuple[str, dict]:
    return team_scope(scope, pyformat=True), scope.params


def _operations_scope(scope: Scope) -> tuple[str, dict]:
    return scope.code_condition("o.area_code", pyformat=True), scope.params


def _whistles_scope(scope: Scope) -> tuple[str, dict]:
    return scope.code_condition("w.area_code", pyformat=True), scope.params


TEAMS = Layer(
    name="enforcement_teams", title="Enforcement teams", title_zh="执法队伍",
    permission=TeamsPermission.teams_read, geometry_type="Point",
    source="enforcement_team_position tp JOIN unit u ON u.id = tp.team_id "
           "LEFT JOIN enforcement_team_state s ON s.team_id = u.id",
    geom="tp.geom", key="u.id", key_type=int, tile_id="u.id",
    properties=(("id", "u.id"), ("name", "u.name"), ("kind", "u.kind"),
                ("department_code", "u.department_code"), ("on_duty", _ON_DUTY),
                ("status", "COALESCE(s.status, 'free')"), ("source", "tp.source"),
                ("fix_at", "tp.fix_at")),
    scope=_teams_scope,
    filters={"status": Filter("COALESCE(s.status, 'free') = %(f_status)s",
                              lambda v: {"f_status": str(v)}, title="状态",
                              description="free or busy",
                              values={"free": "空闲", "busy": "执勤中"})},
    temporal="tp.fix_at",
    short_names={"department_code": "dept", "fix_at": "fix_at"},
)

OPERATION_STATE_LABELS = {"planned": "计划", "running": "进行中", "finished": "已结束",
                          "cancelled": "已取消"}

OPERATIONS = Layer(
    name="enforcement_operations", title="Joint enforcement operations",
    title_zh="联合执法行动", permission=TeamsPermission.operations_read,
    geometry_type="MultiPolygon", source="enforcement_operation o", geom="o.geom",
    key="o.id", key_type=int, tile_id="o.id",
    properties=(("id", "o.id"), ("title", "o.title"), ("state", "o.state"),
                ("lead_department_code", "o.lead_department_code"),
                ("starts_at", "o.starts_at"), ("ends_at", "o.ends_at")),
    scope=_operations_scope,
    filters={"state": Filter("o.state = ANY(%(f_state)s)", lambda v: {"f_state": list(v)},
                             title="状态", description="states", many=True,
                             values=OPERATION_STATE_LABELS)},
    temporal="o.starts_at",
    short_names={"lead_department_code": "lead", "starts_at": "starts", "ends_at": "ends"},
)

_OPEN = ("(SELECT count(*) FROM enforcement_whistle_call c WHERE c.whistle_id = w.id "
         "AND c.state IN ('called', 'responded', 'arrived'))")
_OVERDUE = ("(SELECT count(*) FROM enforcement_whistle_call c WHERE c.whistle_id = w.id "
            "AND c.state IN ('called', 'responded', 'arrived') AND c.deadline = 'red')")

WHISTLES = Layer(
    name="enforcement_whistles", title="Whistle calls", title_zh="吹哨报到",
    permission=TeamsPermission.whistles_read, geometry_type="Point",
    source="enforcement_whistle w", geom="w.geom", key="w.id", key_type=int,
    tile_id="w.id",
    properties=(("id", "w.id"), ("matter", "w.matter"), ("urgency", "w.urgency"),
                ("area_code", "w.area_code"), ("blown_at", "w.blown_at"),
                ("open_calls", _OPEN), ("overdue_calls", _OVERDUE)),
    scope=_whistles_scope,
    filters={"urgency": Filter("w.urgency = %(f_urgency)s", lambda v: {"f_urgency": str(v)},
                               title="紧急程度", description="normal or urgent",
                               values={"normal": "一般", "urgent": "紧急"}),
             "call_state": Filter(
                 "EXISTS (SELECT 1 FROM enforcement_whistle_call c WHERE c.whistle_id = w.id "
                 "AND c.state = ANY(%(f_call_state)s))",
                 lambda v: {"f_call_state": list(v)}, title="报到状态",
                 description="a call's state", many=True,
                 values=dict(CALL_WORKFLOW.labels))},
    temporal="w.blown_at",
    short_names={"area_code": "area", "blown_at": "blown", "open_calls": "open",
                 "overdue_calls": "overdue"},
)


def register_layers() -> None:
    """Serve the layers (idempotent)."""
    for layer in (TEAMS, OPERATIONS, WHISTLES):
        register(layer)
