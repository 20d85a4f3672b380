"""The authorization matrix's sample requests for the teams part's routes
(enforcement/teams/router.py): `AUTH_SAMPLES[(method, path)] = (Outside member name,
build(ctx, inside))`, merged by tests/api/test_authorization.py into its `SAMPLES`; and
`AUTH_POLICY`, the grants this part adds to each role (enforcement/teams/permissions.py).

Teams, operations and whistles are seeded in the test's rolled-back session at the actor's
inside area (point) or the nearest area outside; the actor is made a member only of units
inside (a membership widens the scope).
"""

from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import text

from core.security import Principal
from core.users.enums import Role
from enforcement.teams.permissions import TeamsPermission as P

_SERIAL = count(1)
BASE = "/api/v1/enforcement"


def _call(*args, **kwargs):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


def _area(ctx, inside: bool) -> str:
    return ctx.actor.inside if inside else ctx.actor.outside


def _point(ctx, inside: bool) -> tuple[float, float]:
    return ctx.actor.inside_point if inside else ctx.actor.outside_point


def _seed_team(ctx, inside: bool, *, department: str = "chengguan",
               on_duty_user: int | None = None) -> int:
    """A 综合行政执法队 seated at the point, on duty with one member when asked."""
    lon, lat = _point(ctx, inside)
    area = _area(ctx, inside)
    team = ctx.session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, department_code, seat_code, location) "
        "VALUES (:code, '矩阵执法队', 'enforcement_team', 'enforcement', :dept, :area, "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"),
        {"code": f"matrix-team-{'in' if inside else 'out'}-{next(_SERIAL)}", "dept": department,
         "area": area, "lon": lon, "lat": lat})
    ctx.session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                        {"u": team, "a": area})
    if on_duty_user:
        now = datetime.now(UTC)
        ctx.session.execute(text(
            "INSERT INTO membership (user_id, unit_id, position) VALUES (:u, :t, 'handler')"),
            {"u": on_duty_user, "t": team})
        ctx.session.execute(text(
            "INSERT INTO enforcement_roster (team_id, user_id, shift, starts_at, ends_at, "
            "created_by) VALUES (:t, :u, '白班', :s, :e, 'matrix')"),
            {"t": team, "u": on_duty_user, "s": now - timedelta(hours=1),
             "e": now + timedelta(hours=8)})
        from enforcement.teams import positions

        positions.refresh(ctx.session, now=now, team_ids=[team])
    return team


def _seeder(ctx) -> Principal:
    return Principal(0, "matrix-seeder", Role.admin, "430200")


def _seed_operation(ctx, inside: bool, *, objects: list | None = None) -> dict:
    from enforcement.teams import operations

    start = datetime.now(UTC)
    return operations.create(ctx.session, principal=_seeder(ctx), data={
        "title": "矩阵联合执法", "lead_department_code": "chengguan",
        "cooperating": [{"department_code": "market", "tasks": ["证照检查"]}],
        "area_code": _area(ctx, inside), "starts_at": start,
        "ends_at": start + timedelta(days=1), "objects": objects or []})


def _seed_whistle(ctx, inside: bool):
    from enforcement.teams import whistles

    lon, lat = _point(ctx, inside)
    return whistles.blow(ctx.session, principal=_seeder(ctx), settings=ctx.settings,
                         now=datetime.now(UTC), matter="矩阵吹哨", matter_code=None,
                         departments=["chengguan"], lon=lon, lat=lat, address="",
                         description="", urgency="normal", operation_id=None)


# --- teams -------------------------------------------------------------------------------

def _list_teams(ctx, inside: bool):
    ours, theirs = _seed_team(ctx, True), _seed_team(ctx, False)

    def check(body):
        ids = [team["id"] for team in body["items"]]
        assert ours in ids and theirs not in ids, (ours, theirs)
    return _call("GET", f"{BASE}/teams", params={"limit": 500}, check=check)


