"""12345 work orders and Open311 GeoReport v2 for residents' apps — one part of the
convenience platform (convenience/platform.py composes the parts).

- /open311/v2: GeoReport v2 (router.py), requests filed through the kernel's intake
  registry (core/workflow/intake.py), status flowing back from the kernel's timeline;
- /api/v1/convenience/workorders: 12345 work orders, a case type on the kernel
  (workorders.py, workorder_router.py, kpis.py);
- /convenience/suishoupai, /convenience/workorder-status: public pages (public.py);
- `gridgov open311 key …` (cli.py).
"""

MODELS: tuple[str, ...] = ("convenience.open311.models",)
TASK_MODULES: tuple[str, ...] = ("convenience.open311.tasks",)


def _public_paths() -> frozenset[str]:
    from convenience.open311.public import PUBLIC_PATHS as pages
    from convenience.open311.router import PUBLIC_PATHS as open311

    return open311 | pages


PUBLIC_PATHS: frozenset[str] = _public_paths()


def routers() -> tuple:
    from convenience.open311.public import router as public
    from convenience.open311.router import router as open311
    from convenience.open311.workorder_router import router as workorders

    # Open311 first: an app routes a request by trying the routes in order (FastAPI), and
    # the POST is the hottest of the part (/work/notes/bench_convenience.md).
    return (open311, public, workorders)


def setup() -> None:
    from convenience.open311.layers import register_layers
    from convenience.open311.workorder_router import grant_all
    from convenience.open311.workorders import WORK_ORDER
    from core.workflow import case_types

    grant_all()
    case_types.register(WORK_ORDER)
    register_layers()  # the work orders' map layer (layers.py)


# The re-queue job's task (convenience/open311/tasks.py): the beat is built while the
# Celery app is, so the task module cannot be imported here.
REQUEUE_TASK = "open311.requeue_stuck"


def beat(settings) -> dict:
    # Status flowing back from incidents and orders to the requests, for apps that poll
    # servicerequestupdates (reads sync too: this keeps the idle ones current). Filings
    # lost (retries exhausted, worker lost) sent again: each run reads from the table
    # what has waited past the rule `filing_stuck_minutes` (filing.py); a run that could
    # not start in time is replaced by the next one, not queued behind it.
    return {"open311-sync": {"task": "open311.sync", "schedule": 60.0},
            "open311-requeue-stuck": {"task": REQUEUE_TASK, "schedule": 60.0,
                                      "options": {"expires": 55}}}


def commands() -> tuple:
    from convenience.open311.cli import app

    return (("open311", app),)


def demo(session, **options) -> None:
    from convenience.open311.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from convenience.open311.demo import remove_demo

    remove_demo(session, **options)


def _consoles() -> tuple:
    """The 12345 work-order console (issue 15 §7), on the shared one (core/consoles.py):
    the territory's orders, my units' to sign and handle, 督办 and 回访; the moves from the
    workflow (派单 without a unit dispatches by the 派单目录)."""
    from convenience.open311.models import SATISFACTION
    from convenience.open311.workorders import SATISFACTION_LABELS
    from core.consoles import Column, Console, Field, Filter, Queue

    channels = (("phone", "电话"), ("web", "网站"), ("app", "客户端"), ("letter", "信件"))
    yes_no = (("true", "是"), ("false", "否"))
    return (Console(
        key="workorders", case_type="work_order", title="12345工单受理台",
        platform="convenience", noun="工单", permission="workorders:read",
        list_url="/convenience/workorders", detail_url="/convenience/workorders/{id}",
        move_url="/convenience/workorders/{id}/actions/{move}", paged=False,
        sort_style="prefix", export_url="/convenience/workorders/export",
        roles=frozenset({"county_dispatcher", "township_staff", "village_staff", "supervisor",
                         "service_clerk"}), heading="number",
        queues=(Queue("territory", "辖区全部", (("queue", "territory"),)),
                Queue("mine", "本单位待办", (("queue", "mine"),)),
                Queue("supervision", "督办", url="/convenience/workorders/supervision",
                      permission="workorders:kpi"),
                Queue("callbacks", "待回访", url="/convenience/workorders/callbacks",
                      permission="workorders:intake")),
        columns=(Column("number", "工单编号", "text", "number"),
                 Column("channel", "渠道", "choice", choices=channels),
                 Column("description", "诉求", "text"),
                 Column("state", "状态", "state"),
                 Column("deadline", "期限", "deadline"),
                 Column("due_at", "办结期限", "time", "due_at"),
                 Column("handler_unit.name", "承办单位", "text"),
                 Column("created_at", "受理时间", "time", "created_at")),
        filters=(Filter("state", "状态", "state"), Filter("q", "编号/诉求/地址", "text"),
                 Filter("deadline", "期限", "choice",
                        (("green", "正常"), ("yellow", "预警"), ("red", "超期")))),
        detail=(Field("number", "工单编号"), Field("channel", "渠道", "choice", channels),
                Field("caller_name", "来电人"), Field("caller_phone", "来电号码"),
                Field("description", "诉求"), Field("address", "地址"),
                Field("matter_code", "事项编码"), Field("handler_unit.name", "承办单位"),
                Field("first_unit.name", "首接单位"), Field("objection_count", "异议次数", "int"),
                Field("extended", "已延期", "bool"), Field("reply", "答复"),
                Field("resolved", "已解决", "bool"),
                Field("satisfaction", "满意度", "choice", tuple(SATISFACTION_LABELS.items())),
                Field("created_at", "受理时间", "time"),
                Field("dispatched_at", "派单时间", "time"),
                Field("signed_at", "签收时间", "time"), Field("replied_at", "答复时间", "time"),
                Field("closed_at", "办结时间", "time")),
        move_fields=(Field("handler_unit_id", "承办单位（空：按派单目录）", "unit"),
                     Field("service_code", "网格事件小类编码"),
                     Field("satisfaction", "满意度", "choice",
                           tuple((s, SATISFACTION_LABELS[s]) for s in SATISFACTION)),
                     Field("resolved", "是否解决", "bool", yes_no)),
    ),)


CONSOLES: tuple = _consoles()
