"""Teams, on-duty rosters, nearest qualified team, joint operations, 吹哨报到, KPIs — one
part of the enforcement platform (enforcement/platform.py composes the parts).

It brings: the tables (models.py), the routes under /api/v1/enforcement (teams,
operations, whistles, kpis), the whistle call's case type on the kernel (whistles.py),
three map layers (layers.py), the positions' refresh on the beat (tasks.py) and demo data
(demo.py).
"""

MODELS: tuple[str, ...] = ("enforcement.teams.models",)
TASK_MODULES: tuple[str, ...] = ("enforcement.teams.tasks",)
# Public, no login: the KPI charts' page is a shell, its data from the authenticated API.
PUBLIC_PATHS: tuple[str, ...] = ("/enforcement/kpis",)


def _field_tools() -> tuple:
    """The officer's field tools (/field, api/field_tools.py; issue 13 §9), for the whole
    platform: his cases, 当场处罚 on the phone, his team. Given to an enforcement officer,
    or to whoever is a 承办人 of an enforcement unit, with the permissions each needs."""
    from core.platforms import FieldTool

    officers = frozenset({"enforcement_officer"})
    handlers = frozenset({"handler"})
    shared = ("enforcement/field/common.js", "enforcement/field/record.js")
    return (
        FieldTool(key="enforcement.cases", label="执法办案", label_en="Cases",
                  module="enforcement/field/cases.js", roles=officers, positions=handlers,
                  permissions=("enforcement-cases:read",), assets=shared, order=40),
        FieldTool(key="enforcement.spot", label="当场处罚", label_en="On the spot",
                  module="enforcement/field/spot.js", roles=officers, positions=handlers,
                  permissions=("enforcement-cases:open",), assets=shared, order=41),
        FieldTool(key="enforcement.team", label="我的队伍", label_en="My team",
                  module="enforcement/field/team.js", roles=officers, positions=handlers,
                  permissions=("enforcement-teams:read",), assets=shared, order=42),
    )


FIELD_TOOLS: tuple = _field_tools()


def routers() -> tuple:
    from enforcement.teams.router import router

    return (router,)


def _kpi_pages() -> tuple:
    """The KPI charts page (/enforcement/kpis), drawn by the shared KPI page."""
    from enforcement.teams.kpi_page import PAGE

    return (PAGE,)


KPI_PAGES: tuple = _kpi_pages()


def setup() -> None:
    from core.workflow import case_types
    from enforcement.teams.layers import register_layers
    from enforcement.teams.permissions import grant_all
    from enforcement.teams.whistles import CASE_TYPE

    grant_all()
    case_types.register(CASE_TYPE)
    register_layers()


def beat(settings) -> dict:
    from enforcement.teams.positions import REFRESH_SECONDS, REFRESH_TASK

    # A refresh that could not run in time is replaced by the next, not queued behind it.
    return {"enforcement-teams-positions": {"task": REFRESH_TASK, "schedule": REFRESH_SECONDS,
                                            "options": {"expires": REFRESH_SECONDS - 5}}}


def demo(session, **options) -> None:
    from enforcement.teams.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from enforcement.teams.demo import remove_demo

    remove_demo(session, **options)
