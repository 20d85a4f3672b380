"""Inspections in the field, results, rectification, referral, 公示, layers, KPIs — one part of the
market_supervision platform (market_supervision/platform.py composes the parts: the
register first, then this one).

What it brings (core/platforms.py `compose`): its models, routes (the API under
/api/v1/market/inspections, the KPIs, the open data and the public pages), its case types,
layers and the subscriber that opens a draw's inspections, and its demo.
"""

MODELS: tuple[str, ...] = ("market_supervision.inspections.models",)

# Public, no login: the 公示 pages and the open data (no personal data, never a risk class).
PUBLIC_PATHS: tuple[str, ...] = (
    "/market/public/tasks/{task_id}",
    "/market/public/entities/{uscc}",
    "/api/v1/market/open-data/{name}",
    "/market/kpis",  # the KPI charts' page: a shell, its data from the authenticated API
)


def _field_tools() -> tuple:
    """The inspector's field tool (/field, api/field_tools.py; issue 14 §4): the
    inspections drawn to him, their checklists recorded and confirmed on the phone."""
    from core.platforms import FieldTool

    return (FieldTool(key="market.inspections", label="检查任务", label_en="Inspections",
                      module="market_supervision/field/inspections.js",
                      roles=frozenset({"market_inspector"}),
                      positions=frozenset({"inspector"}),
                      permissions=("market-inspections:read", "market-inspections:act"),
                      order=50),)


FIELD_TOOLS: tuple = _field_tools()


def routers() -> tuple:
    from market_supervision.inspections.public import router as public
    from market_supervision.inspections.router import router as inspections

    return (inspections, public)


def _kpi_pages() -> tuple:
    """The KPI charts page (/market/kpis), drawn by the shared KPI page."""
    from market_supervision.inspections.kpi_page import PAGE

    return (PAGE,)


KPI_PAGES: tuple = _kpi_pages()


def setup() -> None:
    from market_supervision.inspections.setup import setup as set_up

    set_up()




def demo(session, **options) -> None:
    from market_supervision.inspections.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from market_supervision.inspections.demo import remove_demo

    remove_demo(session, **options)


def _consoles() -> tuple:
    """The market units' inspection console (issue 14), on the shared one (core/consoles.py):
    my inspections, the 审核 and 公示 queues, overdue 公示; the moves from the workflow
    (录入 with its checklist is the field app's)."""
    from core.consoles import Column, Console, Field, Filter, Queue
    from market_supervision.inspections.rules import SEED
    from market_supervision.inspections.vocabulary import KINDS

    return (Console(
        key="market", case_type="market.inspection", title="市场监管检查受理台",
        platform="market_supervision", noun="检查", permission="market-inspections:read",
        list_url="/market/inspections", detail_url="/market/inspections/{id}",
        move_url="/market/inspections/{id}/actions/{move}",
        roles=frozenset({"market_inspector", "supervisor"}), heading="entity_name",
        extra_module="market_supervision/console/inspection.js",  # checklist and photos
        queues=(Queue("mine", "我的检查", (("queue", "mine"),)),
                Queue("review", "待审核", (("queue", "review"),)),
                Queue("publish", "待公示", (("queue", "publish"),)),
                Queue("overdue", "超期未公示", (("overdue", "publish"),)),
                Queue("all", "辖区全部")),
        columns=(Column("id", "编号", "id", "id"), Column("entity_name", "检查对象"),
                 Column("uscc", "统一社会信用代码"), Column("task_name", "检查任务"),
                 Column("state", "状态", "state", "state"), Column("outcome_label", "结果"),
                 Column("inspected_at", "检查时间", "time", "inspected_at"),
                 Column("publish_due_at", "公示期限", "time", "publish_due_at")),
        filters=(Filter("state", "状态", "state"), Filter("area", "区域", "area")),
        detail=(Field("entity_name", "检查对象"), Field("uscc", "统一社会信用代码"),
                Field("task_name", "检查任务"), Field("kind", "类型", "choice",
                                                      tuple(KINDS.items())),
                Field("outcome_label", "结果"), Field("failed_count", "不合格项", "int"),
                Field("ordered_count", "责令改正项", "int"),
                Field("inspectors", "检查人员", "people"),
                Field("inspected_at", "检查时间", "time"),
                Field("rectify_due_at", "整改期限", "time"),
                Field("publish_due_at", "公示期限", "time"),
                Field("published_at", "公示时间", "time"), Field("summary", "检查情况")),
        move_fields=(Field("to_unit_id", "接收执法单位（可空）", "unit",
                           platform="enforcement"),),
        clocks=(("publish", SEED["publish"][1]), ("withdraw", SEED["withdraw"][1]),
                ("rectify", "责令限期改正期限")),
        options={"fieldOnly": ["record"]},
    ),)


CONSOLES: tuple = _consoles()
