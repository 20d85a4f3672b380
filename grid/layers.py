"""Grid's map layers: the incidents (the hub's cases) and the grid workers' latest
positions, served by geo's layer outputs (vector tiles, GeoJSON, OGC API Features,
exports) once registered by `register_layers()`.
"""

from core.scope import Scope, prefix_range
from geo.layers import Cluster, Filter, Layer, register
from grid.incidents.enums import LABELS_ZH, DeadlineColour, State
from grid.incidents.service import scope_sql
from grid.permissions import GridPermission

DEADLINE_LABELS = {DeadlineColour.green: "正常", DeadlineColour.yellow: "预警",
                   DeadlineColour.red: "超期"}


# --- territory ---------------------------------------------------------------------------

def _incident_scope(scope: Scope) -> tuple[str, dict]:
    """The incident hub's own scope condition (grid/incidents/service.py), as psycopg
    text: one rule for lists, tiles and exports. It names the `incident` table."""
    sql, params = scope_sql(scope)
    return f"({sql})", params


def _staff_scope(scope: Scope) -> tuple[str, dict]:
    """A worker is in the territory when a grid they look after is (for a grid worker:
    one of his own grids), or, above the grid worker, when the staff number (village code
    + 3 digits) lies in one of the scope's code ranges."""
    grids = ("EXISTS (SELECT 1 FROM grid_assignment ga JOIN area a ON a.id = ga.grid_id "
             f"WHERE ga.worker_id = w.id AND {scope.area_condition('a', pyformat=True)})")
    if scope.own_grids_of is not None:
        return grids, scope.params
    return (f"({scope.code_condition('w.staff_code', pyformat=True)} OR {grids})",
            scope.params)


# --- filters -----------------------------------------------------------------------------

def _values(value: object) -> list[str]:
    """A filter's value as a list: one value (a direct call) or several (the query)."""
    return [value] if isinstance(value, str) else [str(one) for one in value]


def _category_bind(codes: object) -> dict:
    # A 大类 code selects its 小类 too: each code is the range of the codes it begins.
    bounds = [prefix_range(code) for code in _values(codes)]
    return {"f_category_low": [b["low"] for b in bounds],
            "f_category_high": [b["high"] for b in bounds]}


INCIDENT_FILTERS = {
    "state": Filter("incident.state = ANY(%(f_state)s)", lambda v: {"f_state": list(v)},
                    title="状态", description="states", many=True,
                    values={str(state): LABELS_ZH[state] for state in State}),
    # Several colours at once: the map's "overdue and warned" view.
    "deadline": Filter("incident.deadline = ANY(%(f_deadline)s)",
                       lambda v: {"f_deadline": _values(v)}, many=True,
                       title="时限", description="green, yellow or red",
                       values={str(colour): label for colour, label in DEADLINE_LABELS.items()}),
    # Several 大类 and 小类 at once (the map's category filter); told apart by code, not by
    # name (two 大类 may share one: B03 and S01 市容环境).
    # On the row's category id, from a set computed once (a hashed subplan): neither the
    # tiles nor the clusters join the categories for it.
    "category": Filter("incident.category_id IN (SELECT fc.id FROM category fc, "
                       "unnest(%(f_category_low)s::text[], %(f_category_high)s::text[]) "
                       "AS r(low, high) WHERE fc.code >= r.low AND fc.code < r.high)",
                       _category_bind, many=True, title="类别",
                       description="大类 or 小类 codes (a 大类 selects its 小类)",
                       pattern=r"[^\W_]{1,8}",
                       hint="category is a category code such as S01 or S0102"),
}

# --- the layers --------------------------------------------------------------------------

INCIDENTS = Layer(
    name="incidents", title="Incidents", title_zh="事件",
    permission=GridPermission.incidents_read, geometry_type="Point",
    source="incident JOIN category c ON c.id = incident.category_id",
    geom="incident.geom", key="incident.id", key_type=int, tile_id="incident.id",
    properties=(("id", "incident.id"), ("state", "incident.state"),
                ("category", "c.code"), ("category_name", "c.name"),
                ("urgency", "incident.urgency"), ("deadline", "incident.deadline"),
                ("reported_at", "incident.reported_at"), ("grid_code", "incident.grid_code")),
    scope=_incident_scope, filters=INCIDENT_FILTERS, temporal="incident.reported_at",
    tile_source="(SELECT * FROM incident WHERE geom && {box} OFFSET 0) incident "
                "JOIN category c ON c.id = incident.category_id",
    # Over budget, the overdue and the warned are the ones a supervisor must see.
    tile_priority="CASE incident.deadline WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END",
    # Clustered at z0–11. The clusters read only what they count and filter on, and never
    # join the categories (the category filter reads `category_id`): at z8 a tile covers
    # ~100,000 incidents, and the join and the wide rows were two thirds of its time
    # (bench/README.md, tiles).
    cluster=Cluster(
        below=12,
        source="(SELECT geom, deadline, state, grid_code, grid_id, category_id, reported_at "
               "FROM incident WHERE geom && {box} OFFSET 0) incident",
        carry=(("deadline", "incident.deadline"),),
        counts=(("overdue", "deadline = 'red'"), ("warning", "deadline = 'yellow'"))),
    short_names={"category_name": "cat_name", "reported_at": "reported", "grid_code": "grid"},
)

STAFF = Layer(
    name="staff", title="Grid workers' latest positions", title_zh="网格员位置",
    permission=GridPermission.incidents_read, geometry_type="Point",
    source="staff_position p JOIN grid_worker w ON w.user_id = p.user_id",
    geom="p.geom", key="w.id", key_type=int, tile_id="w.id",
    properties=(("worker_id", "w.id"), ("name", "w.name"),
                ("staff_code", "w.staff_code"), ("recorded_at", "p.recorded_at"),
                ("accuracy_m", "p.accuracy_m")),
    scope=_staff_scope, temporal="p.recorded_at",
    tile_source="(SELECT * FROM staff_position WHERE geom && {box} OFFSET 0) p "
                "JOIN grid_worker w ON w.user_id = p.user_id",
    short_names={"worker_id": "worker", "staff_code": "staff", "recorded_at": "recorded",
                 "accuracy_m": "accuracy"},
)


def register_layers() -> None:
    """Serve grid's layers (idempotent: registering again changes nothing)."""
    for layer in (INCIDENTS, STAFF):
        register(layer)
