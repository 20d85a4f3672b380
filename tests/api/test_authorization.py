"""The authorization matrix, built from the app's own route table.

Every route that is not public (`api.app.public_paths()`) × every role (and no token at all) ×
an object inside and an object outside the caller's scope, each with its expected outcome:

- no token: 401;
- a role without the route's permission (`ROLE_PERMISSIONS`): 403, inside or outside;
- a role with it: the route's 2xx for the object inside the scope; for the object
  outside, what the route's sample declares (`Outside`): 404 as if it did not exist (one
  object), 200 with nothing outside in the answer (lists, batch locate), or 401 for
  someone else's credential (the caller's own account: logout); a route that is not
  territorial (the calendar, the category tree) has no object outside, and is asked
  inside only.

The permission is found by walking each route's dependencies for a `core.deps.Requires`;
a route without one fails here. Every protected route needs a sample request in `SAMPLES`
below; a route added without one fails too ("add a sample for ..."), and so does a sample
left behind by a route that is gone.

The principals are the demo accounts (`demo_<role>`; tokens minted with their real user id
and scope, which `test_demo_accounts_log_in_as_the_matrix_principals` checks against a
real login), except the admin: the demo admin's scope is the whole city, so nothing would
be outside it. The admin row uses an admin account scoped to the demo county, created in
the test's rolled-back transaction. "Outside" is always the nearest area outside: the next
area after the scope area at the same level (county 430202 → 430203, village → the next
village, a sibling whose code is the end of the scope's code range); for the grid worker,
whose scope is his own grids, a grid of another worker (the same village if it has one,
else the next village).
"""

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app, public_paths

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # an older FastAPI flattens included routers into app.routes
    def iter_route_contexts(routes):
        return list(routes)

from core.deps import Requires
from core.settings import Settings
from core.users.enums import ROLE_PERMISSIONS, Permission, Role
from geo.layers import registry
from tests.api.samples_units import UNIT_SAMPLES
from tests.conftest import bearer
from tests.factories import make_incident, make_notification, make_patrol, make_user, png_base64

PROBLEM = "application/problem+json"
CHILD_LEVEL = {"city": "county", "county": "township", "township": "village",
               "village": "grid"}


# --- the route table ---------------------------------------------------------------------

def all_routes(app) -> list:
    """Every route, routers included. FastAPI >= 0.13x keeps an included router nested in
    `app.routes`; its routes, with the router's prefix and dependencies applied, come from
    `iter_route_contexts`. A route context answers like the route (path, methods, dependant).
    """
    return list(iter_route_contexts(app.routes))


def is_api_route(route) -> bool:
    return isinstance(getattr(route, "original_route", route), APIRoute)


def protected_routes(app) -> list:
    public = app.state.public_paths
    return [route for route in all_routes(app)
            if is_api_route(route) and route.path not in public]


def route_keys(route) -> list[tuple[str, str]]:
    return [(method, route.path) for method in sorted(route.methods)]


def declared_permissions(route) -> set[Permission]:
    """Every `Requires(...)` anywhere in the route's dependency tree."""
    found, pending = set(), [route.dependant]
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Requires):
            found.add(dependant.call.permission)
        pending.extend(dependant.dependencies)
    return found


def _route_table() -> list[tuple[str, str]]:
    """(method, path) of every protected route, read at collection time to parametrize."""
    app = create_app(Settings())
    try:
        return sorted(key for route in protected_routes(app) for key in route_keys(route))
    finally:
        app.state.engine.dispose()


ROUTES = _route_table()


@dataclass(frozen=True)
class RouteInfo:
    route: Any
    permissions: frozenset[Permission]


@functools.cache
def route_map(app) -> dict[tuple[str, str], RouteInfo]:
    """Each protected (method, path) with its route and declared permissions, walked once
    per app (the module's: tests/conftest.py `module_app`), not once per case."""
    return {key: RouteInfo(route, frozenset(declared_permissions(route)))
            for route in protected_routes(app) for key in route_keys(route)}


def find_route(app, key: tuple[str, str]) -> RouteInfo:
    return route_map(app)[key]


# --- the principals and their territory ---------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """One role's principal, and objects inside and just outside its scope."""

    role: Role
    user_id: int
    username: str
    scope_code: str
    own_grids: frozenset[str] | None  # a grid worker's grids: his whole scope
    inside: str                      # an area in scope (the scope area; a worker's grid)
    inside_level: str
    outside: str                     # the nearest area of the same level outside the scope
    inside_grid: str
    outside_grid: str
    inside_point: tuple[float, float]   # inside inside_grid / outside_grid
    outside_point: tuple[float, float]
    inside_user: int = 0             # accounts scoped to `inside` / `outside`
    outside_user: int = 0

    def covers(self, code: str) -> bool:
        """The scope rule, restated here independently of core/scope.py."""
        if self.own_grids is not None:
            return code in self.own_grids
        city = len(self.scope_code) == 6 and self.scope_code.endswith("00")
        return code.startswith(self.scope_code[:4] if city else self.scope_code)

    def headers(self, settings: Settings) -> dict[str, str]:
        return bearer(settings, role=str(self.role), scope_code=self.scope_code,
                      user_id=self.user_id, username=self.username)


def _next_sibling(connection, code: str) -> str:
    """The next area of the same level in code order (the previous one for the last): a
    sibling where the parent has several children, else a cousin (county 430202 has a
    single township: its neighbour is the first township of 430203)."""
    return connection.execute(text(
        "SELECT code FROM area WHERE level = (SELECT level FROM area WHERE code = :c) "
        "AND code <> :c ORDER BY code < :c, CASE WHEN code > :c THEN code END, code DESC "
        "LIMIT 1"), {"c": code}).scalar_one()


def _first_grid(connection, prefix: str) -> str:
    return connection.execute(text(
        "SELECT min(code) FROM area WHERE level = 'grid' AND code LIKE :prefix || '%'"),
        {"prefix": prefix}).scalar_one()


