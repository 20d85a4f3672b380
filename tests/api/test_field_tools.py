"""The field app's tools follow the user (api/field_tools.py): `GET /api/v1/field/tools`
lists what the caller's role and memberships grant — a grid worker his report, tasks and
patrol; an enforcement officer his cases, 当场处罚 and team with his 执法证; a market
inspector his inspections; a proxy agent his 帮代办; a clerk nothing yet — and the service worker
precaches every tool's module and everything it imports.
"""

import types
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from api.field_tools import granted, tools_for
from core.platforms import FieldTool, compose
from core.security import MembershipGrant, Principal
from core.units.models import Membership, Unit
from core.users.enums import Role
from core.users.models import User
from tests.api.pages_support import module_graph
from tests.conftest import bearer

GRID = ["grid.report", "grid.tasks", "grid.patrol"]
OFFICER = ["enforcement.cases", "enforcement.spot", "enforcement.team"]
INSPECTOR = ["market.inspections"]


def _demo(session, name: str) -> User:
    return session.query(User).filter_by(username=name).one()


def _tools_of(anonymous, settings, user: User) -> dict:
    response = anonymous.get("/api/v1/field/tools", headers=bearer(
        settings, role=str(user.role), scope_code=user.scope_code, user_id=user.id,
        username=user.username))
    assert response.status_code == 200, response.text
    return response.json()


def _keys(answer: dict) -> list[str]:
    return [tool["key"] for tool in answer["tools"]]


def test_each_demo_role_gets_its_own_tools(anonymous, settings, session, demo_city):
    expected = {"grid_worker": GRID, "village_staff": GRID[:2], "township_staff": GRID[:2],
                "enforcement_officer": OFFICER, "market_inspector": INSPECTOR,
                "service_clerk": [], "proxy_agent": ["convenience.proxy"]}
    for suffix, keys in expected.items():
        answer = _tools_of(anonymous, settings, _demo(session, f"demo_{suffix}"))
        assert (_keys(answer), answer["role"]) == (keys, suffix)


def test_an_officer_is_not_given_the_report_form_but_his_credential(anonymous, settings,
                                                                    session, demo_city):
    officer = _demo(session, "demo_enforcement_officer")
    answer = _tools_of(anonymous, settings, officer)
    assert "grid.report" not in _keys(answer)
    spot = next(tool for tool in answer["tools"] if tool["key"] == "enforcement.spot")
    assert (spot["label"], spot["platform"], spot["module"]) == (
        "当场处罚", "enforcement", "/static/enforcement/field/spot.js")
    [membership] = [m for m in answer["memberships"] if m["platform"] == "enforcement"]
    stored = session.scalar(text("SELECT credential_number FROM membership WHERE user_id = :u"
                                 " AND is_active"), {"u": officer.id})
    credential = membership["credential"]
    assert credential["number"] == stored and credential["issuer"].endswith("人民政府")
    assert credential["valid"] is True
    assert date.fromisoformat(credential["expires_on"]) > date.today()
    assert membership["position_label"] == "承办人"


def _unit(session, *, platform: str, kind: str) -> Unit:
    county = session.scalar(text("SELECT code FROM area WHERE level = 'county' ORDER BY code "
                                 "LIMIT 1"))
    unit = Unit(code=f"field-tools-{platform}-{kind}", name=f"外勤测试{kind}", kind=kind,
                platform=platform, seat_code=county)
    session.add(unit)
    session.flush()
    return unit


def _user(session, role: Role) -> User:
    county = session.scalar(text("SELECT code FROM area WHERE level = 'county' ORDER BY code "
                                 "LIMIT 1"))
    user = User(username=f"field-tools-{role}", password_hash="!", role=role,
                scope_code=county)
    session.add(user)
    session.flush()
    return user


def test_a_membership_grants_a_platforms_tools_to_a_role_that_may_use_them(
        anonymous, settings, session, demo_city):
    dispatcher = _user(session, Role.county_dispatcher)
    assert _keys(_tools_of(anonymous, settings, dispatcher)) == GRID[:2]
    # A 承办人 of a grid unit is no enforcement officer …
    centre = _unit(session, platform="grid", kind="department")
    session.add(Membership(user_id=dispatcher.id, unit_id=centre.id, position="handler"))
    session.flush()
    assert _keys(_tools_of(anonymous, settings, dispatcher)) == GRID[:2]
    # … a 承办人 of an enforcement brigade is, with an expired 执法证 shown as such.
    brigade = _unit(session, platform="enforcement", kind="brigade")
    membership = Membership(user_id=dispatcher.id, unit_id=brigade.id, position="handler",
                            credential_number="ZF-FIELD-1", credential_issuer="测试人民政府",
                            credential_expires_on=date.today() - timedelta(days=1))
    session.add(membership)
    session.flush()
    answer = _tools_of(anonymous, settings, dispatcher)
    assert _keys(answer) == GRID[:2] + OFFICER
    [held] = [m for m in answer["memberships"] if m["unit_id"] == brigade.id]
    assert held["credential"] == {"number": "ZF-FIELD-1", "issuer": "测试人民政府",
                                  "expires_on": str(date.today() - timedelta(days=1)),
                                  "valid": False}
    # Ended: the tools go with it.
    membership.is_active = False
    session.flush()
    assert _keys(_tools_of(anonymous, settings, dispatcher)) == GRID[:2]


