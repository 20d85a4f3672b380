"""The map layers, declared once: every output (vector tiles, GeoJSON pages, OGC API
Features, exports) reads a layer through its declaration here.

A declaration names the layer's tables, geometry, key, properties, filters and how the
caller's territory (core/scope.py) becomes a condition in the query. The SQL is written
with psycopg's %(name)s placeholders, so the API's async pool and a SQLAlchemy session
(`exec_driver_sql`) run the very same text.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import Forbidden, NotFound
from core.scope import Scope, prefix_range
from core.security import Principal
from core.users.enums import ROLE_PERMISSIONS, Permission
from geo.enums import AreaLevel
from grid.incidents.enums import DeadlineColour, State
from grid.incidents.service import scope_sql


@dataclass(frozen=True)
class Filter:
    """A property filter a layer accepts: its SQL condition and how a value binds to it."""

    sql: str
    bind: Callable[[object], dict]


@dataclass(frozen=True)
class Layer:
    name: str
    title: str
    title_zh: str
    permission: Permission
    geometry_type: str  # GeoJSON type of every feature
    source: str  # FROM ... JOIN ...
    geom: str  # the geometry column (SRID 4326)
    key: str  # unique, ordered: the feature id and the keyset of paging
    key_type: type  # int or str
    tile_id: str  # an integer column for the vector tile's feature id
    properties: tuple[tuple[str, str], ...]  # (name, SQL expression)
    scope: Callable[[Scope], tuple[str, dict]]
    filters: dict[str, Filter] = field(default_factory=dict)
    temporal: str | None = None  # the column `datetime` filters on
    # Which features a full vector tile keeps first (an ORDER BY), if any.
    tile_priority: str | None = None
    # Shapefile columns are at most 10 characters: the names used there.
    short_names: dict[str, str] = field(default_factory=dict)

    @property
    def property_names(self) -> list[str]:
        return [name for name, _ in self.properties]


# --- territory ---------------------------------------------------------------------------

def _area_scope(scope: Scope) -> tuple[str, dict]:
    return scope.area_condition("a", pyformat=True), scope.params


def _incident_scope(scope: Scope) -> tuple[str, dict]:
    """The incident hub's own scope condition (grid/incidents/service.py), as psycopg
    text: one rule for lists, tiles and exports. It names the `incident` table."""
    sql, params = scope_sql(scope)
    return f"({sql})", params


def _staff_scope(scope: Scope) -> tuple[str, dict]:
    """A worker is in the territory when a grid they look after is (for a grid worker:
    one of his own grids), or, above the grid worker, when the staff number (village code
    + 3 digits) lies in the scope's code range."""
    grids = ("EXISTS (SELECT 1 FROM grid_assignment ga JOIN area a ON a.id = ga.grid_id "
             f"WHERE ga.worker_id = w.id AND {scope.area_condition('a', pyformat=True)})")
    if scope.own_grids_of is not None:
        return grids, scope.params
    return (f"((w.staff_code >= %(scope_low)s AND w.staff_code < %(scope_high)s) OR {grids})",
            scope.params)


# --- filters -----------------------------------------------------------------------------

def _category_bind(code: object) -> dict:
    bounds = prefix_range(str(code))  # a 大类 code selects its 小类 too
    return {"f_category_low": bounds["low"], "f_category_high": bounds["high"]}


INCIDENT_FILTERS = {
    "state": Filter("incident.state = ANY(%(f_state)s)", lambda v: {"f_state": list(v)}),
    "deadline": Filter("incident.deadline = %(f_deadline)s", lambda v: {"f_deadline": str(v)}),
    "category": Filter("(c.code >= %(f_category_low)s AND c.code < %(f_category_high)s)",
                       _category_bind),
}
AREA_FILTERS = {
    "level": Filter("a.level = %(f_level)s", lambda v: {"f_level": str(v)}),
}

# --- the layers --------------------------------------------------------------------------

AREAS = Layer(
    name="areas", title="Administrative areas and grids", title_zh="行政区划与网格",
    permission=Permission.areas_read, geometry_type="MultiPolygon",
    source="area a", geom="a.geom", key="a.code", key_type=str, tile_id="a.id",
    properties=(("code", "a.code"), ("name", "a.name"), ("level", "a.level"),
                ("population", "a.population")),
    scope=_area_scope, filters=AREA_FILTERS,
)

INCIDENTS = Layer(
    name="incidents", title="Incidents", title_zh="事件",
    permission=Permission.incidents_read, geometry_type="Point",
    source="incident JOIN category c ON c.id = incident.category_id",
    geom="incident.geom", key="incident.id", key_type=int, tile_id="incident.id",
    properties=(("id", "incident.id"), ("state", "incident.state"),
                ("category", "c.code"), ("category_name", "c.name"),
                ("urgency", "incident.urgency"), ("deadline", "incident.deadline"),
                ("reported_at", "incident.reported_at"), ("grid_code", "incident.grid_code")),
    scope=_incident_scope, filters=INCIDENT_FILTERS, temporal="incident.reported_at",
    # Over budget, the overdue and the warned are the ones a supervisor must see.
    tile_priority="CASE incident.deadline WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END",
    short_names={"category_name": "cat_name", "reported_at": "reported", "grid_code": "grid"},
)

STAFF = Layer(
    name="staff", title="Grid workers' latest positions", title_zh="网格员位置",
    permission=Permission.incidents_read, geometry_type="Point",
    source="staff_position p JOIN grid_worker w ON w.id = p.worker_id",
    geom="p.geom", key="p.worker_id", key_type=int, tile_id="p.worker_id",
    properties=(("worker_id", "p.worker_id"), ("name", "w.name"),
                ("staff_code", "w.staff_code"), ("recorded_at", "p.recorded_at"),
                ("accuracy_m", "p.accuracy_m")),
    scope=_staff_scope, temporal="p.recorded_at",
    short_names={"worker_id": "worker", "staff_code": "staff", "recorded_at": "recorded",
                 "accuracy_m": "accuracy"},
)

LAYERS: dict[str, Layer] = {layer.name: layer for layer in (AREAS, INCIDENTS, STAFF)}

# The vocabulary the filters accept (validated before any SQL runs).
STATES = frozenset(State)
DEADLINES = frozenset(DeadlineColour)
AREA_LEVELS = frozenset(AreaLevel)


def get_layer(name: str) -> Layer:
    layer = LAYERS.get(name)
    if layer is None:
        raise NotFound(f"no layer {name!r}; the layers are {', '.join(LAYERS)}")
    return layer


def readable_layer(name: str, principal: Principal) -> Layer:
    """The layer, if the caller's role may read it (areas: areas_read; incidents and
    staff: incidents_read as well). Where: the scope, in every query."""
    layer = get_layer(name)
    if layer.permission not in ROLE_PERMISSIONS[principal.role]:
        raise Forbidden(f"the role {principal.role} may not read the {name} layer")
    return layer