def _point_in(connection, code: str) -> tuple[float, float]:
    row = connection.execute(text(
        "SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p "
        "FROM area WHERE code = :c) s"), {"c": code}).one()
    return row.x, row.y


def territory(connection, *, role: Role, user_id: int, username: str, scope_code: str,
              own_grids: frozenset[str] | None) -> Actor:
    if own_grids is not None:
        inside = min(own_grids)
        village = inside[:12]
        outside = connection.execute(text(
            "SELECT min(code) FROM area WHERE level = 'grid' AND code LIKE :village || '%' "
            "AND NOT (code = ANY(:own))"), {"village": village, "own": list(own_grids)}
        ).scalar() or _first_grid(connection, _next_sibling(connection, village))
        inside_grid, outside_grid = inside, outside
    else:
        inside, outside = scope_code, _next_sibling(connection, scope_code)
        inside_grid, outside_grid = _first_grid(connection, inside), _first_grid(connection,
                                                                                 outside)
    level = connection.execute(text("SELECT level FROM area WHERE code = :c"),
                               {"c": inside}).scalar_one()
    return Actor(role=role, user_id=user_id, username=username, scope_code=scope_code,
                 own_grids=own_grids, inside=inside, inside_level=level, outside=outside,
                 inside_grid=inside_grid, outside_grid=outside_grid,
                 inside_point=_point_in(connection, inside_grid),
                 outside_point=_point_in(connection, outside_grid))


@pytest.fixture(scope="module")
def demo_actors(engine, demo_city) -> dict[Role, Actor]:
    """Every non-admin role's demo account, read from the committed demo city."""
    actors = {}
    with engine.connect() as connection:
        for role in Role:
            if role is Role.admin:
                continue
            user = connection.execute(text(
                "SELECT id, username, scope_code FROM app_user WHERE username = :name"),
                {"name": f"demo_{role}"}).one_or_none()
            assert user is not None, f"no demo account demo_{role} for the role {role}"
            own = None
            if role is Role.grid_worker:
                own = frozenset(connection.execute(text(
                    "SELECT a.code FROM grid_worker w "
                    "JOIN grid_assignment ga ON ga.worker_id = w.id "
                    "JOIN area a ON a.id = ga.grid_id WHERE w.user_id = :id"),
                    {"id": user.id}).scalars())
                assert own, "the demo grid worker looks after no grid"
            actors[role] = territory(connection, role=role, user_id=user.id,
                                     username=user.username, scope_code=user.scope_code,
                                     own_grids=own)
    return actors


def make_actor(role: Role, *, session: Session, demo_actors: dict[Role, Actor]) -> Actor:
    """The role's actor, with an account inside and one outside its scope (for /users).

    The admin is a county admin created here (the demo admin's city-wide scope has no
    outside), with the demo password's hash so it can log in like the demo accounts.
    """
    if role is Role.admin:
        county = demo_actors[Role.county_dispatcher].scope_code
        demo_hash = session.execute(text(
            "SELECT password_hash FROM app_user WHERE username = 'demo_admin'")).scalar_one()
        admin = make_user(session, actor="matrix", username="matrix_admin",
                          password_hash=demo_hash, role=Role.admin, scope_code=county)
        actor = territory(session.connection(), role=role, user_id=admin.id,
                          username=admin.username, scope_code=county, own_grids=None)
    else:
        actor = demo_actors[role]
    users = {}
    for side, code in (("inside", actor.inside), ("outside", actor.outside)):
        users[side] = make_user(session, actor="matrix", username=f"matrix_{side}",
                                role=Role.village_staff, scope_code=code).id
    return replace(actor, inside_user=users["inside"], outside_user=users["outside"])


# --- sample requests, per route -----------------------------------------------------------

class Outside(StrEnum):
    """What a role with the permission gets for the object outside its scope."""

    NOT_FOUND = "404, as if it did not exist"
    FILTERED = "the route's 2xx, and nothing outside in the answer"
    SOMEONE_ELSES = "401: someone else's credential"
    REFUSED = "422: the request names a place outside the caller's territory"
    NOT_TERRITORIAL = "one answer for every scope: nothing lies outside (calendar, categories)"


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    params: dict | None = None
    json: Any = None
    headers: dict | None = None
    check: Callable[[Any], None] | None = None  # asserts on the body of a 2xx answer
    # Inside the scope only, where no in-scope object can give the 2xx: the status the
    # domain gives once authorization has passed, and why.
    expect: int | None = None
    why: str = ""


@dataclass
class Ctx:
    client: TestClient
    actor: Actor
    settings: Settings
    session: Session | None = None  # the test's rolled-back session, to seed objects

    def login(self, username: str) -> dict:
        response = self.client.post("/api/v1/auth/token", data={
            "username": username, "password": self.settings.demo_password})
        assert response.status_code == 200, response.text
        return response.json()


@dataclass(frozen=True)
class Sample:
    outside: Outside
    build: Callable[[Ctx, bool], Call | None]  # (ctx, inside); None: no such object


