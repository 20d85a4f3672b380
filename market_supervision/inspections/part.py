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
)


def routers() -> tuple:
    from market_supervision.inspections.public import router as public
    from market_supervision.inspections.router import router as inspections

    return (inspections, public)


def setup() -> None:
    from market_supervision.inspections.setup import setup as set_up

    set_up()




def demo(session, **options) -> None:
    from market_supervision.inspections.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from market_supervision.inspections.demo import remove_demo

    remove_demo(session, **options)
