"""The authorization matrix's sample requests for the 便民服务 staff routes
(convenience/services/router.py), in the shape of tests/api/samples_units.py:
`AUTH_SAMPLES[(method, path)] = (Outside member name, build(ctx, inside))`, merged into
`SAMPLES` by tests/api/test_authorization.py, and `AUTH_POLICY`, the grants the part adds
(convenience/services/permissions.py `GRANTS`).

What lies where: every case (application, bundle, rectification, enterprise form, 办不成事)
is owned at a service point seeded here, in the test's rolled-back session, seated at the
actor's inside area or at the nearest area outside. Cases are read by code prefix
(core/scope.py `column_condition`), not by a grid worker's own grids: a grid worker's
scope holds no service point and so no case (his builds return None inside), and his
"outside" is the next village, as for units (tests/api/samples_units.py). A proxy agent's
applications are the ones he was given (applications.py `visible`). The catalogue, the
settings, one point's card and the bundle types are one answer for every scope.
The residents' public routes and pages are in PUBLIC_PATHS (convenience/services/part.py).
"""

import base64
from datetime import UTC, date, datetime
from itertools import count
from typing import Any
from uuid import uuid4

from sqlalchemy import text

from core.users.enums import Role

_SERIAL = count(1)
BASE = "/api/v1/convenience"
# A refusal's day and its week (a fixed Wednesday: the week does not depend on today).
REFUSED_AT = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)
REFUSAL_WEEK = "2026-11-02"


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


# --- where ---------------------------------------------------------------------------------

def _grid_worker(ctx) -> bool:
    return ctx.actor.own_grids is not None


def _area(ctx, inside: bool) -> str:
    """The inside area (the scope area), or the nearest same-level area outside; for a grid
    worker, whose grids hold no service point, the next village."""
    from tests.api.test_authorization import _next_sibling

    actor = ctx.actor
    if inside:
        return actor.inside
    if actor.own_grids is None:
        return actor.outside
    return _next_sibling(ctx.session.connection(), actor.scope_code)


def _seed_point(ctx, area: str) -> int:
    """A service point (a unit of a service kind) seated at `area`."""
    unit = ctx.session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, seat_code) "
        "VALUES (:code, '矩阵便民服务点', 'service_centre', 'convenience', :area) RETURNING id"),
        {"code": f"matrix-svc-{next(_SERIAL)}", "area": area})
    ctx.session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                        {"u": unit, "a": area})
    return unit


def _sit_at(ctx, unit: int) -> None:
    """A desk for the actor in the unit (the 后台审批 guards want one)."""
    ctx.session.execute(text("INSERT INTO membership (user_id, unit_id, position) "
                             "VALUES (:user, :unit, 'receiver')"),
                        {"user": ctx.actor.user_id, "unit": unit})


def _is(ctx, role: Role) -> bool:
    return ctx.actor.role is role


# --- what ----------------------------------------------------------------------------------

def _item_data(**extra) -> dict:
    from tests.convenience.services.conftest import item_data

    # A township/village item: decided where it is taken (applications.py deciding_unit).
    return item_data(f"9{next(_SERIAL):06d}", "矩阵测试事项", levels=("township", "village"),
                     **extra)


def _seed_item(ctx):
    from convenience.services import catalogue

    item = catalogue.create_item(ctx.session, _item_data())
    ctx.session.flush()
    return item


def _seed_application(ctx, inside: bool, *, state: str = "accepted", unit: int | None = None):
    """An application taken and decided at a point of the area; the proxy agent's own (on
    his recorded consent) when he is the actor and it is inside."""
    from convenience.services.models import Application

    area = _area(ctx, inside)
    unit = unit or _seed_point(ctx, area)
    item = _seed_item(ctx)
    proxied = inside and _is(ctx, Role.proxy_agent)
    now = datetime.now(UTC)
    application = Application(
        number=f"MX{uuid4().hex[:18]}", state=state, version=1, owner_unit_id=unit,
        owner_code=area, item_id=item.id, channel="proxy" if proxied else "window",
        intake_unit_id=unit, department_code=item.department_code, applicant_name="矩阵",
        applicant_phone="13800138000", proxy_user_id=ctx.actor.user_id if proxied else None,
        consent_at=now if proxied else None, deferred=[], received_at=now)
    ctx.session.add(application)
    ctx.session.flush()
    return application


