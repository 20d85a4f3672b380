"""A platform plugs in in one place: its package's `platform.py` declares a `PLATFORM`.

The declaration names the platform's models (for the migrations and the metadata), its
routers and public paths, its Celery task modules and beat entries, and a `setup` that
registers its case types, layers and event subscribers; its pages and demo data hang
off the same object. The app factory (api/app.py), the worker and beat
(core/celery_app.py) and the migrations (core/migrations/env.py) ask `installed()` and
name no platform's internals. Which platforms a deployment runs is a setting
(`PLATFORMS`, default every platform the repository has).
"""

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Platform:
    name: str  # "grid", "enforcement", "market_supervision", "convenience"
    label: str  # 综治工作, 综合执法, 市场监管, 便民服务
    models: tuple[str, ...] = ()  # modules whose import maps the platform's tables
    routers: Callable[[], Iterable[Any]] = lambda: ()  # FastAPI routers, built lazily
    public_paths: frozenset[str] = frozenset()  # routes answered without a token
    task_modules: tuple[str, ...] = ()  # Celery `include`
    beat: Callable[[Any], dict] = lambda settings: {}  # beat entries, from the settings
    setup: Callable[[], None] = lambda: None  # case types, layers, subscribers (idempotent)
    map_scripts: tuple[str, ...] = ()  # the supervisor map's parts (under /static), in order
    map_plugins: tuple[str, ...] = ()  # the vendored Leaflet plugins those parts need
    demo: Callable[..., Any] | None = None  # loads the platform's demo data
    extra: dict[str, Any] = field(default_factory=dict)


_INSTALLED: dict[str, Platform] = {}
# The platforms in this repository, in import order (grid first: the others build on it).
KNOWN = ("grid",)
# The four platforms of the product (基层治理四个平台). Units of a platform not built or not
# installed yet may exist already: what is referred to them waits in their queues.
PRODUCT = ("grid", "enforcement", "market_supervision", "convenience")


def install(platform: Platform) -> Platform:
    """Plug a platform in (also one declared outside the repository, e.g. by a test)."""
    if platform.name not in _INSTALLED:
        _INSTALLED[platform.name] = platform
        for module in platform.models:
            importlib.import_module(module)
        platform.setup()
    return _INSTALLED[platform.name]


def uninstall(name: str) -> None:
    _INSTALLED.pop(name, None)


def load(names: Iterable[str] | None = None) -> list[Platform]:
    """Import and install each named platform's `<name>.platform.PLATFORM`."""
    for name in names if names is not None else _configured():
        install(importlib.import_module(f"{name}.platform").PLATFORM)
    return installed()


def installed() -> list[Platform]:
    return list(_INSTALLED.values())


def names() -> list[str]:
    return [platform.name for platform in installed()]


def known_names() -> frozenset[str]:
    """What a unit's platform may be: the product's four and any installed one."""
    return frozenset(PRODUCT) | frozenset(names())


def _configured() -> list[str]:
    from core.settings import get_settings

    configured = get_settings().platforms
    return [name.strip() for name in configured.split(",") if name.strip()] if configured \
        else list(KNOWN)
