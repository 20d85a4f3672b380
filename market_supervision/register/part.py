"""一单两库 (items, entities, inspectors), plans and tasks, 双随机 draws — one part of the
market_supervision platform (market_supervision/platform.py composes the parts).

Define here what this part brings (core/platforms.py `compose`): MODELS, PUBLIC_PATHS,
TASK_MODULES, MAP_SCRIPTS, MAP_PLUGINS, routers(), setup(), beat(settings),
demo(session, **options), demo_remove(session, **options).
"""

MODELS: tuple[str, ...] = ()


def routers() -> tuple:
    return ()


def setup() -> None:
    pass