def _seed_rating(ctx, inside: bool, *, level: int = 5, appeal: str = "none"):
    from convenience.services.models import Rating

    application = _seed_application(ctx, inside)
    rating = Rating(application_id=application.id, unit_id=application.intake_unit_id,
                    item_id=application.item_id, stage="accept", level=level,
                    channel="device", comment="", at=datetime.now(UTC), appeal_state=appeal,
                    appeal_reason="误评" if appeal == "pending" else None, version=1)
    ctx.session.add(rating)
    ctx.session.flush()
    return rating


def _seed_rectification(ctx, inside: bool):
    from convenience.services.models import Rectification

    rating = _seed_rating(ctx, inside, level=1)
    row = Rectification(rating_id=rating.id, application_id=rating.application_id,
                        state="contact", version=1, owner_unit_id=rating.unit_id,
                        owner_code=_area(ctx, inside), opened_at=datetime.now(UTC))
    ctx.session.add(row)
    ctx.session.flush()
    return row


def _seed_enterprise(ctx, inside: bool, unit: int | None = None):
    from convenience.services.models import EnterpriseRequest

    area = _area(ctx, inside)
    row = EnterpriseRequest(number=f"MQ{uuid4().hex[:18]}", state="white", version=1,
                            owner_unit_id=unit or _seed_point(ctx, area), owner_code=area,
                            enterprise_name="矩阵企业", contact_phone="13800138000",
                            matter="开办帮办", opened_at=datetime.now(UTC))
    ctx.session.add(row)
    ctx.session.flush()
    return row


def _seed_stuck(ctx, inside: bool, unit: int | None = None):
    from convenience.services.models import StuckMatter

    area = _area(ctx, inside)
    row = StuckMatter(number=f"MB{uuid4().hex[:18]}", state="open", version=1,
                      owner_unit_id=unit or _seed_point(ctx, area), owner_code=area,
                      kind="general", applicant_name="矩阵", applicant_phone="13800138000",
                      matter="办不成", opened_at=datetime.now(UTC))
    ctx.session.add(row)
    ctx.session.flush()
    return row


def _seed_bundle_type(ctx) -> str:
    from convenience.services.models import BundleType

    code = f"matrix_{next(_SERIAL)}"
    ctx.session.add(BundleType(code=code, name="矩阵一件事", promised_days=5,
                               item_ids=[_seed_item(ctx).id, _seed_item(ctx).id]))
    ctx.session.flush()
    return code


def _seed_refusal(ctx, area: str, *, report: int | None = None) -> int:
    from convenience.services.models import Refusal

    application = _seed_application(ctx, True, unit=_seed_point(ctx, area))
    application.owner_code = area
    refusal = Refusal(application_id=application.id, kind="returned", reason="材料不全",
                      unit_id=application.owner_unit_id, at=REFUSED_AT, by="matrix",
                      report_id=report)
    ctx.session.add(refusal)
    ctx.session.flush()
    return refusal.id


def _county(ctx, inside: bool) -> str | None:
    """A refusal report's county: inside, the actor's own county when his scope is one
    (reports are per county: none lies inside a township's or a village's scope)."""
    from tests.api.test_authorization import _next_sibling

    if inside:
        return ctx.actor.scope_code if len(ctx.actor.scope_code) == 6 else None
    return _next_sibling(ctx.session.connection(), ctx.actor.scope_code[:6])


def _seed_report(ctx, county: str) -> int:
    from convenience.services.models import RefusalReport

    report = RefusalReport(county_code=county, week_start=date.fromisoformat(REFUSAL_WEEK),
                           count=1, created_at=datetime.now(UTC))
    ctx.session.add(report)
    ctx.session.flush()
    return report.id


