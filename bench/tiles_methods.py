"""The four ways bench/tiles.py serves a tile, each as a factory of per-client fetchers.

    bare SQL, plain    the plainest ST_AsMVT statement, through psycopg (baseline)
    bare SQL, gridgov  the statement geo/layers/tiles.py builds (tile_sql), through psycopg
                       with the API pool's connection options
    gridgov HTTP       GET /tiles/{layer}/{z}/{x}/{y}.mvt on uvicorn api.main:app, with the
                       token of the admin of every city (a real account of the database,
                       bench/accounts.py; gridgov's statement above has the same scope)
    tipg HTTP          GET /collections/public.{table}/tiles/WebMercatorQuad/{z}/{x}/{y}
                       on uvicorn tipg.main:app from its own virtualenv (TIPG_PYTHON)

A fetcher returns the tile's bytes (b"" for an empty tile). Each client thread gets its
own fetcher: its own psycopg connection or its own keep-alive httpx.Client.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from bench.accounts import Account
from bench.datasets import libpq_url
from bench.harness import DATA, Server
from core.db import READ_POOL_OPTIONS
from core.scope import Scope
from core.settings import get_settings
from geo.layers import registry
from geo.layers.areas import level_at
from geo.layers.tiles import tile_sql
from grid.layers import register_layers

TIPG_PYTHON = Path(os.environ.get("TIPG_PYTHON", "/work/.venvs/tipg/bin/python"))
# What tipg serves: the table of each layer, and the properties gridgov's tile carries
# that the table holds (gridgov's incidents also carry the category code and name, joined
# from `category`; tipg serves a table as it is, so it sends category_id instead).
TIPG_TABLES = {"incidents": "incident", "areas": "area"}
TIPG_PROPERTIES = {
    "incidents": "id,state,category_id,urgency,deadline,reported_at,grid_code",
    "areas": "code,name,level,population",
}
# Both servers are asked for uncompressed tiles: tipg gzips by default (starlette-cramjam)
# and gridgov does not, so a browser's Accept-Encoding would time compression, not tiles.
IDENTITY = {"Accept-Encoding": "identity"}

Fetch = Callable[[str, int, int, int], bytes]


@dataclass
class Method:
    name: str
    kind: str                             # "sql" or "http"
    open_fetcher: Callable[[], tuple[Fetch, Callable[[], None]]]  # (fetch, close)
    baseline: bool = False


# --- bare SQL ---------------------------------------------------------------------------------

PLAIN_INCIDENTS = """
    SELECT ST_AsMVT(q, 'incidents') FROM (
        SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s))
                   AS geom, id, state, category_id, urgency, deadline, grid_code
        FROM incident
        WHERE geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)) q"""
PLAIN_AREAS = """
    SELECT ST_AsMVT(q, 'areas') FROM (
        SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s))
                   AS geom, code, name, level, population
        FROM area
        WHERE level = %(level)s
          AND geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)) q"""


def plain_sql(layer: str, z: int, x: int, y: int) -> tuple[str, dict]:
    """The plainest tile: every row whose box meets the tile, no budget, no simplification,
    no aggregation (areas: the level gridgov shows at that zoom)."""
    if layer == "incidents":
        return PLAIN_INCIDENTS, {"z": z, "x": x, "y": y}
    return PLAIN_AREAS, {"z": z, "x": x, "y": y, "level": level_at(z)}


def gridgov_sql(scope: Scope) -> Callable[[str, int, int, int], tuple[str, dict]]:
    """The statement the API builds for a caller of `scope` (the HTTP client's account)."""
    register_layers()  # the incidents are grid's layer (idempotent)
    budget = get_settings().tile_feature_budget

    def build(layer: str, z: int, x: int, y: int) -> tuple[str, dict]:
        return tile_sql(registry.get(layer), scope=scope, z=z, x=x, y=y, budget=budget)

    return build


def sql_method(name: str, url: str, build: Callable[[str, int, int, int], tuple[str, dict]],
               *, options: str = "", baseline: bool = False) -> Method:
    def open_fetcher():
        conn = psycopg.connect(libpq_url(url), autocommit=True, options=options)

        def fetch(layer: str, z: int, x: int, y: int) -> bytes:
            sql, params = build(layer, z, x, y)
            data = conn.execute(sql, params).fetchone()[0]
            return bytes(data or b"")

        return fetch, conn.close

    return Method(name, "sql", open_fetcher, baseline)


# --- HTTP -------------------------------------------------------------------------------------

def http_method(name: str, base: str, path: Callable[[str, int, int, int], str], *,
                headers: dict[str, str], params: Callable[[str, int], dict] | None = None
                ) -> Method:
    def open_fetcher():
        client = httpx.Client(base_url=base, headers={**IDENTITY, **headers}, timeout=120)

        def fetch(layer: str, z: int, x: int, y: int) -> bytes:
            response = client.get(path(layer, z, x, y),
                                  params=params(layer, z) if params else None)
            response.raise_for_status()
            return response.content

        return fetch, client.close

    return Method(name, "http", open_fetcher)


def gridgov_path(layer: str, z: int, x: int, y: int) -> str:
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"


def tipg_path(layer: str, z: int, x: int, y: int) -> str:
    return f"/collections/public.{TIPG_TABLES[layer]}/tiles/WebMercatorQuad/{z}/{x}/{y}"


def tipg_params(layer: str, z: int) -> dict:
    """The same properties, the same budget (limit) and, for areas, gridgov's level."""
    params = {"properties": TIPG_PROPERTIES[layer],
              "limit": get_settings().tile_feature_budget}
    if layer == "areas":
        params["level"] = level_at(z)
    return params


def gridgov_server(url: str) -> Server:
    return Server(url, "tiles-gridgov")


def tipg_server(url: str) -> Server:
    """tipg 1.x on the same database, only the two tables, its defaults otherwise
    (tiles of 4096 with a 256 buffer, clipped; asyncpg pool of 1–10)."""
    if not TIPG_PYTHON.exists():
        raise SystemExit(f"tipg's python {TIPG_PYTHON} is missing: python3 -m venv "
                         f"{TIPG_PYTHON.parents[1]} && {TIPG_PYTHON.parent}/pip install "
                         "tipg uvicorn (or set TIPG_PYTHON)")
    DATA.mkdir(exist_ok=True)
    return Server(libpq_url(url), "tiles-tipg", app="tipg.main:app",
                  python=str(TIPG_PYTHON), cwd=DATA, ready_path="/healthz",
                  env={"TIPG_DB_SCHEMAS": '["public"]',
                       "TIPG_DB_TABLES": '["public.incident", "public.area"]',
                       "TIPG_DEBUG": "false"})


def methods(url: str, gridgov: Server, tipg: Server, *, admin: Account,
            variants: bool = False) -> list[Method]:
    """The four ways, gridgov's as `admin`; `variants` adds gridgov's statement with
    PostgreSQL's JIT on (a diagnosis: the read pool turns it off, as tile statements are
    never prepared and any JIT compilation is paid on every tile)."""
    statement = gridgov_sql(admin.scope)
    extra = [sql_method("bare SQL, gridgov statement, jit on", url, statement,
                        options=READ_POOL_OPTIONS.replace("jit=off", "jit=on"))
             ] if variants else []
    return [
        sql_method("bare SQL, plain", url, plain_sql, baseline=True),
        sql_method("bare SQL, gridgov statement", url, statement, options=READ_POOL_OPTIONS),
        *extra,
        http_method("gridgov HTTP", gridgov.base, gridgov_path, headers=admin.bearer()),
        http_method("tipg HTTP", tipg.base, tipg_path, headers={}, params=tipg_params),
    ]
