"""The authorization matrix's sample requests for the 12345 work-order routes
(convenience/open311/workorder_router.py), in the shape of tests/api/samples_units.py:
`AUTH_SAMPLES[(method, path)] = (Outside member name, build(ctx, inside))`, which
tests/api/test_authorization.py merges into its `SAMPLES`.

Orders are seeded in the test's rolled-back session, owned at the actor's inside area or at
the nearest area outside. The Open311 routes and the public pages are public: they go in
PUBLIC_PATHS (convenience/open311/part.py `PUBLIC_PATHS`), not here.
"""

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import text

_SERIAL = count(1)
BASE = "/api/v1/convenience/workorders"


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


def _area(ctx, inside: bool) -> str:
    return ctx.actor.inside if inside else ctx.actor.outside


def _seed_unit(ctx, area: str) -> int:
    unit = ctx.session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, seat_code) "
        "VALUES (:code, '矩阵承办单位', 'department', 'convenience', :area) RETURNING id"),
        {"code": f"matrix-12345-{next(_SERIAL)}", "area": area})
    ctx.session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                        {"u": unit, "a": area})
    return unit


def _seed_order(ctx, inside: bool, *, state: str = "registered", handler: int | None = None,
                overdue: bool = False) -> int:
    return ctx.session.scalar(text("""
        INSERT INTO work_order (channel, caller_phone, description, state, version,
                                owner_code, owner_platform, handler_unit_id, first_unit_id,
                                due_at, dispatched_at, created_by, created_at)
        VALUES ('phone', '13800000000', '矩阵工单', :state, 1, :owner, 'convenience',
                :handler, :handler, now() + :due, :dispatched, 'matrix', now())
        RETURNING id"""), {"state": state, "owner": _area(ctx, inside), "handler": handler,
                           "due": timedelta(days=-1 if overdue else 5),
                           "dispatched": None if handler is None else datetime.now(UTC)})


def _ids(body) -> set[int]:
    return {row["id"] for row in body}


def _listed(url: str, **seed):
    """A list route: the seeded order is in the answer inside, absent outside."""
    def build(ctx, inside: bool):
        order = _seed_order(ctx, inside, **seed)

        def check(body):
            assert (order in _ids(body)) is inside, (order, inside)
        return _call("GET", url, check=check)
    return build


def _exported(ctx, inside: bool):
    """The export: the seeded order's number is in the CSV inside, absent outside."""
    from convenience.open311.models import number_of

    order = _seed_order(ctx, inside)

    def check(body):
        assert (number_of(order) in body) is inside, (order, inside)
    return _call("GET", f"{BASE}/export", params={"format": "csv", "state": "registered"},
                 check=check)


def _take_call(ctx, inside: bool):
    if not inside:
        return None  # the order is held where the operator sits: nothing outside to name
    return _call("POST", BASE, json={"caller_phone": "13800000000", "description": "来电"})


def _kpis(url: str):
    def build(ctx, inside: bool):
        _seed_order(ctx, inside, state="dispatched", handler=_seed_unit(ctx, _area(ctx, inside)))
        return _call("GET", url, params={"start": "2026-01-01", "end": "2026-12-31"})
    return build


def _not_territorial(method: str, url: str, **kwargs):
    def build(ctx, inside: bool):
        return _call(method, url, **kwargs) if inside else None
    return build


def _add_entry(ctx, inside: bool):
    area = _area(ctx, inside)
    return _call("POST", f"{BASE}/catalogue", json={
        "matter_code": f"MX{next(_SERIAL)}", "matter": "矩阵事项", "area_code": area,
        "unit_id": _seed_unit(ctx, area)})


def _edit_rule(ctx, inside: bool):
    if not inside:
        return None
    version = ctx.session.scalar(text("SELECT version FROM workorder_rule "
                                      "WHERE name = 'handling'"))
    return _call("PUT", f"{BASE}/rules/handling", json={"value": "5d", "version": version})


def _get_order(ctx, inside: bool):
    return _call("GET", f"{BASE}/{_seed_order(ctx, inside)}")


def _move(ctx, inside: bool):
    """签收 by a member of the handling unit (any role may hold a desk there): inside, an
    order dispatched to a unit of the actor's; outside, another territory's order
    dispatched to a unit he is not in."""
    area = _area(ctx, inside)
    unit = _seed_unit(ctx, area)
    if inside:
        ctx.session.execute(text("INSERT INTO membership (user_id, unit_id, position) "
                                 "VALUES (:user, :unit, 'handler')"),
                            {"user": ctx.actor.user_id, "unit": unit})
    order = _seed_order(ctx, inside, state="dispatched", handler=unit)
    return _call("POST", f"{BASE}/{order}/actions/sign", json={"version": 1})


def _link(ctx, inside: bool):
    from tests.factories import make_incident

    incident = make_incident(ctx.session, ctx.settings, grid_code=ctx.actor.inside_grid)
    return _call("POST", f"{BASE}/{_seed_order(ctx, inside)}/links",
                 json={"incident_id": incident})


AUTH_SAMPLES = {
    ("POST", BASE): ("NOT_TERRITORIAL", _take_call),
    ("GET", BASE): ("FILTERED", _listed(BASE)),
    ("GET", f"{BASE}/export"): ("FILTERED", _exported),
    ("GET", f"{BASE}/supervision"): ("FILTERED", _listed(
        f"{BASE}/supervision", state="handling", overdue=True)),
    ("GET", f"{BASE}/callbacks"): ("FILTERED", _listed(f"{BASE}/callbacks", state="replied")),
    ("GET", f"{BASE}/kpis"): ("FILTERED", _kpis(f"{BASE}/kpis")),
    ("GET", f"{BASE}/kpis.xlsx"): ("FILTERED", _kpis(f"{BASE}/kpis.xlsx")),
    ("GET", f"{BASE}/catalogue"): ("NOT_TERRITORIAL", _not_territorial(
        "GET", f"{BASE}/catalogue")),
    ("POST", f"{BASE}/catalogue"): ("REFUSED", _add_entry),
    ("GET", f"{BASE}/rules"): ("NOT_TERRITORIAL", _not_territorial("GET", f"{BASE}/rules")),
    ("PUT", f"{BASE}/rules/{{name}}"): ("NOT_TERRITORIAL", _edit_rule),
    ("GET", f"{BASE}/{{order_id}}"): ("NOT_FOUND", _get_order),
    ("POST", f"{BASE}/{{order_id}}/actions/{{name}}"): ("NOT_FOUND", _move),
    ("POST", f"{BASE}/{{order_id}}/links"): ("NOT_FOUND", _link),
}


def _policy() -> dict:
    """The grants convenience/open311/workorder_router.py `GRANTS` adds, restated: every
    desk role reads and moves orders (grid workers report on the grid, not here); the
    12345 operators (workorders.py `OPERATORS`) take calls; KPIs for them and the admin;
    the 派单目录 and the rules for the admin."""
    from core.users.enums import Role

    operators = {Role.county_dispatcher, Role.township_staff, Role.village_staff,
                 Role.supervisor}
    policy = {role: {"workorders:read", "workorders:act"} for role in Role
              if role is not Role.grid_worker}
    for role in operators:
        policy[role] |= {"workorders:intake", "workorders:kpi"}
    policy[Role.admin] |= {"workorders:kpi", "workorders:manage"}
    return policy


AUTH_POLICY = _policy()