# --- one answer for every scope ------------------------------------------------------------

def _everywhere(build_inside):
    """A route whose answer does not depend on the scope: asked inside only."""
    def build(ctx, inside: bool):
        return build_inside(ctx) if inside else None
    return build


def _search_items(ctx):
    item = _seed_item(ctx)

    def check(body):
        assert [row["id"] for row in body] == [item.id]
    return _call("GET", f"{BASE}/items", params={"q": item.impl_code}, check=check)


def _export_items(ctx):
    item = _seed_item(ctx)

    def check(body):
        assert item.impl_code in body
    return _call("GET", f"{BASE}/items/export", params={"format": "csv"}, check=check)


def _import_items(ctx):
    from convenience.services import catalogue
    from core.exports import csv_bytes

    item = _seed_item(ctx)
    departments = dict(ctx.session.execute(text("SELECT code, name FROM department")).all())
    rows = [row for row in catalogue.export_rows(ctx.session) if row["item"].id == item.id]
    raw = b"".join(csv_bytes(rows, catalogue.export_columns(departments)))

    def check(body):
        assert (body["total"], body["written"]) == (1, 1)
    return _call("POST", f"{BASE}/items/import", check=check,
                 json={"data": base64.b64encode(raw).decode()})


def _get_item(ctx):
    item = _seed_item(ctx)

    def check(body):
        assert body["id"] == item.id and body["version"] == 1
    return _call("GET", f"{BASE}/items/{item.id}", check=check)


def _create_item(ctx):
    data = _item_data()

    def check(body):
        assert body["impl_code"] == data["impl_code"]
    return _call("POST", f"{BASE}/items", json=data, check=check)


def _update_item(ctx):
    item = _seed_item(ctx)
    data = _item_data() | {"impl_code": item.impl_code, "item_code": item.item_code,
                           "name": "矩阵改名事项", "version": 1}

    def check(body):
        assert (body["name"], body["version"]) == ("矩阵改名事项", 2)
    return _call("PUT", f"{BASE}/items/{item.id}", json=data, check=check)


def _takes_reports(ctx):
    item = _seed_item(ctx)

    def check(body):
        assert (body["takes_reports"], body["version"]) == (True, 2)
    return _call("PUT", f"{BASE}/items/{item.id}/takes-reports", check=check,
                 json={"takes_reports": True, "version": 1})


def _get_point(ctx):
    unit = _seed_point(ctx, ctx.actor.inside)

    def check(body):
        assert body["unit_id"] == unit and body["level"] == "township"
    return _call("GET", f"{BASE}/points/{unit}", check=check)


def _bundle_types(ctx):
    code = _seed_bundle_type(ctx)

    def check(body):
        assert code in [kind["code"] for kind in body]
    return _call("GET", f"{BASE}/bundle-types", check=check)


def _create_bundle_type(ctx):
    items = [_seed_item(ctx).id, _seed_item(ctx).id]

    def check(body):
        assert (body["code"], body["item_ids"]) == ("matrix_new", items)
    return _call("POST", f"{BASE}/bundle-types", check=check, json={
        "code": "matrix_new", "name": "矩阵新一件事", "item_ids": items, "promised_days": 5})


def _settings(ctx):
    def check(body):
        assert all(row["citation"] for row in body) and body
    return _call("GET", f"{BASE}/settings", check=check)


def _put_setting(ctx):
    key, value, version = ctx.session.execute(text(
        "SELECT key, value, version FROM svc_setting ORDER BY key LIMIT 1")).one()

    def check(body):
        assert body["version"] == version + 1
    return _call("PUT", f"{BASE}/settings/{key}", json={"value": value, "version": version},
                 check=check)


# --- lists: nothing outside in the answer --------------------------------------------------