def _nearest(ctx, inside: bool):
    ours = _seed_team(ctx, True, on_duty_user=ctx.actor.inside_user)
    theirs = _seed_team(ctx, False, on_duty_user=ctx.actor.outside_user)
    lon, lat = _point(ctx, inside)

    def check(body):
        ids = [item["team_id"] for item in body["items"]]
        assert ours in ids and theirs not in ids, (ours, theirs, ids)
    return _call("GET", f"{BASE}/teams/nearest", check=check,
                 params={"lon": lon, "lat": lat, "limit": 50})


def _get_team(ctx, inside: bool):
    team = _seed_team(ctx, inside)

    def check(body):
        assert body["id"] == team and body["position"]["type"] == "Point"
    return _call("GET", f"{BASE}/teams/{team}", check=check)


def _qualifications(ctx, inside: bool):
    team = _seed_team(ctx, inside)

    def check(body):
        assert body["departments"] == ["chengguan", "market"]
    return _call("PUT", f"{BASE}/teams/{team}/qualifications", check=check,
                 json={"departments": ["market", "chengguan"], "matters": []})


def _roster(ctx, inside: bool):
    team = _seed_team(ctx, inside)
    return _call("GET", f"{BASE}/teams/{team}/roster",
                 params={"day": datetime.now(UTC).date().isoformat()},
                 check=lambda body: isinstance(body, list))


def _set_roster(ctx, inside: bool):
    team = _seed_team(ctx, inside)
    return _call("PUT", f"{BASE}/teams/{team}/roster", check=lambda body: body == [],
                 json={"day": datetime.now(UTC).date().isoformat(), "shifts": []})


def _availability(ctx, inside: bool):
    team = _seed_team(ctx, inside)

    def check(body):
        assert body["status"] == "busy" and body["status_version"] == 1
    return _call("PUT", f"{BASE}/teams/{team}/availability", check=check,
                 json={"status": "busy", "version": 0, "subject_type": "enforcement_case",
                       "subject_id": 1})


def _crew(ctx, inside: bool):
    """Who the team would send to a case of the same territory (派遣's form)."""
    from tests.enforcement.cases.auth_samples import _seed_case

    team = _seed_team(ctx, inside)
    case = _seed_case(ctx, inside)

    def check(body):
        assert (body["team_id"], body["least"]) == (team, 2) and "第四十二条" in body["citation"]
    return _call("GET", f"{BASE}/teams/{team}/crew", params={"case": case}, check=check)


# --- operations --------------------------------------------------------------------------

def _list_operations(ctx, inside: bool):
    ours, theirs = _seed_operation(ctx, True)["id"], _seed_operation(ctx, False)["id"]

    def check(body):
        ids = [item["id"] for item in body["items"]]
        assert ours in ids and theirs not in ids, (ours, theirs)
    return _call("GET", f"{BASE}/operations", params={"limit": 500}, check=check)


def _create_operation(ctx, inside: bool):
    """Inside: over the actor's area (201); outside: over the next area (422)."""
    area = _area(ctx, inside)
    start = datetime.now(UTC)

    def check(body):
        assert body["area_code"] == area and body["state"] == "planned"
    return _call("POST", f"{BASE}/operations", check=check, json={
        "title": "矩阵联合执法", "lead_department_code": "chengguan", "area_code": area,
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=1)).isoformat()})


def _get_operation(ctx, inside: bool):
    operation = _seed_operation(ctx, inside)["id"]
    return _call("GET", f"{BASE}/operations/{operation}",
                 check=lambda body: body["id"] == operation)


def _patch_operation(ctx, inside: bool):
    operation = _seed_operation(ctx, inside)

    def check(body):
        assert body["title"] == "矩阵改名" and body["version"] == operation["version"] + 1
    return _call("PATCH", f"{BASE}/operations/{operation['id']}", check=check,
                 json={"version": operation["version"], "title": "矩阵改名"})


