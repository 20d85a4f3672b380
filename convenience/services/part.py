"""Service points, catalogue, applications, bundles, proxies, 好差评, KPIs — one part of the convenience platform (convenience/platform.py composes the parts).

Define here what this part brings (core/platforms.py `compose`): MODELS, PUBLIC_PATHS,
TASK_MODULES, MAP_SCRIPTS, MAP_PLUGINS, routers(), setup(), beat(settings),
demo(session, **options), demo_remove(session, **options).
"""

MODELS: tuple[str, ...] = ()


def routers() -> tuple:
    return ()


def setup() -> None:
    pass