def _listed(url: str, seed, key: str, **params):
    """Ours (inside; none for a grid worker) in the answer, theirs (outside) not."""
    def build(ctx, inside: bool):
        ours = None if _grid_worker(ctx) else seed(ctx, True)
        theirs = seed(ctx, False)

        def check(body):
            ids = [row[key] for row in body]
            assert theirs not in ids, (theirs, "outside, in the answer")
            if ours is not None and len(ids) < params.get("limit", 50):
                assert ours in ids, (ours, "inside, not in the answer")
        return _call("GET", url, params=params, check=check)
    return build


def _point_id(ctx, inside: bool) -> int:
    return _seed_point(ctx, _area(ctx, inside))


def _application_id(ctx, inside: bool) -> int:
    return _seed_application(ctx, inside).id


def _agent_id(ctx, inside: bool) -> int:
    from convenience.services import desks

    user = ctx.actor.inside_user if inside else ctx.actor.outside_user
    return desks.register_agent(ctx.session, user_id=user, tier="village", name="矩阵代办员",
                                unit_id=_seed_point(ctx, _area(ctx, inside))).user_id


def _refusal_reports(ctx, inside: bool):
    """Reports of the scope's refusals only: an outside refusal stays unreported, and a
    caller below a county compiles none (convenience/services/desks.py)."""
    ours = None if _grid_worker(ctx) else _seed_refusal(ctx, _area(ctx, True))
    theirs = _seed_refusal(ctx, _area(ctx, False))

    def report_of(refusal: int):
        return ctx.session.scalar(text("SELECT report_id FROM svc_refusal WHERE id = :id"),
                                  {"id": refusal})

    def check(body):
        assert report_of(theirs) is None, "an outside refusal was reported"
        if len(ctx.actor.scope_code) > 6:  # a report is a whole county's: none from below
            assert body == [] and (ours is None or report_of(ours) is None)
        elif ours is not None:
            assert report_of(ours) in [report["id"] for report in body]
    return _call("POST", f"{BASE}/refusal-reports", json={"week": REFUSAL_WEEK}, check=check)


# --- KPIs: the caller's area or one inside it; an area outside is 404 ----------------------

def _kpis(url: str, *, json_rows: bool = False, **params):
    """Inside: the figures by service point hold the inside point, not the outside one."""
    def build(ctx, inside: bool):
        ours = None if _grid_worker(ctx) else _seed_application(ctx, True)
        theirs = _seed_application(ctx, False)

        def check(body):
            points = [row["key"] for row in body]
            assert str(theirs.intake_unit_id) not in points, "an outside point's figures"
            if ours is not None:
                assert str(ours.intake_unit_id) in points
        return _call("GET", url, params={"area": _area(ctx, inside), **params},
                     check=check if json_rows else None)
    return build


# --- one object: 404 outside ---------------------------------------------------------------

def _inside_only_for_cases(build):
    """No case lies inside a grid worker's scope (his grids hold no service point)."""
    def wrapped(ctx, inside: bool):
        if inside and _grid_worker(ctx):
            return None
        return build(ctx, inside)
    return wrapped


def _back_office(build):
    """The moves of rectifications, enterprise forms and 办不成事 are the back office's
    (workflows.py BACK_OFFICE): a proxy agent holds `convenience:act` for his applications
    only, so no such case is his to move inside (his outside call is still a 404)."""
    def wrapped(ctx, inside: bool):
        if inside and _is(ctx, Role.proxy_agent):
            return None
        return build(ctx, inside)
    return _inside_only_for_cases(wrapped)


def _put_point(ctx, inside: bool):
    unit = _seed_point(ctx, _area(ctx, inside))

    def check(body):
        assert body["address"] == "矩阵路1号"
    return _call("PUT", f"{BASE}/points/{unit}", check=check, json={
        "address": "矩阵路1号", "phone": "0731-1234567",
        "opening_hours": {"mon": ["08:30-12:00"]}})


