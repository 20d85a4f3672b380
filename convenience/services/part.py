"""Service points, catalogue, applications, bundles, proxies, 好差评, KPIs — one part of
the convenience platform (convenience/platform.py composes the parts).

What it brings (core/platforms.py `compose`): its tables, its routes (staff API, the
residents' public API and pages), its case types and their clocks, the service points'
map layer, the weekly refusal report on the beat, and its demo data.
"""

MODELS: tuple[str, ...] = ("convenience.services.models",)
TASK_MODULES: tuple[str, ...] = ("convenience.services.tasks",)
# The supervisor map's part: the service points overlay (under /static).
MAP_SCRIPTS: tuple[str, ...] = ("convenience/services/map-service-points.js",)



def _field_tools() -> tuple:
    """The proxy agent's field tool (/field, api/field_tools.py; issue 15 §3, §5): his
    assigned applications, 帮代办 taken on a resident's doorstep with the consent signed or
    recorded, and the trips he saved residents. Given to a 代办员 (the role), or to whoever
    is a 代办员 of a convenience unit, with the permissions to read and to take."""
    from core.platforms import FieldTool

    return (FieldTool(key="convenience.proxy", label="帮代办", label_en="Proxy",
                      module="convenience/field/proxy.js",
                      roles=frozenset({"proxy_agent"}), positions=frozenset({"proxy_agent"}),
                      permissions=("convenience:read", "convenience:act"),
                      assets=("convenience/field/proxy-form.js",), order=60),)


FIELD_TOOLS: tuple = _field_tools()

# Answered without a token (residents have no account): the public API and pages. They
# show no personal data; a status or a rating needs the application's number and phone.
PUBLIC_PATHS: tuple[str, ...] = (
    "/api/v1/convenience/public/items", "/api/v1/convenience/public/items/{impl_code}",
    "/api/v1/convenience/public/nearest", "/api/v1/convenience/public/status",
    "/api/v1/convenience/public/ratings", "/api/v1/convenience/public/figures",
    "/convenience/guide/{impl_code}", "/convenience/guide/{impl_code}/qr.svg",
    "/convenience/items", "/convenience/nearest", "/convenience/status",
    "/convenience/rate/{number}",
)


def routers() -> tuple:
    from convenience.services.pages import pages
    from convenience.services.router import public, router

    return (router, public, pages)


def setup() -> None:
    from convenience.services.case_types import ALL
    from convenience.services.layers import register_layers
    from convenience.services.permissions import grant_all
    from core.workflow import case_types

    grant_all()
    for case_type in ALL:
        case_types.register(case_type)
    register_layers()


# The task's name (convenience/services/tasks.py): the beat is built while the Celery app
# is, so the task module cannot be imported here.
REFUSAL_REPORT_TASK = "convenience.refusal_reports"


def beat(settings) -> dict:
    from celery.schedules import crontab

    # 否定事项周报: Monday 07:00 (the beat's timezone is Asia/Shanghai), the week before.
    return {"convenience-refusal-reports": {"task": REFUSAL_REPORT_TASK,
                                            "schedule": crontab(minute=0, hour=7,
                                                                day_of_week=1)}}


def demo(session, **options) -> None:
    from convenience.services.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from convenience.services.demo import remove_demo

    remove_demo(session, **options)