def _delete_operation(ctx, inside: bool):
    operation = _seed_operation(ctx, inside)
    return _call("DELETE", f"{BASE}/operations/{operation['id']}",
                 params={"version": operation["version"]})


def _add_object(ctx, inside: bool):
    operation = _seed_operation(ctx, inside)["id"]
    return _call("POST", f"{BASE}/operations/{operation}/objects",
                 check=lambda body: body["name"] == "矩阵门店",
                 json={"name": "矩阵门店", "checks": [
                     {"department_code": "market", "check": "营业执照"}]})


def _visit(ctx, inside: bool):
    operation = _seed_operation(ctx, inside, objects=[{"name": "矩阵门店", "checks": [
        {"department_code": "chengguan", "check": "门前三包"},
        {"department_code": "market", "check": "营业执照"}]}])
    thing = operation["objects"][0]

    def check(body):
        assert body["visited_at"] and all(c["result"] for c in body["checks"])
    return _call("POST", f"{BASE}/operations/{operation['id']}/objects/{thing['id']}/visit",
                 check=check, json={"version": thing["version"], "results": [
                     {"department_code": c["department_code"], "check": c["check"],
                      "result": "compliant"} for c in thing["checks"]]})


# --- whistles ----------------------------------------------------------------------------

def _blow(ctx, inside: bool):
    """Inside: at the actor's point (201); outside: at the point outside (422)."""
    lon, lat = _point(ctx, inside)
    return _call("POST", f"{BASE}/whistles", check=lambda body: len(body["calls"]) == 1,
                 json={"matter": "矩阵吹哨", "departments": ["chengguan"], "lon": lon,
                       "lat": lat})


def _list_whistles(ctx, inside: bool):
    ours, theirs = _seed_whistle(ctx, True).id, _seed_whistle(ctx, False).id

    def check(body):
        ids = [item["id"] for item in body["items"]]
        assert ours in ids and theirs not in ids, (ours, theirs)
    return _call("GET", f"{BASE}/whistles", params={"limit": 500}, check=check)


def _limits(ctx, inside: bool):
    if not inside:
        return None  # one table for every scope
    return _call("GET", f"{BASE}/whistles/limits",
                 check=lambda body: any(row["department_code"] is None for row in body))


def _set_limit(ctx, inside: bool):
    if not inside:
        return None

    def check(body):
        assert (body["department_code"], body["respond_limit"]) == ("market", "20min")
    return _call("PUT", f"{BASE}/whistles/limits", check=check, json={
        "department_code": "market", "urgency": "normal", "respond_limit": "20min",
        "arrive_limit": "2h", "act_limit": "1d", "citation": "矩阵测试规则", "version": 0})


def _get_whistle(ctx, inside: bool):
    whistle = _seed_whistle(ctx, inside).id
    return _call("GET", f"{BASE}/whistles/{whistle}", check=lambda body: body["id"] == whistle)


def _answer(ctx, inside: bool):
    """响应 by a member of the called department's unit in the county (inside: the actor
    is made one); outside, another territory's call (404)."""
    if inside:
        unit = _seed_team(ctx, True)
        ctx.session.execute(text("INSERT INTO membership (user_id, unit_id, position) "
                                 "VALUES (:u, :t, 'handler')"),
                            {"u": ctx.actor.user_id, "t": unit})
        from core.users.accounts import account_changed

        account_changed(ctx.session, [ctx.actor.user_id])
    whistle = _seed_whistle(ctx, inside)
    call = ctx.session.scalar(text("SELECT id FROM enforcement_whistle_call "
                                   "WHERE whistle_id = :w"), {"w": whistle.id})

    def check(body):
        assert body["calls"][0]["state"] == "responded"
    return _call("POST", f"{BASE}/whistles/{whistle.id}/calls/{call}/actions/respond",
                 check=check, json={"version": 1})