def _put_windows(ctx, inside: bool):
    unit = _seed_point(ctx, _area(ctx, inside))

    def check(body):
        assert [window["number"] for window in body] == ["1"]
    return _call("PUT", f"{BASE}/points/{unit}/windows", check=check,
                 json={"windows": [{"number": "1", "name": "综合受理窗口"}]})


def _put_point_items(ctx, inside: bool):
    unit, item = _seed_point(ctx, _area(ctx, inside)), _seed_item(ctx)

    def check(body):
        assert body["items"] == 1
    return _call("PUT", f"{BASE}/points/{unit}/items", json={"item_ids": [item.id]},
                 check=check)


def _take_application(ctx, inside: bool):
    unit, item = _seed_point(ctx, _area(ctx, inside)), _seed_item(ctx)
    channel = {"channel": "proxy", "consent": True} if _is(ctx, Role.proxy_agent) \
        else {"channel": "window"}

    def check(body):
        assert (body["intake_unit_id"], body["state"]) == (unit, "accepted")
    return _call("POST", f"{BASE}/applications", check=check, json={
        "item_id": item.id, "intake_unit_id": unit, "applicant_name": "矩阵",
        "applicant_phone": "13800138000", **channel})


def _get_application(ctx, inside: bool):
    application = _seed_application(ctx, inside)

    def check(body):
        assert body["id"] == application.id and body["state_label"] == "已受理"
    return _call("GET", f"{BASE}/applications/{application.id}", check=check)


def _act_on_application(ctx, inside: bool):
    # 申请人撤回: a move of every clerk, the proxy agent on his own (consented) ones too.
    application = _seed_application(ctx, inside)

    def check(body):
        assert (body["state"], body["version"]) == ("withdrawn", 2)
    return _call("POST", f"{BASE}/applications/{application.id}/actions/withdraw",
                 json={"version": 1, "reason": "申请人撤回"}, check=check)


def _add_materials(ctx, inside: bool):
    from tests.factories import png_base64

    application = _seed_application(ctx, inside)

    def check(body):
        assert [row["content_type"] for row in body] == ["image/png"]
    return _call("POST", f"{BASE}/applications/{application.id}/materials", check=check,
                 json={"materials": [{"content_type": "image/png", "data": png_base64()}]})


def _open_bundle(ctx, inside: bool):
    code, unit = _seed_bundle_type(ctx), _seed_point(ctx, _area(ctx, inside))
    channel = {"channel": "proxy", "consent": True} if _is(ctx, Role.proxy_agent) \
        else {"channel": "window"}

    def check(body):
        assert body["state"] == "handling"
    return _call("POST", f"{BASE}/bundles", check=check, json={
        "bundle_type": code, "intake_unit_id": unit, "applicant_name": "矩阵",
        "applicant_phone": "13800138000", **channel})


def _get_bundle(ctx, inside: bool):
    from convenience.services.models import Bundle

    area = _area(ctx, inside)
    bundle = Bundle(number=f"MY{uuid4().hex[:18]}", bundle_type=_seed_bundle_type(ctx),
                    state="handling", version=1, owner_unit_id=_seed_point(ctx, area),
                    owner_code=area, applicant_name="矩阵", applicant_phone="13800138000",
                    opened_at=datetime.now(UTC))
    ctx.session.add(bundle)
    ctx.session.flush()

    def check(body):
        assert body["id"] == bundle.id
    return _call("GET", f"{BASE}/bundles/{bundle.id}", check=check)


def _rate(ctx, inside: bool):
    application = _seed_application(ctx, inside)

    def check(body):
        assert (body["application_id"], body["level"]) == (application.id, 5)
    return _call("POST", f"{BASE}/ratings", check=check, json={
        "number": application.number, "stage": "accept", "level": 5})


def _appeal(ctx, inside: bool):
    rating = _seed_rating(ctx, inside)

    def check(body):
        assert (body["appeal_state"], body["version"]) == ("pending", 2)
    return _call("POST", f"{BASE}/ratings/{rating.id}/appeal", check=check,
                 json={"reason": "误评", "version": 1})


