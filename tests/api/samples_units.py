"""The authorization matrix's sample requests for the unit routes (api/units.py), kept
here and merged into `SAMPLES` in tests/api/test_authorization.py.

Each builder seeds, in the test's rolled-back session, a unit seated at the actor's inside
area or at the nearest area outside. Units are read by code prefix (not by a grid
worker's own grids), so for a grid worker "outside" is the next village.
"""

from itertools import count
from typing import Any

from sqlalchemy import text

_SERIAL = count(1)


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late: that module imports this

    return Call(*args, **kwargs)


def _area(ctx, inside: bool) -> str:
    from tests.api.test_authorization import _next_sibling

    actor = ctx.actor
    if inside:
        return actor.inside
    if actor.own_grids is None:
        return actor.outside
    return _next_sibling(ctx.session.connection(), actor.scope_code)


def _seed_unit(ctx, inside: bool) -> int:
    area = _area(ctx, inside)
    unit = ctx.session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, seat_code) "
        "VALUES (:code, '矩阵单位', 'department', 'grid', :area) RETURNING id"),
        {"code": f"matrix-{'in' if inside else 'out'}-{next(_SERIAL)}", "area": area})
    ctx.session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                        {"u": unit, "a": area})
    return unit


def _seed_membership(ctx, inside: bool) -> tuple[int, int]:
    unit = _seed_unit(ctx, inside)
    membership = ctx.session.scalar(text(
        "INSERT INTO membership (user_id, unit_id, position) VALUES (:user, :unit, 'receiver') "
        "RETURNING id"), {"user": ctx.actor.inside_user, "unit": unit})
    return unit, membership


def _departments(ctx, inside: bool):
    if not inside:
        return None  # one list for every scope

    def check(body):
        assert {"code": "chengguan", "name": "城市管理"} in body
    return _call("GET", "/api/v1/departments", check=check)


def _list_units(ctx, inside: bool):
    ours, theirs = _seed_unit(ctx, True), _seed_unit(ctx, False)

    def check(body):
        ids = [unit["id"] for unit in body["items"]]
        assert ours in ids and theirs not in ids
    return _call("GET", "/api/v1/units", params={"q": "matrix-", "limit": 1000}, check=check)


def _create_unit(ctx, inside: bool):
    area = _area(ctx, inside)

    def check(body):
        assert (body["code"], body["area_codes"]) == ("matrix-new", [area])
    return _call("POST", "/api/v1/units", check=check, json={
        "code": "matrix-new", "name": "矩阵新单位", "kind": "department", "platform": "grid",
        "seat_code": area, "area_codes": [area]})


def _get_unit(ctx, inside: bool):
    unit = _seed_unit(ctx, inside)

    def check(body):
        assert body["id"] == unit and body["kind_label"] == "部门"
    return _call("GET", f"/api/v1/units/{unit}", check=check)


def _update_unit(ctx, inside: bool):
    unit = _seed_unit(ctx, inside)

    def check(body):
        assert (body["name"], body["version"]) == ("改名", 2)
    return _call("PATCH", f"/api/v1/units/{unit}", json={"version": 1, "name": "改名"},
                 check=check)


def _deactivate_unit(ctx, inside: bool):
    unit = _seed_unit(ctx, inside)

    def check(body):
        assert body["id"] == unit and body["is_active"] is False
    return _call("DELETE", f"/api/v1/units/{unit}", check=check)


def _jurisdiction(ctx, inside: bool):
    unit, area = _seed_unit(ctx, inside), _area(ctx, inside)

    def check(body):
        assert [feature["id"] for feature in body["features"]] == [area]
    return _call("GET", f"/api/v1/units/{unit}/jurisdiction", params={"simplify": 50},
                 check=check)


def _members(ctx, inside: bool):
    unit, membership = _seed_membership(ctx, inside)

    def check(body):
        assert [member["id"] for member in body] == [membership]
    return _call("GET", f"/api/v1/units/{unit}/members", check=check)


def _add_member(ctx, inside: bool):
    unit = _seed_unit(ctx, inside)

    def check(body):
        assert (body["unit_id"], body["user_id"]) == (unit, ctx.actor.inside_user)
    return _call("POST", f"/api/v1/units/{unit}/members", check=check,
                 json={"user_id": ctx.actor.inside_user, "position": "receiver"})


def _update_membership(ctx, inside: bool):
    _, membership = _seed_membership(ctx, inside)

    def check(body):
        assert (body["position"], body["version"]) == ("head", 2)
    return _call("PATCH", f"/api/v1/memberships/{membership}",
                 json={"version": 1, "position": "head"}, check=check)


def _end_membership(ctx, inside: bool):
    _, membership = _seed_membership(ctx, inside)

    def check(body):
        assert body["id"] == membership and body["is_active"] is False
    return _call("DELETE", f"/api/v1/memberships/{membership}", check=check)


# (method, path) -> (the Outside member's name, the builder)
UNIT_SAMPLES = {
    ("GET", "/api/v1/departments"): ("NOT_TERRITORIAL", _departments),
    ("GET", "/api/v1/units"): ("FILTERED", _list_units),
    ("POST", "/api/v1/units"): ("NOT_FOUND", _create_unit),
    ("GET", "/api/v1/units/{unit_id}"): ("NOT_FOUND", _get_unit),
    ("PATCH", "/api/v1/units/{unit_id}"): ("NOT_FOUND", _update_unit),
    ("DELETE", "/api/v1/units/{unit_id}"): ("NOT_FOUND", _deactivate_unit),
    ("GET", "/api/v1/units/{unit_id}/jurisdiction"): ("NOT_FOUND", _jurisdiction),
    ("GET", "/api/v1/units/{unit_id}/members"): ("NOT_FOUND", _members),
    ("POST", "/api/v1/units/{unit_id}/members"): ("NOT_FOUND", _add_member),
    ("PATCH", "/api/v1/memberships/{membership_id}"): ("NOT_FOUND", _update_membership),
    ("DELETE", "/api/v1/memberships/{membership_id}"): ("NOT_FOUND", _end_membership),
}