def _me(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None  # the caller's own account: there is no one else's to ask for

    def check(body):
        assert body["user"]["id"] == ctx.actor.user_id
        assert body["scope"]["code"] == ctx.actor.scope_code
        assert body["permissions"] == sorted(ROLE_PERMISSIONS[ctx.actor.role])
    return Call("GET", "/api/v1/auth/me", check=check)


def _logout(ctx: Ctx, inside: bool) -> Call:
    # Inside: the caller's own refresh token; outside: another account's.
    owner = ctx.actor.username if inside else "demo_admin"
    return Call("POST", "/api/v1/auth/logout",
                json={"refresh_token": ctx.login(owner)["refresh_token"]})


def _all_covered(actor: Actor, codes: list[str]) -> None:
    outside = [code for code in codes if not actor.covers(code)]
    assert not outside, f"out-of-scope areas in the answer: {outside[:5]}"


def _list_areas(ctx: Ctx, inside: bool) -> Call:
    actor = ctx.actor
    if not inside:
        return Call("GET", "/api/v1/areas", params={"parent": actor.outside})

    def check(body):
        codes = [item["code"] for item in body["items"]]
        _all_covered(actor, codes)
        # The scope area's level holds the scope area alone (a worker: exactly his grids).
        assert codes == sorted(actor.own_grids or {actor.inside})
        assert body["total"] == len(codes)
    return Call("GET", "/api/v1/areas", params={"level": actor.inside_level, "limit": 1000},
                check=check)


def _get_area(ctx: Ctx, inside: bool) -> Call:
    code = ctx.actor.inside if inside else ctx.actor.outside

    def check(body):
        assert body["id"] == code
    return Call("GET", f"/api/v1/areas/{code}", params={"simplify": 50}, check=check)


def _children(ctx: Ctx, inside: bool) -> Call:
    code = ctx.actor.inside if inside else ctx.actor.outside

    def check(body):
        assert body["parent"]["code"] == code
        _all_covered(ctx.actor, [feature["id"] for feature in body["features"]])
    return Call("GET", f"/api/v1/areas/{code}/children", params={"simplify": 50},
                check=check)


def _descendants(ctx: Ctx, inside: bool) -> Call:
    actor = ctx.actor
    code = actor.inside if inside else actor.outside
    level = CHILD_LEVEL.get(actor.inside_level)
    if level is None:  # a grid worker: every area in his scope is a grid
        return Call("GET", f"/api/v1/areas/{code}/descendants", params={"level": "grid"},
                    expect=422, why="a grid worker's scope is grids, which have no "
                                    "descendants: found (not 404), then refused as invalid")

    def check(body):
        codes = [feature["id"] for feature in body["features"]]
        assert codes, "no descendants"
        _all_covered(actor, codes)
    return Call("GET", f"/api/v1/areas/{code}/descendants",
                params={"level": level, "simplify": 50}, check=check)


def _locate(ctx: Ctx, inside: bool) -> Call:
    actor = ctx.actor
    lon, lat = actor.inside_point if inside else actor.outside_point

    def check(body):
        assert body["grid"]["code"] == actor.inside_grid
        assert [link["level"] for link in body["chain"]][-1] == "grid"
    return Call("GET", "/api/v1/areas/locate", params={"lon": lon, "lat": lat}, check=check)


def _locate_many(ctx: Ctx, inside: bool) -> Call:
    actor = ctx.actor
    if inside:
        points, expected = [actor.inside_point, actor.outside_point], [actor.inside_grid, None]
    else:
        points, expected = [actor.outside_point], [None]

    def check(body):
        assert body["grids"] == expected
    return Call("POST", "/api/v1/areas/locate", json={"points": points}, check=check)


def _list_users(ctx: Ctx, inside: bool) -> Call:
    actor = ctx.actor

    def check(body):
        ids = {user["id"] for user in body}
        _all_covered(actor, [user["scope_code"] for user in body])
        assert actor.outside_user not in ids
        if inside and len(body) < 500:
            assert actor.inside_user in ids
    return Call("GET", "/api/v1/users", params={"limit": 500}, check=check)


def _create_user(ctx: Ctx, inside: bool) -> Call:
    code = ctx.actor.inside if inside else ctx.actor.outside

    def check(body):
        assert body["scope_code"] == code and body["username"] == "matrix_new"
    return Call("POST", "/api/v1/users", json={
        "username": "matrix_new", "password": "Matrix-Pass-2026!", "role": "village_staff",
        "scope_code": code}, check=check)


def _get_user(ctx: Ctx, inside: bool) -> Call:
    user_id = ctx.actor.inside_user if inside else ctx.actor.outside_user

    def check(body):
        assert body["id"] == user_id
    return Call("GET", f"/api/v1/users/{user_id}", check=check)


def _update_user(ctx: Ctx, inside: bool) -> Call:
    user_id = ctx.actor.inside_user if inside else ctx.actor.outside_user

    def check(body):
        assert body["full_name"] == "patched" and body["version"] == 2
    return Call("PATCH", f"/api/v1/users/{user_id}",
                json={"version": 1, "full_name": "patched"}, check=check)


def _unlock_user(ctx: Ctx, inside: bool) -> Call:
    user_id = ctx.actor.inside_user if inside else ctx.actor.outside_user

    def check(body):
        assert body["user_id"] == user_id and body["unlocked"] is True
    return Call("POST", f"/api/v1/users/{user_id}/unlock", check=check)


def _calendar_due(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None  # one calendar for every scope

    def check(body):
        # Wed 30 Sep 2026 + 3 working days: 8 and 9 Oct, then Sat 10 Oct (调休), at 17:30.
        assert body["due"] == "2026-10-10T17:30:00+08:00"
    return Call("GET", "/api/v1/calendar/due",
                params={"start": "2026-09-30T16:00:00+08:00", "duration": "3d"}, check=check)


def _calendar_year(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None

    def check(body):
        assert body["known"] and {"date": "2026-10-01", "workday": False,
                                  "name": "国庆节"} in body["days"]
    return Call("GET", "/api/v1/calendar/2026", check=check)


def _load_calendar_year(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None

    def check(body):
        assert body["known"] and body["source"] == "api" and len(body["days"]) == 1
    return Call("PUT", "/api/v1/calendar/2031", check=check, json={
        "days": [{"date": "2031-01-01", "workday": False, "name": "元旦"}]})


def _category_tree(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None  # one category tree for every scope

    def check(body):
        minors = {minor["code"]: minor["name"] for major in body for minor in major["children"]}
        assert minors["S0102"] == "暴露垃圾"
    return Call("GET", "/api/v1/categories", check=check)


def _get_category(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None

    def check(body):
        assert body["code"] == "S01" and "S0102" in [c["code"] for c in body["children"]]
    return Call("GET", "/api/v1/categories/S01", check=check)


def _create_category(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None
    limits = {urgency: {step: "1d" for step in ("filing", "dispatch", "handling",
                                                "verification")}
              for urgency in ("normal", "urgent", "critical")}

    def check(body):
        assert body["code"] == "S0198" and body["version"] == 1
    return Call("POST", "/api/v1/categories", check=check, json={
        "code": "S0198", "name": "矩阵测试小类", "parent_code": "S01", "time_limits": limits})


def _update_category(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None

    def check(body):
        assert body["sort"] == 99 and body["version"] == 2
    return Call("PATCH", "/api/v1/categories/S0104", json={"version": 1, "sort": 99},
                check=check)


# --- incidents ----------------------------------------------------------------------------

# Which platform's hand-offs each receiving role signs, and one move each working role can
# make (with the state it is made from): the matrix checks authorization, not the lifecycle.
RECEIVING_PLATFORM = {Role.enforcement_officer: "enforcement",
                      Role.market_inspector: "market_supervision",
                      Role.service_clerk: "convenience", Role.proxy_agent: "convenience"}
A_MOVE = {Role.village_staff: ("reported", "file", "filed"),
          Role.township_staff: ("reported", "file", "filed"),
          Role.county_dispatcher: ("reported", "file", "filed"),
          Role.supervisor: ("filed", "suspend", "suspended"),
          Role.grid_worker: ("handled", "verify", "verified"),
          Role.enforcement_officer: ("dispatched", "accept", "handling"),
          Role.market_inspector: ("dispatched", "accept", "handling"),
          Role.service_clerk: ("dispatched", "accept", "handling")}


def _seed_incident(ctx: Ctx, grid_code: str, *, state: str = "reported",
                   photo: bool = False) -> int:
    """An incident in a grid, reported through the service by the city's demo admin, then
    put in `state` directly."""
    return make_incident(ctx.session, ctx.settings, grid_code=grid_code, state=state,
                         photo=photo, description="matrix")


def _grid(ctx: Ctx, inside: bool) -> str:
    return ctx.actor.inside_grid if inside else ctx.actor.outside_grid


def _report(ctx: Ctx, inside: bool) -> Call:
    actor = ctx.actor
    lon, lat = actor.inside_point if inside else actor.outside_point
    category = ctx.session.scalar(text("SELECT min(code) FROM category WHERE level = 'minor'"))

    def check(body):
        assert body["grid"]["code"] == actor.inside_grid and body["state"] == "reported"
    return Call("POST", "/api/v1/incidents", headers={"Idempotency-Key": f"matrix-{inside}"},
                json={"location": {"type": "Point", "coordinates": [lon, lat]},
                      "category": category, "description": "matrix"}, check=check)


def _list_incidents(ctx: Ctx, inside: bool) -> Call:
    ours, theirs = _seed_incident(ctx, _grid(ctx, True)), _seed_incident(ctx, _grid(ctx, False))

    def check(body):
        ids = [item["id"] for item in body["items"]]
        _all_covered(ctx.actor, [item["grid"]["code"] for item in body["items"]])
        assert ours in ids and theirs not in ids
    return Call("GET", "/api/v1/incidents", params={"limit": 500}, check=check)


def _export_incidents(ctx: Ctx, inside: bool) -> Call:
    ours, theirs = _seed_incident(ctx, _grid(ctx, True)), _seed_incident(ctx, _grid(ctx, False))

    def check(body):
        ids = {int(line.split(",")[0]) for line in body.splitlines()[1:]}
        assert ours in ids and theirs not in ids
    return Call("GET", "/api/v1/incidents/export", params={"format": "csv"}, check=check)


def _get_incident(ctx: Ctx, inside: bool) -> Call:
    incident = _seed_incident(ctx, _grid(ctx, inside))

    def check(body):
        assert body["id"] == incident and body["timeline"][0]["action"] == "report"
    return Call("GET", f"/api/v1/incidents/{incident}", check=check)


def _act(ctx: Ctx, inside: bool) -> Call:
    state, move, target = A_MOVE.get(ctx.actor.role, ("reported", "file", "filed"))
    incident = _seed_incident(ctx, _grid(ctx, inside), state=state)

    def check(body):
        assert (body["id"], body["state"]) == (incident, target)
    return Call("POST", f"/api/v1/incidents/{incident}/actions/{move}",
                json={"version": 1, "reason": "matrix"}, check=check)


def _hand_off(ctx: Ctx, inside: bool) -> Call:
    incident = _seed_incident(ctx, _grid(ctx, inside))

    def check(body):
        assert (body["kind"], body["status"]) == ("escalate", "pending")
        assert body["to_code"] == _grid(ctx, inside)[:9]
    return Call("POST", f"/api/v1/incidents/{incident}/handoffs",
                json={"kind": "escalate", "version": 1, "reason": "matrix"}, check=check)


def _pending_handoff(ctx: Ctx, inside: bool) -> tuple[int, int]:
    """An incident with a hand-off awaiting a unit where the actor holds a desk."""
    incident = _seed_incident(ctx, _grid(ctx, inside))
    platform = RECEIVING_PLATFORM.get(ctx.actor.role, "grid")
    unit = ctx.session.scalar(text("""
        INSERT INTO unit (code, name, kind, platform, seat_code)
        VALUES (:code, 'matrix desk', 'service_centre', :platform, :seat) RETURNING id"""),
        {"code": f"matrix-{ctx.actor.username}-{incident}", "platform": platform,
         "seat": ctx.actor.scope_code})
    ctx.session.execute(text(
        "INSERT INTO unit_area (unit_id, area_code) VALUES (:unit, :seat)"),
        {"unit": unit, "seat": ctx.actor.scope_code})
    ctx.session.execute(text(
        "INSERT INTO membership (user_id, unit_id, position) VALUES (:user, :unit, 'receiver')"),
        {"user": ctx.actor.user_id, "unit": unit})
    handoff = ctx.session.scalar(text("""
        INSERT INTO handoff (subject_type, subject_id, kind, from_code, from_platform,
                             to_unit_id, to_code, to_platform, reason, status, created_by,
                             due_at)
        VALUES ('incident', :incident, 'refer', :from_code, 'grid', :unit, :to_code,
                :platform, 'matrix', 'pending', 'matrix', now() + interval '1 day')
        RETURNING id"""),
        {"incident": incident, "from_code": _grid(ctx, inside)[:12], "unit": unit,
         "to_code": ctx.actor.scope_code, "platform": platform})
    return incident, handoff


def _sign(ctx: Ctx, inside: bool) -> Call:
    incident, handoff = _pending_handoff(ctx, inside)

    def check(body):
        assert (body["id"], body["status"]) == (handoff, "signed")
    return Call("POST", f"/api/v1/incidents/{incident}/handoffs/{handoff}/sign", check=check)


def _return_handoff(ctx: Ctx, inside: bool) -> Call:
    incident, handoff = _pending_handoff(ctx, inside)

    def check(body):
        assert (body["status"], body["answer_reason"]) == ("returned", "not ours")
    return Call("POST", f"/api/v1/incidents/{incident}/handoffs/{handoff}/return",
                json={"reason": "not ours"}, check=check)


def _add_photos(ctx: Ctx, inside: bool) -> Call:
    incident = _seed_incident(ctx, _grid(ctx, inside))

    def check(body):
        assert [photo["kind"] for photo in body] == ["after"]
    return Call("POST", f"/api/v1/incidents/{incident}/photos",
                json={"kind": "after", "photos": [{"content_type": "image/png",
                                                   "data": png_base64()}]}, check=check)


def _get_photo(ctx: Ctx, inside: bool) -> Call:
    incident = _seed_incident(ctx, _grid(ctx, inside), photo=True)
    photo = ctx.session.scalar(text("SELECT id FROM attachment WHERE subject_type = 'incident' "
                                    "AND subject_id = :i"), {"i": incident})
    return Call("GET", f"/api/v1/incidents/{incident}/photos/{photo}")


# --- the inbox ----------------------------------------------------------------------------

def _notify(ctx: Ctx, user_id: int) -> int:
    return make_notification(ctx.session, user_id, topic="matrix")


def _someone_else(ctx: Ctx) -> int:
    return ctx.session.scalar(text("SELECT min(id) FROM app_user WHERE id <> :me"),
                              {"me": ctx.actor.user_id})


def _inbox(ctx: Ctx, inside: bool) -> Call:
    mine, theirs = _notify(ctx, ctx.actor.user_id), _notify(ctx, _someone_else(ctx))

    def check(body):
        ids = [item["id"] for item in body["items"]]
        assert mine in ids and theirs not in ids and body["unread"] >= 1
    return Call("GET", "/api/v1/inbox", check=check)


def _read_notification(ctx: Ctx, inside: bool) -> Call:
    owner = ctx.actor.user_id if inside else _someone_else(ctx)
    return Call("POST", f"/api/v1/inbox/{_notify(ctx, owner)}/read")


def _export_table(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None  # the caller's own rows: nothing lies outside
    return Call("POST", "/api/v1/exports/table", json={
        "filename": "考核指标", "format": "csv", "columns": ["区域", "结案率"],
        "rows": [["株洲市", 0.9]]})


def _workflows(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None  # the same description for every scope

    def check(body):
        assert "incident" in [one["code"] for one in body]
    return Call("GET", "/api/v1/workflows", check=check)


def _workflow(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None

    def check(body):
        assert body["code"] == "incident" and body["moves"]
    return Call("GET", "/api/v1/workflows/incident", check=check)


def _kpis(path: str) -> Callable[[Ctx, bool], Call]:
    def build(ctx: Ctx, inside: bool) -> Call:
        code = ctx.actor.inside if inside else ctx.actor.outside

        def check(body):
            assert body["subject"]["code"] == code
            _all_covered(ctx.actor, [child["code"] for child in body.get("children", [])])
        return Call("GET", path, params={"area": code}, check=check)
    return build


def _open_incidents(ctx: Ctx, inside: bool) -> Call:
    code = ctx.actor.inside if inside else ctx.actor.outside

    def check(body):
        assert body["parent"]["code"] == code
        _all_covered(ctx.actor, [child["code"] for child in body["children"]])
    return Call("GET", "/api/v1/kpis/open", params={"parent": code}, check=check)


# --- patrols ------------------------------------------------------------------------------

def _patrol_worker(ctx: Ctx, inside: bool) -> int:
    """Inside: the actor's own worker (a grid worker), else the worker of a grid inside the
    scope; outside: the worker of the grid outside it (for a grid worker: someone else)."""
    if inside:
        own = ctx.session.scalar(text("SELECT id FROM grid_worker WHERE user_id = :u"),
                                 {"u": ctx.actor.user_id})
        if own is not None:
            return own
    return ctx.session.scalar(text(
        "SELECT w.id FROM grid_worker w JOIN grid_assignment ga ON ga.worker_id = w.id "
        "JOIN area a ON a.id = ga.grid_id WHERE a.code = :g ORDER BY w.staff_code LIMIT 1"),
        {"g": _grid(ctx, inside)})


def _seed_patrol(ctx: Ctx, inside: bool) -> int:
    return make_patrol(ctx.session, _patrol_worker(ctx, inside))


def _start_patrol(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None  # one's own patrol: there is no one else's to start

    def check(body):
        assert body["client_key"] == "matrix-patrol-key" and body["points"] == 0
    return Call("POST", "/api/v1/patrols", json={"client_key": "matrix-patrol-key"},
                check=check)


def _patrol_points(ctx: Ctx, inside: bool) -> Call:
    patrol = _seed_patrol(ctx, inside)
    lon, lat = ctx.actor.inside_point if inside else ctx.actor.outside_point
    at = ctx.session.scalar(text("SELECT now() - interval '1 minute'")).isoformat()

    def check(body):
        assert (body["id"], body["accepted"], body["points"]) == (patrol, 1, 1)
    return Call("POST", f"/api/v1/patrols/{patrol}/points", check=check, json={
        "points": [{"lon": lon, "lat": lat, "accuracy_m": 5, "recorded_at": at}]})


def _end_patrol(ctx: Ctx, inside: bool) -> Call:
    patrol = _seed_patrol(ctx, inside)

    def check(body):
        assert body["id"] == patrol and body["ended_at"] is not None
    return Call("POST", f"/api/v1/patrols/{patrol}/end", json={}, check=check)


def _get_patrol(ctx: Ctx, inside: bool) -> Call:
    patrol = _seed_patrol(ctx, inside)

    def check(body):
        assert (body["type"], body["id"]) == ("Feature", patrol)
    return Call("GET", f"/api/v1/patrols/{patrol}", check=check)


def _list_patrols(ctx: Ctx, inside: bool) -> Call:
    ours, theirs = _seed_patrol(ctx, True), _seed_patrol(ctx, False)

    def check(body):
        ids = [item["id"] for item in body["items"]]
        assert ours in ids and theirs not in ids
    return Call("GET", "/api/v1/patrols", params={"limit": 500}, check=check)


# --- map layers ---------------------------------------------------------------------------

def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def _layer_ids(ctx: Ctx) -> tuple[int, int]:
    """Two incidents: in the actor's inside grid and in the outside grid."""
    return _seed_incident(ctx, _grid(ctx, True)), _seed_incident(ctx, _grid(ctx, False))


def _features_check(ctx: Ctx, ours: int, theirs: int) -> Callable[[Any], None]:
    def check(body):
        ids = [feature["properties"]["id"] for feature in body["features"]]
        _all_covered(ctx.actor, [f["properties"]["grid_code"] for f in body["features"]])
        assert ours in ids and theirs not in ids
    return check


def _layers(ctx: Ctx, inside: bool) -> Call | None:
    if not inside:
        return None  # the same layers for every scope

    def check(body):  # the grid's first, and only what the role may read
        names = [layer["name"] for layer in body]
        assert names[:3] == ["areas", "incidents", "staff"]
        assert all(registry.get(name).permission in ROLE_PERMISSIONS[ctx.actor.role]
                   for name in names)
    return Call("GET", "/api/v1/layers", check=check)


def _layer_features(ctx: Ctx, inside: bool) -> Call:
    ours, theirs = _layer_ids(ctx)
    return Call("GET", "/api/v1/layers/incidents/features", params={"limit": 1000},
                check=_features_check(ctx, ours, theirs))


def _layer_export(ctx: Ctx, inside: bool) -> Call:
    ours, theirs = _layer_ids(ctx)
    return Call("GET", "/api/v1/layers/incidents/export", params={"format": "geojson"},
                check=_features_check(ctx, ours, theirs))


def _tile(ctx: Ctx, inside: bool) -> Call:
    # Binary: the content (and that the outside tile is empty) is tests/*/layers' job.
    lon, lat = ctx.actor.inside_point if inside else ctx.actor.outside_point
    x, y = _tile_of(lon, lat, 15)
    return Call("GET", f"/tiles/areas/15/{x}/{y}.mvt")


def _ogc_document(path: str, key: str) -> Callable[[Ctx, bool], Call | None]:
    def build(ctx: Ctx, inside: bool) -> Call | None:
        if not inside:
            return None  # documents about the service, not objects of a territory

        def check(body):
            assert key in body
        return Call("GET", path, check=check)
    return build


def _ogc_items(ctx: Ctx, inside: bool) -> Call:
    ours, theirs = _layer_ids(ctx)
    return Call("GET", "/ogc/collections/incidents/items", params={"limit": 1000},
                check=_features_check(ctx, ours, theirs))


def _ogc_item(ctx: Ctx, inside: bool) -> Call:
    incident = _seed_incident(ctx, _grid(ctx, inside))

    def check(body):
        assert body["id"] == incident and body["type"] == "Feature"
    return Call("GET", f"/ogc/collections/incidents/items/{incident}", check=check)


SAMPLES: dict[tuple[str, str], Sample] = {
    ("GET", "/api/v1/auth/me"): Sample(Outside.SOMEONE_ELSES, _me),
    ("POST", "/api/v1/auth/logout"): Sample(Outside.SOMEONE_ELSES, _logout),
    ("GET", "/api/v1/areas"): Sample(Outside.NOT_FOUND, _list_areas),
    ("GET", "/api/v1/areas/{code}"): Sample(Outside.NOT_FOUND, _get_area),
    ("GET", "/api/v1/areas/{code}/children"): Sample(Outside.NOT_FOUND, _children),
    ("GET", "/api/v1/areas/{code}/descendants"): Sample(Outside.NOT_FOUND, _descendants),
    ("GET", "/api/v1/areas/locate"): Sample(Outside.NOT_FOUND, _locate),
    ("POST", "/api/v1/areas/locate"): Sample(Outside.FILTERED, _locate_many),
    ("GET", "/api/v1/users"): Sample(Outside.FILTERED, _list_users),
    ("POST", "/api/v1/users"): Sample(Outside.NOT_FOUND, _create_user),
    ("GET", "/api/v1/users/{user_id}"): Sample(Outside.NOT_FOUND, _get_user),
    ("PATCH", "/api/v1/users/{user_id}"): Sample(Outside.NOT_FOUND, _update_user),
    ("POST", "/api/v1/users/{user_id}/unlock"): Sample(Outside.NOT_FOUND, _unlock_user),
    ("GET", "/api/v1/calendar/due"): Sample(Outside.NOT_TERRITORIAL, _calendar_due),
    ("GET", "/api/v1/calendar/{year}"): Sample(Outside.NOT_TERRITORIAL, _calendar_year),
    ("PUT", "/api/v1/calendar/{year}"): Sample(Outside.NOT_TERRITORIAL, _load_calendar_year),
    ("GET", "/api/v1/categories"): Sample(Outside.NOT_TERRITORIAL, _category_tree),
    ("GET", "/api/v1/categories/{code}"): Sample(Outside.NOT_TERRITORIAL, _get_category),
    ("POST", "/api/v1/categories"): Sample(Outside.NOT_TERRITORIAL, _create_category),
    ("PATCH", "/api/v1/categories/{code}"): Sample(Outside.NOT_TERRITORIAL, _update_category),
    ("GET", "/api/v1/kpis"): Sample(Outside.NOT_FOUND, _kpis("/api/v1/kpis")),
    ("GET", "/api/v1/kpis/children"): Sample(Outside.NOT_FOUND, _kpis("/api/v1/kpis/children")),
    ("GET", "/api/v1/kpis/series"): Sample(Outside.NOT_FOUND, _kpis("/api/v1/kpis/series")),
    ("GET", "/api/v1/kpis/open"): Sample(Outside.NOT_FOUND, _open_incidents),
    ("POST", "/api/v1/incidents"): Sample(Outside.REFUSED, _report),
    ("GET", "/api/v1/incidents"): Sample(Outside.FILTERED, _list_incidents),
    ("GET", "/api/v1/incidents/export"): Sample(Outside.FILTERED, _export_incidents),
    ("GET", "/api/v1/incidents/{incident_id}"): Sample(Outside.NOT_FOUND, _get_incident),
    ("POST", "/api/v1/incidents/{incident_id}/actions/{action}"): Sample(Outside.NOT_FOUND,
                                                                        _act),
    ("POST", "/api/v1/incidents/{incident_id}/handoffs"): Sample(Outside.NOT_FOUND, _hand_off),
    ("POST", "/api/v1/incidents/{incident_id}/handoffs/{handoff_id}/sign"): Sample(
        Outside.NOT_FOUND, _sign),
    ("POST", "/api/v1/incidents/{incident_id}/handoffs/{handoff_id}/return"): Sample(
        Outside.NOT_FOUND, _return_handoff),
    ("POST", "/api/v1/incidents/{incident_id}/photos"): Sample(Outside.NOT_FOUND, _add_photos),
    ("GET", "/api/v1/incidents/{incident_id}/photos/{photo_id}"): Sample(Outside.NOT_FOUND,
                                                                       _get_photo),
    ("GET", "/api/v1/inbox"): Sample(Outside.FILTERED, _inbox),
    ("GET", "/api/v1/workflows"): Sample(Outside.NOT_TERRITORIAL, _workflows),
    ("POST", "/api/v1/exports/table"): Sample(Outside.NOT_TERRITORIAL, _export_table),
    ("GET", "/api/v1/workflows/{code}"): Sample(Outside.NOT_TERRITORIAL, _workflow),
    ("POST", "/api/v1/inbox/{notification_id}/read"): Sample(Outside.NOT_FOUND,
                                                            _read_notification),
    ("POST", "/api/v1/patrols"): Sample(Outside.NOT_FOUND, _start_patrol),
    ("POST", "/api/v1/patrols/{patrol_id}/points"): Sample(Outside.NOT_FOUND, _patrol_points),
    ("POST", "/api/v1/patrols/{patrol_id}/end"): Sample(Outside.NOT_FOUND, _end_patrol),
    ("GET", "/api/v1/patrols"): Sample(Outside.FILTERED, _list_patrols),
    ("GET", "/api/v1/patrols/{patrol_id}"): Sample(Outside.NOT_FOUND, _get_patrol),
    ("GET", "/api/v1/layers"): Sample(Outside.NOT_TERRITORIAL, _layers),
    ("GET", "/api/v1/layers/{layer}/features"): Sample(Outside.FILTERED, _layer_features),
    ("GET", "/api/v1/layers/{layer}/export"): Sample(Outside.FILTERED, _layer_export),
    ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt"): Sample(Outside.FILTERED, _tile),
    ("GET", "/ogc"): Sample(Outside.NOT_TERRITORIAL, _ogc_document("/ogc", "links")),
    ("GET", "/ogc/conformance"): Sample(Outside.NOT_TERRITORIAL,
                                        _ogc_document("/ogc/conformance", "conformsTo")),
    ("GET", "/ogc/collections"): Sample(Outside.NOT_TERRITORIAL,
                                        _ogc_document("/ogc/collections", "collections")),
    ("GET", "/ogc/collections/{collectionId}"): Sample(
        Outside.NOT_TERRITORIAL, _ogc_document("/ogc/collections/incidents", "extent")),
    ("GET", "/ogc/collections/{collectionId}/queryables"): Sample(
        Outside.NOT_TERRITORIAL, _ogc_document("/ogc/collections/incidents/queryables",
                                               "properties")),
    ("GET", "/ogc/collections/{collectionId}/items"): Sample(Outside.FILTERED, _ogc_items),
    ("GET", "/ogc/collections/{collectionId}/items/{featureId}"): Sample(Outside.NOT_FOUND,
                                                                        _ogc_item),
    **{key: Sample(Outside[outside], build) for key, (outside, build) in UNIT_SAMPLES.items()},
}


def _platform_sample_modules() -> list:
    """Each platform's part of the matrix, kept beside its tests:
    `tests/<platform>/**/auth_samples.py` with
    `AUTH_SAMPLES = {(method, path): (Outside member name, build(ctx, inside))}` and
    `AUTH_POLICY = {role: {permission, ...}}`, the grants the part adds to each role."""
    root = Path(__file__).parents[2]
    return [importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
            for path in sorted(Path(__file__).parents[1].glob("*/**/auth_samples.py"))]


PLATFORM_SAMPLE_MODULES = _platform_sample_modules()


def _platform_samples() -> dict[tuple[str, str], Sample]:
    found: dict[tuple[str, str], Sample] = {}
    for module in PLATFORM_SAMPLE_MODULES:
        for key, (outside, build) in module.AUTH_SAMPLES.items():
            assert key not in SAMPLES and key not in found, f"two samples for {key}"
            found[key] = Sample(Outside[outside], build)
    return found


SAMPLES.update(_platform_samples())


# --- the route table is complete ----------------------------------------------------------

def test_every_protected_route_declares_a_permission(app):
    # Guard against passing on an empty table (a walk that misses included routers).
    assert ("GET", "/api/v1/auth/me") in {key for route in protected_routes(app)
                                         for key in route_keys(route)}
    missing = [f"{' '.join(sorted(route.methods))} {route.path}"
               for route in protected_routes(app) if not declared_permissions(route)]
    assert not missing, ("routes without a declared permission (add "
                         f"Depends(Requires(Permission.x)) or list them in PUBLIC_PATHS): "
                         f"{missing}")


def test_every_protected_route_has_a_sample(app):
    keys = [key for route in protected_routes(app) for key in route_keys(route)]
    missing = [f"{method} {path}" for method, path in keys if (method, path) not in SAMPLES]
    assert not missing, f"add a sample for {missing} to SAMPLES in {__file__}"


def test_no_sample_outlives_its_route(app):
    keys = {key for route in protected_routes(app) for key in route_keys(route)}
    assert not set(SAMPLES) - keys, f"samples of routes that are gone: {set(SAMPLES) - keys}"


def test_only_public_paths_bypass_the_permission_check(app):
    """Non-FastAPI routes (docs, static files) cannot declare a permission: public only.
    A public path must exist, and declare no permission (it would hide from the matrix)."""
    routes = all_routes(app)
    paths = {route.path for route in routes}
    public = public_paths()
    assert app.state.public_paths == public
    undeclarable = sorted(route.path for route in routes
                          if not is_api_route(route) and route.path not in public)
    assert not undeclarable, f"routes outside FastAPI's dependency system: {undeclarable}"
    assert paths >= public, f"stale PUBLIC_PATHS: {sorted(public - paths)}"
    guarded = sorted(route.path for route in routes if is_api_route(route)
                     and route.path in public and declared_permissions(route))
    assert not guarded, f"public paths that declare a permission: {guarded}"


def test_the_permission_table():
    """The policy the matrix enforces, spelled out: a new grant is a deliberate change here
    (the core's and the grid's below, each other platform's in its auth_samples.py)."""
    from grid.permissions import GridPermission as Grid

    everyone = {Permission.own_account, Permission.areas_read, Permission.calendar_read,
                Permission.units_read, Grid.incidents_read}
    centres = {Role.village_staff, Role.township_staff, Role.county_dispatcher}
    report, act = Grid.incidents_report, Grid.incidents_act
    hand_off, receive = Grid.incidents_hand_off, Permission.hand_offs_receive
    patrols = Grid.patrols_read
    desk = {report, act, hand_off, receive, Grid.kpi_read, patrols}
    policy = {
        **{role: everyone | desk for role in centres | {Role.supervisor}},
        Role.grid_worker: everyone | {report, act, Grid.patrols_record, patrols},
        Role.enforcement_officer: everyone | {report, act, receive},
        Role.market_inspector: everyone | {report, act, receive},
        Role.service_clerk: everyone | {act, receive},
        Role.proxy_agent: everyone | {receive},
        Role.admin: everyone | {Permission.users_manage, Grid.categories_manage,
                                Permission.calendar_manage, Grid.kpi_read},
    }
    for module in PLATFORM_SAMPLE_MODULES:  # each platform's grants, beside its samples
        for role, permissions in getattr(module, "AUTH_POLICY", {}).items():
            policy[Role(role)] = policy[Role(role)] | set(permissions)
    assert dict(ROLE_PERMISSIONS) == policy


# --- the matrix ---------------------------------------------------------------------------

def _expected(call: Call, *, sample: Sample, route: RouteInfo, role: Role | None,
              inside: bool) -> int:
    if role is None:
        return 401
    if not route.permissions <= ROLE_PERMISSIONS[role]:
        return 403
    success = route.route.status_code or 200
    if inside:
        return call.expect or success
    return {Outside.NOT_FOUND: 404, Outside.FILTERED: success, Outside.REFUSED: 422,
            Outside.SOMEONE_ELSES: 401, Outside.NOT_TERRITORIAL: success}[sample.outside]


@pytest.mark.parametrize("role", [None, *Role], ids=lambda role: str(role or "no-token"))
@pytest.mark.parametrize("key", ROUTES, ids=lambda key: f"{key[0]} {key[1]}")
def test_matrix(key, role, app, anonymous, session, settings, demo_actors):
    method, path = key
    route = find_route(app, key)
    assert route.permissions, f"{method} {path} declares no permission"
    assert key in SAMPLES, f"add a sample for {method} {path} to SAMPLES in {__file__}"
    sample = SAMPLES[key]
    actor = make_actor(role or Role.admin, session=session, demo_actors=demo_actors)
    headers = actor.headers(settings) if role else {}
    failures = []
    client = anonymous  # the module's app, started once, on the test's session
    ctx = Ctx(client, actor, settings, session)
    for inside in (True, False):
        call = sample.build(ctx, inside)
        if call is None:
            continue
        assert call.method == method, f"the sample of {method} {path} calls {call.method}"
        assert call.expect not in (401, 403, 404), "an override may not hide a refusal"
        expected = _expected(call, sample=sample, route=route, role=role, inside=inside)
        response = client.request(call.method, call.url, params=call.params,
                                  json=call.json, headers={**headers, **(call.headers or {})})
        side = "inside" if inside else "outside"
        if response.status_code != expected:
            failures.append(f"{side}: {call.method} {response.url} -> "
                            f"{response.status_code}, expected {expected} "
                            f"{call.why}: {response.text[:300]}")
            continue
        if expected >= 400:
            assert response.headers["content-type"] == PROBLEM
            if expected == 401:
                assert response.headers["www-authenticate"] == "Bearer"
        elif call.check and response.status_code != 204:
            try:
                call.check(response.json() if "json" in response.headers["content-type"]
                           else response.content.decode("utf-8-sig"))
            except AssertionError as exc:
                failures.append(f"{side}: {call.method} {response.url}: {exc}")
    assert not failures, "\n".join(failures)


def test_demo_accounts_log_in_as_the_matrix_principals(anonymous, settings, demo_actors):
    """The matrix mints tokens; a real login of each demo account gives the same claims."""
    for role, actor in demo_actors.items():
        response = anonymous.post("/api/v1/auth/token", data={
            "username": actor.username, "password": settings.demo_password})
        assert response.status_code == 200, (role, response.text)
        claims = jwt.decode(response.json()["access_token"], settings.secret_key,
                            algorithms=["HS256"])
        assert (claims["sub"], claims["role"], claims["scope"]) == (
            str(actor.user_id), str(role), actor.scope_code)