def _decide_appeal(ctx, inside: bool):
    rating = _seed_rating(ctx, inside, appeal="pending")

    def check(body):
        assert body["appeal_state"] == "rejected"
    return _call("POST", f"{BASE}/ratings/{rating.id}/appeal/decision", check=check,
                 json={"upheld": False, "decision": "评价属实", "version": 1})


def _get_rectification(ctx, inside: bool):
    row = _seed_rectification(ctx, inside)

    def check(body):
        assert (body["id"], body["state"]) == (row.id, "contact")
    return _call("GET", f"{BASE}/rectifications/{row.id}", check=check)


def _act_on_rectification(ctx, inside: bool):
    row = _seed_rectification(ctx, inside)
    if inside:
        _sit_at(ctx, row.owner_unit_id)

    def check(body):
        assert (body["state"], body["version"]) == ("rectifying", 2)
    return _call("POST", f"{BASE}/rectifications/{row.id}/actions/contact", check=check,
                 json={"version": 1, "reason": "已电话联系"})


def _register_agent(ctx, inside: bool):
    unit = _seed_point(ctx, _area(ctx, inside))

    def check(body):
        assert (body["user_id"], body["unit_id"]) == (ctx.actor.inside_user, unit)
    return _call("POST", f"{BASE}/proxy-agents", check=check, json={
        "user_id": ctx.actor.inside_user, "unit_id": unit, "tier": "village",
        "name": "矩阵代办员"})


def _open_enterprise(ctx, inside: bool):
    unit = _seed_point(ctx, _area(ctx, inside))

    def check(body):
        assert body["state"] == "white"
    return _call("POST", f"{BASE}/enterprise-requests", check=check, json={
        "unit_id": unit, "enterprise_name": "矩阵企业", "contact_phone": "13800138000",
        "matter": "开办帮办"})


def _get_enterprise(ctx, inside: bool):
    row = _seed_enterprise(ctx, inside)

    def check(body):
        assert body["id"] == row.id
    return _call("GET", f"{BASE}/enterprise-requests/{row.id}", check=check)


def _act_on_enterprise(ctx, inside: bool):
    row = _seed_enterprise(ctx, inside)

    def check(body):
        assert (body["state"], body["department_code"]) == ("green", "market")
    return _call("POST", f"{BASE}/enterprise-requests/{row.id}/actions/assign", check=check,
                 json={"version": 1, "department_code": "market"})


def _open_stuck(ctx, inside: bool):
    unit = _seed_point(ctx, _area(ctx, inside))

    def check(body):
        assert (body["kind"], body["state"]) == ("general", "open")
    return _call("POST", f"{BASE}/stuck-matters", check=check, json={
        "unit_id": unit, "kind": "general", "applicant_name": "矩阵",
        "applicant_phone": "13800138000", "matter": "办不成"})


def _get_stuck(ctx, inside: bool):
    row = _seed_stuck(ctx, inside)

    def check(body):
        assert body["id"] == row.id
    return _call("GET", f"{BASE}/stuck-matters/{row.id}", check=check)


def _act_on_stuck(ctx, inside: bool):
    row = _seed_stuck(ctx, inside)

    def check(body):
        assert (body["state"], body["outcome"]) == ("closed", "已协调办结")
    return _call("POST", f"{BASE}/stuck-matters/{row.id}/actions/close", check=check,
                 json={"version": 1, "outcome": "已协调办结"})


def _get_report(ctx, inside: bool):
    county = _county(ctx, inside)
    if county is None:
        return None
    report = _seed_report(ctx, county)

    def check(body):
        assert (body["id"], body["county_code"]) == (report, county)
    return _call("GET", f"{BASE}/refusal-reports/{report}", check=check)


def _review_refusal(ctx, inside: bool):
    county = _county(ctx, inside)
    if county is None:
        return None
    refusal = _seed_refusal(ctx, county, report=_seed_report(ctx, county))

    def check(body):
        assert (body["id"], body["finding"], body["version"]) == (refusal, "justified", 2)
    return _call("POST", f"{BASE}/refusals/{refusal}/finding", check=check,
                 json={"finding": "justified", "note": "理由充分", "version": 1})


