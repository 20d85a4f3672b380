"""综治工作 plugs in here (core/platforms.py): the incident hub, its categories, KPIs,
patrols and map layers."""

from core.platforms import FieldTool, Platform

PUBLIC_PATHS = frozenset()


def _routers():
    from grid.categories.router import router as categories
    from grid.incidents.router import router as incidents
    from grid.kpis.router import router as kpis
    from grid.patrols.router import router as patrols

    return (categories, incidents, kpis, patrols)


# A grid worker's own grids (core/scope.py): those he is assigned to.
OWN_GRIDS_SQL = ("SELECT ga.grid_id FROM grid_assignment ga JOIN grid_worker w "
                 "ON w.id = ga.worker_id WHERE w.user_id = {user}")


# The field app's grid tools (api/field.py: the page's own tabs): reporting (with its
# outbox), the tasks to handle and verify, and patrols. Not for the platforms' officers,
# inspectors and clerks, whose own tools their platforms declare.
_GRID_STAFF = frozenset({"grid_worker", "village_staff", "township_staff",
                         "county_dispatcher", "supervisor"})
FIELD_TOOLS = (
    FieldTool(key="grid.report", label="上报", label_en="Report", module="field/report.js",
              roles=_GRID_STAFF, positions=frozenset({"grid_worker"}),
              permissions=("incidents:report",), order=10),
    FieldTool(key="grid.tasks", label="我的任务", label_en="My tasks", module="field/tasks.js",
              roles=_GRID_STAFF, positions=frozenset({"grid_worker"}),
              permissions=("incidents:act",), order=20),
    FieldTool(key="grid.patrol", label="巡查", label_en="Patrol", module="field/patrol.js",
              roles=frozenset({"grid_worker"}), positions=frozenset({"grid_worker"}),
              permissions=("patrols:record",), order=30),
)


def _setup() -> None:
    from core import scope
    from core.workflow import case_types, intake
    from grid.incidents.case_type import INCIDENT
    from grid.incidents.intake import INTAKE
    from grid.layers import register_layers
    from grid.permissions import grant_all

    grant_all()
    scope.own_grids_are(OWN_GRIDS_SQL)
    case_types.register(INCIDENT)
    intake.register(INTAKE)  # citizen reports (Open311, 随手拍) become incidents
    register_layers()


def _demo(session, **options):
    from grid.demo import load_demo

    return load_demo(session, **options)


def _demo_remove(session, *, city_code: str, **_options):
    from grid.demo import remove_demo

    remove_demo(session, city_code=city_code)


PLATFORM = Platform(
    name="grid", label="综治工作",
    models=("grid.models", "grid.categories.models", "grid.incidents.models",
            "grid.patrols.models"),
    routers=_routers, public_paths=PUBLIC_PATHS, task_modules=("grid.incidents.tasks",),
    setup=_setup, demo=_demo, demo_remove=_demo_remove, field_tools=FIELD_TOOLS,
    # The map's incident parts: choropleth, markers and heatmap, the card's moves, the
    # filters and search, the panel; and today's patrol tracks.
    map_scripts=("map-choropleth.js", "map-actions.js", "map-filters.js", "map-incidents.js",
                 "map-panel.js", "map-staff.js"),
    map_plugins=("leaflet.markercluster/leaflet.markercluster.js",
                 "leaflet.heat/leaflet-heat.js", "leaflet.markercluster/MarkerCluster.css",
                 "leaflet.markercluster/MarkerCluster.Default.css"),
)
