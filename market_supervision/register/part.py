"""一单两库 (items, entities, inspectors), plans and tasks, 双随机 draws — one part of the
market_supervision platform (market_supervision/platform.py composes the parts)."""

MODELS: tuple[str, ...] = ("market_supervision.register.models",)
# The public page of each draw and its published inputs (一公开: no login).
PUBLIC_PATHS: tuple[str, ...] = ("/market/draws/{draw_id}",
                                 "/market/draws/{draw_id}/inputs.json")


def routers() -> tuple:
    from market_supervision.register.public import router as public
    from market_supervision.register.router import router

    return (router, public)


def setup() -> None:
    from market_supervision.register.layers import register_layers
    from market_supervision.register.permissions import grant_all

    grant_all()
    register_layers()


def commands() -> tuple:
    from market_supervision.register.cli import market

    return (("market", market),)


def demo(session, **options) -> None:
    from market_supervision.register.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from market_supervision.register.demo import remove_demo

    remove_demo(session, **options)