def _kpis(ctx, inside: bool):
    ours, theirs = _seed_whistle(ctx, True), _seed_whistle(ctx, False)

    def check(body):
        keys = [row["key"] for row in body["whistles"]]
        assert ours.area_code[:9] in keys and theirs.area_code[:9] not in keys, keys
    return _call("GET", f"{BASE}/kpis", check=check,
                 params={"by": "area", "level": "township"})


AUTH_SAMPLES = {
    ("GET", f"{BASE}/teams"): ("FILTERED", _list_teams),
    ("GET", f"{BASE}/teams/nearest"): ("FILTERED", _nearest),
    ("GET", f"{BASE}/teams/{{team_id}}"): ("NOT_FOUND", _get_team),
    ("PUT", f"{BASE}/teams/{{team_id}}/qualifications"): ("NOT_FOUND", _qualifications),
    ("GET", f"{BASE}/teams/{{team_id}}/roster"): ("NOT_FOUND", _roster),
    ("PUT", f"{BASE}/teams/{{team_id}}/roster"): ("NOT_FOUND", _set_roster),
    ("PUT", f"{BASE}/teams/{{team_id}}/availability"): ("NOT_FOUND", _availability),
    ("GET", f"{BASE}/teams/{{team_id}}/crew"): ("NOT_FOUND", _crew),
    ("GET", f"{BASE}/operations"): ("FILTERED", _list_operations),
    ("POST", f"{BASE}/operations"): ("REFUSED", _create_operation),
    ("GET", f"{BASE}/operations/{{operation_id}}"): ("NOT_FOUND", _get_operation),
    ("PATCH", f"{BASE}/operations/{{operation_id}}"): ("NOT_FOUND", _patch_operation),
    ("DELETE", f"{BASE}/operations/{{operation_id}}"): ("NOT_FOUND", _delete_operation),
    ("POST", f"{BASE}/operations/{{operation_id}}/objects"): ("NOT_FOUND", _add_object),
    ("POST", f"{BASE}/operations/{{operation_id}}/objects/{{object_id}}/visit"): (
        "NOT_FOUND", _visit),
    ("POST", f"{BASE}/whistles"): ("REFUSED", _blow),
    ("GET", f"{BASE}/whistles"): ("FILTERED", _list_whistles),
    ("GET", f"{BASE}/whistles/limits"): ("NOT_TERRITORIAL", _limits),
    ("PUT", f"{BASE}/whistles/limits"): ("NOT_TERRITORIAL", _set_limit),
    ("GET", f"{BASE}/whistles/{{whistle_id}}"): ("NOT_FOUND", _get_whistle),
    ("POST", f"{BASE}/whistles/{{whistle_id}}/calls/{{call_id}}/actions/{{name}}"): (
        "NOT_FOUND", _answer),
    ("GET", f"{BASE}/kpis"): ("FILTERED", _kpis),
}

# The grants enforcement/teams/permissions.py adds, spelled out role by role (a change there
# is a deliberate change here).
_READ = {P.teams_read, P.operations_read, P.whistles_read}
AUTH_POLICY = {
    Role.village_staff: _READ,
    Role.township_staff: _READ | {P.operations_manage, P.whistles_blow, P.whistles_answer,
                                  P.kpi_read},
    Role.county_dispatcher: _READ | {P.teams_manage, P.operations_manage, P.whistles_blow,
                                     P.whistles_answer, P.kpi_read},
    Role.supervisor: _READ | {P.teams_manage, P.operations_manage, P.whistles_blow,
                              P.whistles_answer, P.kpi_read},
    Role.admin: _READ | {P.teams_manage, P.operations_manage, P.whistles_blow,
                         P.whistles_answer, P.kpi_read},
    Role.enforcement_officer: _READ | {P.operations_manage, P.whistles_answer, P.kpi_read},
    Role.market_inspector: _READ | {P.whistles_answer},
}
