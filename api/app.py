"""The FastAPI application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api import errors, headers, limits
from api.admin_pages import router as admin_pages_router
from api.auth import install_accounts
from api.auth import router as auth_router
from api.calendar import router as calendar_router
from api.console import router as console_router
from api.field import router as field_router
from api.inbox import router as inbox_router
from api.kpi_pages import router as kpi_pages_router
from api.pages import STATIC_DIR
from api.pages import router as pages_router
from api.units import router as units_router
from api.users import router as users_router
from core import platforms
from core.db import make_async_pool, make_engine, make_sessionmaker
from core.documents.router import PUBLIC_PATHS as DOCUMENT_PUBLIC_PATHS
from core.documents.router import routers as documents_routers
from core.imports import router as imports_router
from core.security import require_safe_secret
from core.settings import Settings, get_settings
from geo.layers.ogc_router import router as ogc_router
from geo.layers.router import router as layers_router
from geo.layers.router import tiles_router
from geo.router import router as areas_router

# The core's routes answered without a token; `public_paths()` adds the platforms' and
# the documents' (tests/api/test_authorization.py holds every other route to a declared
# permission). The map page is a shell: all it shows comes from
# authenticated API calls made after login in the browser.
PUBLIC_PATHS = frozenset({
    "/healthz", "/readyz",
    "/api/v1/auth/token", "/api/v1/auth/refresh",
    "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
    "/static",
    "/map", "/map/{code}", "/kpis", "/console", "/console/{key}", "/admin",
    "/field", "/field/manifest.webmanifest", "/field/sw.js",
})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    require_safe_secret(settings, who="the API")  # no forgeable tokens outside development
    # No CDN-backed /docs and /redoc: api/docs.py serves them from the vendored copies.
    app = FastAPI(title="gridgov", version="0.1.0", lifespan=_lifespan,
                  description="Grassroots governance on a map: the four platforms on PostGIS.",
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url, pool_size=settings.db_pool_size,
                                   wait_seconds=settings.db_wait_seconds)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.read_pool = make_async_pool(settings.database_url,
                                          max_size=settings.db_pool_size)
    app.state.redis = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2,
                                           socket_timeout=2)
    install_accounts(app)  # the account cache, login throttle and rate limits (api/auth.py)
    errors.install(app)
    limits.install(app)  # hostile input refused before any route (api/limits.py)
    headers.install(app)  # outermost: every response, refusals included
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(units_router)
    app.include_router(areas_router)
    app.include_router(calendar_router)
    for documents_router in documents_routers():  # 文书 and their public verification
        app.include_router(documents_router)
    app.include_router(imports_router)  # an import's progress, for its page's bar
    # Each platform's routes, case types, layers and subscribers (core/platforms.py).
    for platform in platforms.load():
        for platform_router in platform.routers():
            app.include_router(platform_router)
    app.include_router(layers_router)
    app.include_router(tiles_router)
    app.include_router(ogc_router)
    app.include_router(inbox_router)
    _add_health(app)
    _add_pages(app)
    app.state.public_paths = public_paths()
    return app


def public_paths() -> frozenset[str]:
    """Every route answered without a token: the core's, the documents' verification
    pages, and each installed platform's (with its /static/<name> assets)."""
    paths = set(PUBLIC_PATHS | DOCUMENT_PUBLIC_PATHS)
    for platform in platforms.installed():
        paths |= platform.public_paths
        if platforms.static_dir(platform) is not None:
            paths.add(f"/static/{platform.name}")
    return frozenset(paths)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Opening does not wait for the database: /readyz says when it answers.
    await app.state.read_pool.open(wait=False)
    app.state.account_sync.start()
    yield
    app.state.account_sync.stop()
    await app.state.read_pool.close()
    app.state.engine.dispose()


def _add_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    def readyz(request: Request):
        """The database and the broker answer; 503 (problem+json) when one does not."""
        checks = {"database": _database_ok(app), "broker": _broker_ok(app.state.redis)}
        states = {name: "ok" if ok else "down" for name, ok in checks.items()}
        if all(checks.values()):
            return {"status": "ready", **states}
        down = ", ".join(name for name, ok in checks.items() if not ok)
        response = errors.problem(503, "Not ready", f"{down} unreachable", request,
                                  code="not_ready", **states)
        response.headers["Retry-After"] = str(errors.RETRY_AFTER_NOT_READY)
        return response


def _database_ok(app: FastAPI) -> bool:
    try:
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


def _broker_ok(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _add_pages(app: FastAPI) -> None:
    # A platform's own pages' assets first: /static/<platform>/ (core/platforms.py).
    for platform in platforms.installed():
        directory = platforms.static_dir(platform)
        if directory is not None:
            app.mount(f"/static/{platform.name}", StaticFiles(directory=directory),
                      name=f"static-{platform.name}")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages_router)
    app.include_router(kpi_pages_router())  # the platforms' KPI charts pages (declared)
    app.include_router(field_router)
    app.include_router(console_router)
    app.include_router(admin_pages_router)