def test_a_position_without_the_roles_permissions_grants_nothing(anonymous, settings,
                                                                 session, demo_city):
    clerk = _user(session, Role.service_clerk)
    brigade = _unit(session, platform="enforcement", kind="brigade")
    session.add(Membership(user_id=clerk.id, unit_id=brigade.id, position="handler"))
    session.flush()
    assert _keys(_tools_of(anonymous, settings, clerk)) == []


def test_tools_need_a_login(anonymous):
    response = anonymous.get("/api/v1/field/tools")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


# --- the phone's position ----------------------------------------------------------------

def _fix(anonymous, settings, user: User, **body):
    return anonymous.post("/api/v1/field/position", json=body, headers=bearer(
        settings, role=str(user.role), scope_code=user.scope_code, user_id=user.id,
        username=user.username))


def test_the_phone_keeps_its_users_newest_position(anonymous, settings, session, demo_city):
    officer = _demo(session, "demo_enforcement_officer")
    now = datetime.now(UTC)
    newer = _fix(anonymous, settings, officer, lon=113.15, lat=27.83, accuracy_m=6,
                 recorded_at=now.isoformat())
    assert newer.status_code == 204, newer.text
    older = _fix(anonymous, settings, officer, lon=113.5, lat=27.5,
                 recorded_at=(now - timedelta(minutes=10)).isoformat())
    assert older.status_code == 204
    row = session.execute(text(
        "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, accuracy_m, source_type "
        "FROM staff_position WHERE user_id = :u"), {"u": officer.id}).one()
    assert (row.lon, row.lat, row.accuracy_m, row.source_type) == (113.15, 27.83, 6, "field")


def test_a_bad_fix_is_refused(anonymous, settings, session, demo_city):
    officer = _demo(session, "demo_enforcement_officer")
    now = datetime.now(UTC)
    cases = [({"lon": 200, "lat": 27.8, "recorded_at": now.isoformat()}, None),
             ({"lon": 113.1, "lat": 27.8, "recorded_at": "2026-01-01T08:00:00"},
              "recorded_at_naive"),
             ({"lon": 113.1, "lat": 27.8,
               "recorded_at": (now + timedelta(hours=2)).isoformat()}, "recorded_at_future")]
    for body, code in cases:
        response = _fix(anonymous, settings, officer, **body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        if code:
            assert response.json()["code"] == code
    assert anonymous.post("/api/v1/field/position", json=cases[0][0]).status_code == 401


# --- the declaration ---------------------------------------------------------------------

def test_parts_declare_tools_and_the_platform_gathers_them(monkeypatch):
    one = FieldTool(key="x.one", label="一", module="x/field/one.js", roles=frozenset({"admin"}),
                    order=2)
    two = FieldTool(key="x.two", label="二", module="x/field/two.js",
                    positions=frozenset({"inspector"}), order=1)
    for name, tools in (("fieldtest_part_a", (one,)), ("fieldtest_part_b", (two,))):
        monkeypatch.setitem(__import__("sys").modules, name,
                            types.SimpleNamespace(FIELD_TOOLS=tools))
    platform = compose("x", "测试", ("fieldtest_part_a", "fieldtest_part_b"))
    assert platform.field_tools == (one, two)
    admin = Principal(1, "a", Role.admin, "430200")
    inspector = Principal(2, "i", Role.market_inspector, "430200", memberships=(
        MembershipGrant(7, "inspector", "x", None, ()),))
    elsewhere = Principal(3, "e", Role.market_inspector, "430200", memberships=(
        MembershipGrant(8, "inspector", "market_supervision", None, ()),))
    assert [t["key"] for t in tools_for(admin, [platform])] == ["x.one"]
    assert [t["key"] for t in tools_for(inspector, [platform])] == ["x.two"]
    assert tools_for(elsewhere, [platform]) == []
    needs = FieldTool(key="x.three", label="三", module="x/three.js",
                      roles=frozenset({"admin"}), permissions=("no-such:permission",))
    assert not granted(needs, "x", admin)


# --- the service worker ------------------------------------------------------------------

def test_the_service_worker_precaches_every_tool_and_what_it_imports(anonymous):
    import json
    import re

    from core import platforms

    worker = anonymous.get("/field/sw.js").text
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker).group(1))
    assert len(shell) == len(set(shell)), "Cache.addAll refuses a request twice"
    modules = [f"/static/{tool.module}" for platform in platforms.installed()
               for tool in platform.field_tools]
    assert {"/static/enforcement/field/spot.js", "/static/enforcement/field/cases.js",
            "/static/market_supervision/field/inspections.js"} <= set(modules)
    graph = module_graph(anonymous, ["/static/field/field.js", *modules])
    missing = set(graph) - set(shell)
    assert not missing, f"imported but not precached: {sorted(missing)}"
    for url in shell:
        assert anonymous.get(url).status_code == 200, url
