"""The authorization matrix's sample requests for the register part of 市场监管
(market_supervision/register/router.py: entities, imports, items, inspectors, conflicts,
plans, tasks, draws), in the shape of tests/api/samples_units.py:
`AUTH_SAMPLES[(method, path)] = (Outside member name, build(ctx, inside))`, merged by
tests/api/test_authorization.py into its `SAMPLES`; `AUTH_POLICY`, the grants the part adds
(market_supervision/register/permissions.py `GRANTS`).

Each builder seeds, in the test's rolled-back session, what its route reads at the actor's
inside area or at the nearest area outside: entities in the area's first grid, a market
office seated at the area (with qualified inspectors), a plan and a task over the area, and
a draw made from them through the register's own drawing (commit, then draw). The register
is scoped by area code (an entity's grid, a unit's seat, a plan's, task's or draw's area).
The draws' public page and inputs are in the part's PUBLIC_PATHS, not here.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from typing import Any

from sqlalchemy import text

from core.users.enums import Role
from market_supervision.register.permissions import MarketPermission as Grant

_SERIAL = count(1)
BASE = "/api/v1/market"


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


def _side(ctx, inside: bool) -> tuple[str, str, tuple[float, float]]:
    """(area, its first grid, a point in that grid) inside the scope or just outside."""
    actor = ctx.actor
    if inside:
        return actor.inside, actor.inside_grid, actor.inside_point
    return actor.outside, actor.outside_grid, actor.outside_point


def _uscc() -> str:
    from market_supervision.register.codes import issue_code

    return issue_code("company", "430200", 96_000_000 + next(_SERIAL))


def _entity(ctx, inside: bool, *, name: str = "矩阵主体") -> tuple[int, str]:
    _, grid, (lon, lat) = _side(ctx, inside)
    uscc = _uscc()
    entity = ctx.session.scalar(text(
        "INSERT INTO market_entity (uscc, name, type, address, location, area_code, industry, "
        "risk_class) VALUES (:uscc, :name, 'company', '矩阵路1号', "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :grid, 'H62', 'D') RETURNING id"),
        {"uscc": uscc, "name": name, "lon": lon, "lat": lat, "grid": grid})
    return entity, uscc


def _office(ctx, inside: bool) -> int:
    area, _, _ = _side(ctx, inside)
    unit = ctx.session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, department_code, seat_code) "
        "VALUES (:code, '矩阵市场监管所', 'market_office', 'market_supervision', 'market', :area) "
        "RETURNING id"), {"code": f"matrix-register-{next(_SERIAL)}", "area": area})
    ctx.session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                        {"u": unit, "a": area})
    return unit


def _item(ctx) -> tuple[int, str]:
    code = f"MATRIX-R{next(_SERIAL)}"
    item = ctx.session.scalar(text(
        "INSERT INTO market_item (code, name, department_code, level, legal_basis) "
        "VALUES (:code, '矩阵检查事项', 'market', 'general', '食品安全法第三十三条') "
        "RETURNING id"), {"code": code})
    ctx.session.execute(text(
        "INSERT INTO market_checklist_item (item_id, ordinal, text, weight) "
        "VALUES (:item, 1, '经营场所环境整洁', 'general')"), {"item": item})
    return item, code


def _inspector(ctx, unit: int, *, item: int | None = None) -> int:
    """An 检查员 of the unit with a valid 执法证 (a new account), qualified for `item`."""
    from tests.factories import make_user

    serial = next(_SERIAL)
    user = make_user(ctx.session, actor="matrix", username=f"matrix_inspector_{serial}",
                     role=Role.market_inspector, scope_code=ctx.actor.inside)
    membership = ctx.session.scalar(text(
        "INSERT INTO membership (user_id, unit_id, position, credential_number, "
        "credential_issuer, credential_expires_on) VALUES (:user, :unit, 'inspector', :number, "
        "'株洲市人民政府', :expires) RETURNING id"),
        {"user": user.id, "unit": unit, "number": f"MX{serial:08d}",
         "expires": date.today() + timedelta(days=365)})
    if item is not None:
        ctx.session.execute(text("INSERT INTO market_inspector_item (membership_id, item_id) "
                                 "VALUES (:m, :i)"), {"m": membership, "i": item})
    return membership


@dataclass(frozen=True)
class Planned:
    area: str
    unit: int
    item_code: str
    entity: int
    plan: int
    task: int


def _planned(ctx, inside: bool) -> Planned:
    """A market office at the area, two inspectors qualified for an item, an entity, a plan
    and a 不定向 task over the area (organised and implemented by the office)."""
    area, _, _ = _side(ctx, inside)
    unit, (item, item_code) = _office(ctx, inside), _item(ctx)
    for _ in range(2):
        _inspector(ctx, unit, item=item)
    entity, _ = _entity(ctx, inside)
    plan = ctx.session.scalar(text(
        "INSERT INTO market_plan (year, name, unit_id, area_code, state) "
        "VALUES (:year, '矩阵抽查计划', :unit, :area, 'published') RETURNING id"),
        {"year": date.today().year, "unit": unit, "area": area})
    task = ctx.session.scalar(text(
        "INSERT INTO market_task (plan_id, code, name, mode, area_code, ratio_scheme, "
        "starts_on, ends_on) VALUES (:plan, :code, '矩阵双随机抽查', 'undirected', :area, "
        "'general', :starts, :ends) RETURNING id"),
        {"plan": plan, "code": f"MATRIX-RT-{next(_SERIAL)}", "area": area,
         "starts": date.today(), "ends": date.today() + timedelta(days=60)})
    ctx.session.execute(text("INSERT INTO market_task_item (task_id, item_id) VALUES (:t, :i)"),
                        {"t": task, "i": item})
    ctx.session.execute(text(
        "INSERT INTO market_task_unit (task_id, unit_id, role) "
        "VALUES (:t, :u, 'organising'), (:t, :u, 'implementing')"), {"t": task, "u": unit})
    return Planned(area, unit, item_code, entity, plan, task)


def _drawn(ctx, inside: bool) -> int:
    """A draw of the area's task, committed and drawn by the register's own code, as a
    manager of that area would."""
    from core.security import Principal
    from market_supervision.register import drawing

    planned = _planned(ctx, inside)
    manager = Principal(ctx.actor.user_id, "matrix_manager", Role.market_inspector,
                        planned.area)
    return drawing.commit_and_draw(ctx.session, principal=manager, task_id=planned.task).id


def _not_territorial(method: str, url: str, check=None, **kwargs):
    def build(ctx, inside: bool):
        return _call(method, url, check=check, **kwargs) if inside else None
    return build


def _ids(body) -> set[int]:
    return {row["id"] for row in (body["items"] if isinstance(body, dict) else body)}


def _listed(url: str, seed, **params):
    """A list route: the object seeded inside is in the answer, the one outside is not."""
    def build(ctx, inside: bool):
        ours, theirs = seed(ctx, True), seed(ctx, False)

        def check(body):
            ids = _ids(body)
            assert ours in ids and theirs not in ids, (ours, theirs)
        return _call("GET", url, params=params or None, check=check)
    return build


# --- entities ------------------------------------------------------------------------------

def _register(ctx, inside: bool):
    """登记: a point in the scope, or one outside it (422 location_outside_scope)."""
    _, grid, (lon, lat) = _side(ctx, inside)
    uscc = _uscc()

    def check(body):
        assert (body["uscc"], body["area_code"]) == (uscc, grid)
    return _call("POST", f"{BASE}/entities", check=check, json={
        "uscc": uscc, "name": "矩阵登记主体", "type": "company", "address": "矩阵路2号",
        "location": {"type": "Point", "coordinates": [lon, lat]}, "industry": "H62"})


def _list_entities(ctx, inside: bool):
    marker = f"矩阵名录{next(_SERIAL)}"
    (ours, _), (theirs, _) = _entity(ctx, True, name=marker), _entity(ctx, False, name=marker)

    def check(body):
        ids = _ids(body)
        assert ours in ids and theirs not in ids, (ours, theirs)
    return _call("GET", f"{BASE}/entities", params={"q": marker}, check=check)


def _export_entities(ctx, inside: bool):
    (_, ours), (_, theirs) = _entity(ctx, True), _entity(ctx, False)

    def check(body):
        assert ours in body and theirs not in body
        assert "风险" not in body  # the risk class is internal: never in an export
    return _call("GET", f"{BASE}/entities/export", params={"format": "csv"}, check=check)


def _import(ctx, inside: bool):
    """导入名录 (a CSV as the body) of a row located in the scope: a new entity inside; outside,
    the code of an entity registered in another territory, which the upsert must not take
    over (422 entity_outside_scope, nothing written; a point outside the scope is refused
    alike: tests/market_supervision/register/test_imports.py). The matrix's Call sends JSON:
    a JSON string body is the file's text to the route's `bytes` body."""
    _, _, (lon, lat) = _side(ctx, True)
    uscc = _uscc() if inside else _entity(ctx, False, name="外辖区主体")[1]
    csv = ("统一社会信用代码,名称,类型,地址,经度,纬度,行业\n"
           f"{uscc},矩阵导入主体,company,矩阵路3号,{lon},{lat},H62\n")

    def check(body):
        assert (body["rows"], body["created"]) == (1, 1)
    return _call("POST", f"{BASE}/entities/imports", params={"filename": "matrix.csv"},
                 json=csv, check=check)


def _get_entity(ctx, inside: bool):
    entity, uscc = _entity(ctx, inside)

    def check(body):
        assert (body["id"], body["uscc"]) == (entity, uscc)
    return _call("GET", f"{BASE}/entities/{entity}", check=check)


def _set_risk(ctx, inside: bool):
    entity, _ = _entity(ctx, inside)
    month = date.today().replace(day=1)

    def check(body):
        assert (body["entity_id"], body["risk_class"]) == (entity, "A")
    return _call("PUT", f"{BASE}/entities/{entity}/risk", check=check,
                 json={"month": month.isoformat(), "risk_class": "A"})


# --- items and inspectors ------------------------------------------------------------------

def _create_item(ctx, inside: bool):
    code = f"MATRIX-NEW-{next(_SERIAL)}"

    def check(body):
        assert body["code"] == code and [line["ordinal"] for line in body["checklist"]] == [1]
    return _not_territorial("POST", f"{BASE}/items", check=check, json={
        "code": code, "name": "矩阵新事项", "department_code": "market", "level": "general",
        "legal_basis": "食品安全法第三十三条",
        "checklist": [{"text": "持有效许可证", "weight": "key"}]})(ctx, inside)


def _list_items(ctx, inside: bool):
    if not inside:
        return None  # one item list for every scope
    _, code = _item(ctx)

    def check(body):
        assert code in {item["code"] for item in body}
    return _call("GET", f"{BASE}/items", check=check)


def _seed_inspector(ctx, inside: bool) -> int:
    return _inspector(ctx, _office(ctx, inside))


def _list_inspectors(ctx, inside: bool):
    ours, theirs = _seed_inspector(ctx, True), _seed_inspector(ctx, False)

    def check(body):
        ids = {row["membership_id"] for row in body}
        assert ours in ids and theirs not in ids, (ours, theirs)
    return _call("GET", f"{BASE}/inspectors", check=check)


def _qualify(ctx, inside: bool):
    membership = _seed_inspector(ctx, inside)
    _, code = _item(ctx)

    def check(body):
        assert body == [code]
    return _call("PUT", f"{BASE}/inspectors/{membership}/items", json={"items": [code]},
                 check=check)


def _conflict(ctx, inside: bool):
    """回避 of a person of the scope for an entity of the scope; the person of another
    territory (scoped there, no unit here): 404 user_not_found, as the users routes answer."""
    entity, _ = _entity(ctx, True)
    user = ctx.actor.inside_user if inside else ctx.actor.outside_user

    def check(body):
        assert (body["entity_id"], body["user_id"]) == (entity, user)
    return _call("POST", f"{BASE}/conflicts", check=check, json={
        "user_id": user, "entity_id": entity, "reason": "近亲属任法定代表人"})


# --- plans and tasks -----------------------------------------------------------------------

def _create_plan(ctx, inside: bool):
    """A plan over the scope, by a unit seated in it or in another territory (422
    unit_outside_scope)."""
    area, _, _ = _side(ctx, True)
    unit = _office(ctx, inside)

    def check(body):
        assert (body["area_code"], body["unit_id"]) == (area, unit)
    return _call("POST", f"{BASE}/plans", check=check, json={
        "year": date.today().year, "name": "矩阵年度计划", "unit_id": unit, "area_code": area})


def _create_task(ctx, inside: bool):
    """A task of the scope's plan implemented by the plan's office, jointly with a second
    office seated in the scope or in another territory (422 unit_outside_scope)."""
    planned = _planned(ctx, True)
    joint = _office(ctx, inside)
    code = f"MATRIX-NT-{next(_SERIAL)}"

    def check(body):
        assert (body["code"], body["plan_id"], body["items"]) == (
            code, planned.plan, [planned.item_code])
    return _call("POST", f"{BASE}/tasks", check=check, json={
        "plan_id": planned.plan, "code": code, "name": "矩阵新任务", "mode": "undirected",
        "area_code": planned.area, "starts_on": date.today().isoformat(),
        "ends_on": (date.today() + timedelta(days=30)).isoformat(),
        "organising_unit_id": planned.unit, "implementing_unit_ids": [planned.unit, joint],
        "items": [planned.item_code]})


def _get_task(ctx, inside: bool):
    planned = _planned(ctx, inside)

    def check(body):
        assert (body["id"], body["implementing_unit_ids"]) == (planned.task, [planned.unit])
    return _call("GET", f"{BASE}/tasks/{planned.task}", check=check)


# --- draws ---------------------------------------------------------------------------------

def _commit(ctx, inside: bool):
    planned = _planned(ctx, inside)

    def check(body):
        assert (body["task_id"], body["state"], body["seed"]) == (planned.task, "committed",
                                                                  None)
    return _call("POST", f"{BASE}/draws/commitments", json={"task_id": planned.task},
                 check=check)


def _draw(ctx, inside: bool):
    planned = _planned(ctx, inside)

    def check(body):
        assert (body["task_id"], body["state"]) == (planned.task, "drawn")
        assert planned.entity in [target["entity_id"] for target in body["targets"]]
    return _call("POST", f"{BASE}/draws", json={"task_id": planned.task}, check=check)


def _get_draw(ctx, inside: bool):
    draw = _drawn(ctx, inside)

    def check(body):
        assert (body["id"], body["state"]) == (draw, "drawn")
        assert all("stratum" not in target for target in body["targets"])
    return _call("GET", f"{BASE}/draws/{draw}", check=check)


def _verify(ctx, inside: bool):
    draw = _drawn(ctx, inside)

    def check(body):
        assert body == {"matches": True, "differences": []}
    return _call("GET", f"{BASE}/draws/{draw}/verify", check=check)


def _inputs(ctx, inside: bool):
    draw = _drawn(ctx, inside)

    def check(body):
        assert "strata" in str(body)  # the internal inputs: with the risk classes
    return _call("GET", f"{BASE}/draws/{draw}/inputs", check=check)


AUTH_SAMPLES = {
    ("POST", f"{BASE}/entities"): ("REFUSED", _register),
    ("GET", f"{BASE}/entities"): ("FILTERED", _list_entities),
    ("GET", f"{BASE}/entities/export"): ("FILTERED", _export_entities),
    ("POST", f"{BASE}/entities/imports"): ("REFUSED", _import),
    ("GET", f"{BASE}/entities/{{entity_id}}"): ("NOT_FOUND", _get_entity),
    ("PUT", f"{BASE}/entities/{{entity_id}}/risk"): ("NOT_FOUND", _set_risk),
    ("POST", f"{BASE}/items"): ("NOT_TERRITORIAL", _create_item),
    ("GET", f"{BASE}/items"): ("NOT_TERRITORIAL", _list_items),
    ("GET", f"{BASE}/inspectors"): ("FILTERED", _list_inspectors),
    ("PUT", f"{BASE}/inspectors/{{membership_id}}/items"): ("NOT_FOUND", _qualify),
    ("POST", f"{BASE}/conflicts"): ("NOT_FOUND", _conflict),
    ("POST", f"{BASE}/plans"): ("REFUSED", _create_plan),
    ("GET", f"{BASE}/plans"): ("FILTERED", _listed(f"{BASE}/plans",
                                                   lambda ctx, inside: _planned(ctx, inside).plan)),
    ("POST", f"{BASE}/tasks"): ("REFUSED", _create_task),
    ("GET", f"{BASE}/tasks"): ("FILTERED", _listed(f"{BASE}/tasks",
                                                   lambda ctx, inside: _planned(ctx, inside).task)),
    ("GET", f"{BASE}/tasks/{{task_id}}"): ("NOT_FOUND", _get_task),
    ("POST", f"{BASE}/draws/commitments"): ("NOT_FOUND", _commit),
    ("POST", f"{BASE}/draws"): ("NOT_FOUND", _draw),
    ("GET", f"{BASE}/draws"): ("FILTERED", _listed(f"{BASE}/draws", _drawn, limit=500)),
    ("GET", f"{BASE}/draws/{{draw_id}}"): ("NOT_FOUND", _get_draw),
    ("GET", f"{BASE}/draws/{{draw_id}}/verify"): ("NOT_FOUND", _verify),
    ("GET", f"{BASE}/draws/{{draw_id}}/inputs"): ("NOT_FOUND", _inputs),
}

# The grants the register part adds (permissions.py GRANTS).
AUTH_POLICY = {
    Role.market_inspector: {Grant.read, Grant.manage, Grant.risk_read},
    Role.supervisor: {Grant.read, Grant.risk_read},
    Role.admin: {Grant.read, Grant.manage, Grant.risk_read, Grant.admin},
    Role.county_dispatcher: {Grant.read},
    Role.township_staff: {Grant.read},
}
