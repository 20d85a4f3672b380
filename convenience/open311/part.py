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

    return (workorders, public, open311)


def setup() -> None:
    from convenience.open311.workorder_router import grant_all
    from convenience.open311.workorders import WORK_ORDER
    from core.workflow import case_types

    grant_all()
    case_types.register(WORK_ORDER)


def beat(settings) -> dict:
    # Status flowing back from incidents and orders to the requests, for apps that poll
    # servicerequestupdates (reads sync too: this keeps the idle ones current).
    return {"open311-sync": {"task": "open311.sync", "schedule": 60.0}}


def commands() -> tuple:
    from convenience.open311.cli import app

    return (("open311", app),)


def demo(session, **options) -> None:
    from convenience.open311.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from convenience.open311.demo import remove_demo

    remove_demo(session, **options)
