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
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
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
    consoles: tuple[Any, ...] = ()  # its desk consoles (core/consoles.py), at /console/{key}
    kpi_pages: tuple[Any, ...] = ()  # its KPI charts pages (core/kpi_pages.py), at their path
    demo: Callable[..., Any] | None = None  # loads the platform's demo data
    demo_remove: Callable[..., Any] | None = None  # removes it (before the areas go)
    # `gridgov <name> …` command groups: (name, typer.Typer) pairs, built lazily.
    commands: Callable[[], Iterable[tuple[str, Any]]] = lambda: ()
    # The field app's tools (/field): what this platform gives a user on the phone.
    field_tools: tuple["FieldTool", ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldTool:
    """One tool of the field app (/field): a tab with its panel, drawn by `module` (an ES
    module under /static that exports `mount(app, panel)`), given to a user whose role is
    in `roles`, or who holds an active membership in one of `positions` in a unit of the
    declaring platform; and who, either way, holds every one of `permissions`
    (api/field.py `tools_for`)."""

    key: str  # stable, e.g. "enforcement.cases"
    label: str  # the tab's Chinese label
    module: str  # under /static, e.g. "enforcement/field/cases.js"
    roles: frozenset[str] = frozenset()
    positions: frozenset[str] = frozenset()
    permissions: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()  # other files under /static it imports (precached too)
    label_en: str = ""
    order: int = 100  # tabs left to right, by order then key


def compose(name: str, label: str, parts: Iterable[str], **fields: Any) -> Platform:
    """A platform built of parts that different people own: each part module (e.g.
    `enforcement.cases.part`) may define MODELS, PUBLIC_PATHS, TASK_MODULES, MAP_SCRIPTS,
    MAP_PLUGINS, CONSOLES (core/consoles.py), KPI_PAGES (core/kpi_pages.py), FIELD_TOOLS
    (FieldTool) and `routers()`, `setup()`, `beat(settings)`, `demo(session, **options)`,
    `demo_remove(session, **options)`, `commands()`; the platform is their sum, in the
    order given. Pages and scripts go in `<package>/static/`, served at `/static/<name>/`."""
    modules = [importlib.import_module(part) for part in parts]

    def gather(attr: str) -> tuple:
        return tuple(item for module in modules for item in getattr(module, attr, ()))

    def each(attr: str) -> list[Callable]:
        return [getattr(module, attr) for module in modules if hasattr(module, attr)]

    def routers() -> tuple:
        return tuple(router for build in each("routers") for router in build())

    def setup() -> None:
        for step in each("setup"):
            step()

    def beat(settings: Any) -> dict:
        return {key: entry for build in each("beat") for key, entry in build(settings).items()}

    def demo(session: Any, **options: Any) -> None:
        for load in each("demo"):
            load(session, **options)

    def demo_remove(session: Any, **options: Any) -> None:
        for remove in reversed(each("demo_remove")):
            remove(session, **options)

    def commands() -> tuple:
        return tuple(command for build in each("commands") for command in build())

    return Platform(name=name, label=label, models=gather("MODELS"), routers=routers,
                    public_paths=frozenset(gather("PUBLIC_PATHS")),
                    task_modules=gather("TASK_MODULES"), beat=beat, setup=setup,
                    map_scripts=gather("MAP_SCRIPTS"), map_plugins=gather("MAP_PLUGINS"),
                    consoles=gather("CONSOLES"), kpi_pages=gather("KPI_PAGES"),
                    demo=demo, demo_remove=demo_remove, commands=commands,
                    field_tools=gather("FIELD_TOOLS"), **fields)


_INSTALLED: dict[str, Platform] = {}
# The platforms in this repository, in import order (grid first: the others build on it).
KNOWN = ("grid", "enforcement", "market_supervision", "convenience")
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


def load_demos(session: Any, *, names: Iterable[str] | None = None, **options: Any) -> None:
    """The demo data of every installed platform but the grid (whose city they stand on,
    loaded first by its richer loader), or of those named, in install order."""
    for platform in installed():
        if platform.demo is not None and platform.name != "grid" and (
                names is None or platform.name in names):
            platform.demo(session, **options)


def remove_demos(session: Any, *, city_code: str) -> None:
    """A city's demo data of every installed platform, the last installed first: the grid,
    whose areas, units and accounts the others refer to, goes last."""
    for platform in reversed(installed()):
        if platform.demo_remove is not None:
            platform.demo_remove(session, city_code=city_code)


def static_dir(platform: Platform) -> Path | None:
    """`<package>/static/` of a platform that has one (served at `/static/<name>/`)."""
    spec = importlib.util.find_spec(platform.name)  # a test's platform may be no package
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "static"
    return directory if directory.is_dir() else None