P = BASE
AUTH_SAMPLES = {
    # the catalogue, one point's card, bundle types, limits: one answer for every scope
    ("GET", f"{P}/items"): ("NOT_TERRITORIAL", _everywhere(_search_items)),
    ("GET", f"{P}/items/export"): ("NOT_TERRITORIAL", _everywhere(_export_items)),
    ("POST", f"{P}/items/import"): ("NOT_TERRITORIAL", _everywhere(_import_items)),
    ("GET", f"{P}/items/{{item_id}}"): ("NOT_TERRITORIAL", _everywhere(_get_item)),
    ("POST", f"{P}/items"): ("NOT_TERRITORIAL", _everywhere(_create_item)),
    ("PUT", f"{P}/items/{{item_id}}"): ("NOT_TERRITORIAL", _everywhere(_update_item)),
    ("PUT", f"{P}/items/{{item_id}}/takes-reports"): ("NOT_TERRITORIAL",
                                                      _everywhere(_takes_reports)),
    ("GET", f"{P}/points/{{unit_id}}"): ("NOT_TERRITORIAL", _everywhere(_get_point)),
    ("GET", f"{P}/bundle-types"): ("NOT_TERRITORIAL", _everywhere(_bundle_types)),
    ("POST", f"{P}/bundle-types"): ("NOT_TERRITORIAL", _everywhere(_create_bundle_type)),
    ("GET", f"{P}/settings"): ("NOT_TERRITORIAL", _everywhere(_settings)),
    ("PUT", f"{P}/settings/{{key}}"): ("NOT_TERRITORIAL", _everywhere(_put_setting)),
    # lists filtered to the caller's territory
    ("GET", f"{P}/points"): ("FILTERED", _listed(f"{P}/points", _point_id, "unit_id",
                                                 limit=500)),
    ("GET", f"{P}/applications"): ("FILTERED", _listed(f"{P}/applications", _application_id,
                                                       "id", limit=500)),
    ("GET", f"{P}/proxy-agents"): ("FILTERED", _listed(f"{P}/proxy-agents", _agent_id,
                                                       "user_id", limit=500)),
    ("POST", f"{P}/refusal-reports"): ("FILTERED", _refusal_reports),
    # KPIs: of the caller's area or one inside it (an outside area: 404)
    ("GET", f"{P}/kpis"): ("NOT_FOUND", _kpis(f"{P}/kpis", json_rows=True)),
    ("GET", f"{P}/kpis/export"): ("NOT_FOUND", _kpis(f"{P}/kpis/export")),
    ("GET", f"{P}/kpis/weekly-ranking"): ("NOT_FOUND", _kpis(f"{P}/kpis/weekly-ranking")),
    ("GET", f"{P}/kpis/monthly-bulletin"): ("NOT_FOUND", _kpis(
        f"{P}/kpis/monthly-bulletin", format="pdf")),
    # the old per-format paths: redirects (followed) to the routes above
    ("GET", f"{P}/kpis/weekly-ranking.{{format}}"): ("NOT_FOUND", _kpis(
        f"{P}/kpis/weekly-ranking.pdf")),
    ("GET", f"{P}/kpis/monthly-bulletin.{{format}}"): ("NOT_FOUND", _kpis(
        f"{P}/kpis/monthly-bulletin.xlsx")),
    # a point's data, written by an admin of its territory
    ("PUT", f"{P}/points/{{unit_id}}"): ("NOT_FOUND", _inside_only_for_cases(_put_point)),
    ("PUT", f"{P}/points/{{unit_id}}/windows"): ("NOT_FOUND",
                                                 _inside_only_for_cases(_put_windows)),
    ("PUT", f"{P}/points/{{unit_id}}/items"): ("NOT_FOUND",
                                               _inside_only_for_cases(_put_point_items)),
    ("POST", f"{P}/proxy-agents"): ("NOT_FOUND", _inside_only_for_cases(_register_agent)),
    # creates at a point: an outside point is 404
    ("POST", f"{P}/applications"): ("NOT_FOUND", _inside_only_for_cases(_take_application)),
    ("POST", f"{P}/bundles"): ("NOT_FOUND", _inside_only_for_cases(_open_bundle)),
    ("POST", f"{P}/enterprise-requests"): ("NOT_FOUND",
                                           _inside_only_for_cases(_open_enterprise)),
    ("POST", f"{P}/stuck-matters"): ("NOT_FOUND", _inside_only_for_cases(_open_stuck)),
    # one case: read and moved inside, 404 outside
    ("GET", f"{P}/applications/{{application_id}}"): ("NOT_FOUND",
                                                      _inside_only_for_cases(_get_application)),
    ("POST", f"{P}/applications/{{application_id}}/actions/{{name}}"): (
        "NOT_FOUND", _inside_only_for_cases(_act_on_application)),
    ("POST", f"{P}/applications/{{application_id}}/materials"): (
        "NOT_FOUND", _inside_only_for_cases(_add_materials)),
    ("GET", f"{P}/bundles/{{bundle_id}}"): ("NOT_FOUND", _inside_only_for_cases(_get_bundle)),
    ("POST", f"{P}/ratings"): ("NOT_FOUND", _inside_only_for_cases(_rate)),
    ("POST", f"{P}/ratings/{{rating_id}}/appeal"): ("NOT_FOUND",
                                                    _inside_only_for_cases(_appeal)),
    ("POST", f"{P}/ratings/{{rating_id}}/appeal/decision"): (
        "NOT_FOUND", _inside_only_for_cases(_decide_appeal)),
    ("GET", f"{P}/rectifications/{{rectification_id}}"): (
        "NOT_FOUND", _inside_only_for_cases(_get_rectification)),
    ("POST", f"{P}/rectifications/{{rectification_id}}/actions/{{name}}"): (
        "NOT_FOUND", _back_office(_act_on_rectification)),
    ("GET", f"{P}/enterprise-requests/{{request_id}}"): (
        "NOT_FOUND", _inside_only_for_cases(_get_enterprise)),
    ("POST", f"{P}/enterprise-requests/{{request_id}}/actions/{{name}}"): (
        "NOT_FOUND", _back_office(_act_on_enterprise)),
    ("GET", f"{P}/stuck-matters/{{matter_id}}"): ("NOT_FOUND",
                                                  _inside_only_for_cases(_get_stuck)),
    ("POST", f"{P}/stuck-matters/{{matter_id}}/actions/{{name}}"): (
        "NOT_FOUND", _back_office(_act_on_stuck)),
    ("GET", f"{P}/refusal-reports/{{report_id}}"): ("NOT_FOUND",
                                                    _inside_only_for_cases(_get_report)),
    ("POST", f"{P}/refusals/{{refusal_id}}/finding"): ("NOT_FOUND",
                                                      _inside_only_for_cases(_review_refusal)),
}


def _policy() -> dict[Role, set[str]]:
    """convenience/services/permissions.py GRANTS, restated."""
    read, act, manage = "convenience:read", "convenience:act", "convenience:manage"
    supervise, kpi = "convenience:supervise", "convenience:kpi"
    clerks = {Role.service_clerk, Role.proxy_agent, Role.village_staff, Role.township_staff,
              Role.county_dispatcher, Role.supervisor, Role.admin}
    supervisors = {Role.supervisor, Role.admin, Role.county_dispatcher}
    policy = {role: {read} for role in Role}
    for role in clerks:
        policy[role].add(act)
    policy[Role.admin].add(manage)
    for role in supervisors:
        policy[role].add(supervise)
    for role in supervisors | {Role.service_clerk, Role.township_staff}:
        policy[role].add(kpi)
    return policy


AUTH_POLICY = _policy()
