"""The authorization matrix's sample requests for the inspections part of 市场监管
(market_supervision/inspections/router.py), in the shape of tests/api/samples_units.py:
`AUTH_SAMPLES[(method, path)] = (Outside member name, build(ctx, inside))`, merged by
tests/api/test_authorization.py into its `SAMPLES`; `AUTH_POLICY`, the grants the part adds
(market_supervision/inspections/permissions.py `GRANTS`).

Each builder seeds, in the test's rolled-back session, a small market office at the actor's
inside area or at the nearest area outside (a unit, an item and its checklist line, an
entity in the area's first grid, a plan and task), and the inspection, draw or referral the
route needs. An inspection's scope is its entity's area (service.py `visible`), and also the
inspections one is drawn to inspect: the actor is never one of the inspectors here. The
public pages and the open data are in the part's PUBLIC_PATHS, not here.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from core.users.enums import Role
from market_supervision.inspections.permissions import InspectionPermission as Grant

_SERIAL = count(1)
BASE = "/api/v1/market/inspections"
REFERRALS = "/api/v1/market/referrals"


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


@dataclass(frozen=True)
class Office:
    """A market office seated at an area, with what an inspection of it needs."""

    area: str
    grid: str
    unit: int
    check: int
    item: int
    entity: int
    task: int
    industry: str


def _unit(ctx, area: str, *, kind: str, platform: str, department: str) -> int:
    unit = ctx.session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, department_code, seat_code) "
        "VALUES (:code, '矩阵单位', :kind, :platform, :department, :area) RETURNING id"),
        {"code": f"matrix-market-{next(_SERIAL)}", "kind": kind, "platform": platform,
         "department": department, "area": area})
    ctx.session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                        {"u": unit, "a": area})
    return unit


def _member(ctx, unit: int, position: str) -> None:
    ctx.session.execute(text("INSERT INTO membership (user_id, unit_id, position) "
                             "VALUES (:user, :unit, :position)"),
                        {"user": ctx.actor.user_id, "unit": unit, "position": position})


def _office(ctx, inside: bool) -> Office:
    """A market office at the inside area (or the nearest outside), with an entity in its
    first grid, one checklist line and a drawn task."""
    from market_supervision.register.codes import issue_code

    actor, serial = ctx.actor, next(_SERIAL)
    area = actor.inside if inside else actor.outside
    grid = actor.inside_grid if inside else actor.outside_grid
    lon, lat = actor.inside_point if inside else actor.outside_point
    session = ctx.session
    unit = _unit(ctx, area, kind="market_office", platform="market_supervision",
                 department="market")
    item = session.scalar(text(
        "INSERT INTO market_item (code, name, department_code, level, legal_basis) "
        "VALUES (:code, '矩阵检查事项', 'market', 'general', '食品安全法第三十三条') "
        "RETURNING id"), {"code": f"MATRIX-{serial}"})
    check = session.scalar(text(
        "INSERT INTO market_checklist_item (item_id, ordinal, text, weight) "
        "VALUES (:item, 1, '经营场所环境整洁', 'general') RETURNING id"), {"item": item})
    industry = f"X{serial:05d}"
    entity = session.scalar(text(
        "INSERT INTO market_entity (uscc, name, type, address, location, area_code, industry) "
        "VALUES (:uscc, '矩阵餐饮有限公司', 'company', '矩阵路1号', "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :grid, :industry) RETURNING id"),
        {"uscc": issue_code("company", "430200", 97_000_000 + serial), "lon": lon,
         "lat": lat, "grid": grid, "industry": industry})
    plan = session.scalar(text(
        "INSERT INTO market_plan (year, name, unit_id, area_code, state) "
        "VALUES (:year, '矩阵抽查计划', :unit, :area, 'published') RETURNING id"),
        {"year": date.today().year, "unit": unit, "area": area})
    task = session.scalar(text(
        "INSERT INTO market_task (plan_id, code, name, mode, area_code, ratio_scheme, "
        "starts_on, ends_on, state) VALUES (:plan, :code, '矩阵双随机抽查', 'undirected', "
        ":area, 'general', :starts, :ends, 'drawn') RETURNING id"),
        {"plan": plan, "code": f"MATRIX-TASK-{serial}", "area": area,
         "starts": date.today() - timedelta(days=30), "ends": date.today() + timedelta(days=60)})
    session.execute(text("INSERT INTO market_task_item (task_id, item_id) VALUES (:t, :i)"),
                    {"t": task, "i": item})
    session.execute(text("INSERT INTO market_task_unit (task_id, unit_id, role) "
                         "VALUES (:t, :u, 'implementing')"), {"t": task, "u": unit})
    return Office(area, grid, unit, check, item, entity, task, industry)


def _inspection(ctx, office: Office, *, state: str = "pending", outcome: str | None = None
                ) -> int:
    """An inspection of the office's entity, put in `state` directly: the matrix checks who
    may reach it, not the way there (tests/market_supervision/inspections test the flow)."""
    inspection = ctx.session.scalar(text(
        "INSERT INTO market_inspection (state, version, kind, task_id, entity_id, area_code, "
        "owner_unit_id, owner_code, owner_platform, outcome, failed_count, inspected_at, geom) "
        "SELECT :state, 1, 'routine', :task, e.id, e.area_code, :unit, :area, "
        "'market_supervision', :outcome, :failed, "
        "CASE WHEN :recorded THEN now() - interval '1 hour' END, e.location "
        "FROM market_entity e WHERE e.id = :entity RETURNING id"),
        {"state": state, "task": office.task, "entity": office.entity, "unit": office.unit,
         "area": office.area, "outcome": outcome, "failed": 1 if outcome == "ordered" else 0,
         "recorded": state != "pending"})
    ctx.session.execute(text(
        "INSERT INTO market_inspection_check (inspection_id, check_id, item_id, result) "
        "VALUES (:i, :c, :item, :result)"),
        {"i": inspection, "c": office.check, "item": office.item,
         "result": None if state == "pending" else ("fail" if outcome == "ordered" else "pass")})
    return inspection


def _seeded(ctx, inside: bool, **state) -> tuple[Office, int]:
    office = _office(ctx, inside)
    return office, _inspection(ctx, office, **state)


def _not_territorial(method: str, url: str, check=None, **kwargs):
    def build(ctx, inside: bool):
        return _call(method, url, check=check, **kwargs) if inside else None
    return build


# --- inspections ---------------------------------------------------------------------------

def _list(ctx, inside: bool):
    (_, ours), (_, theirs) = _seeded(ctx, True), _seeded(ctx, False)

    def check(body):
        ids = [item["id"] for item in body["items"]]
        assert ours in ids and theirs not in ids, (ours, theirs)
    return _call("GET", BASE, params={"limit": 500}, check=check)


def _open(ctx, inside: bool):
    """Opening a drawn draw's inspections: the draw inside the scope, or outside (404)."""
    office = _office(ctx, inside)
    draw = ctx.session.scalar(text(
        "INSERT INTO market_draw (task_id, area_code, unit_id, state, algorithm, risk_month, "
        "candidates_hash, public_candidates_hash, candidates_count, candidates, rules, "
        "seed_hash, secret_seed, seed) VALUES (:task, :area, :unit, 'drawn', 'matrix', "
        ":month, :zero, :zero, 1, '', '{}', :zero, :zero, :one) RETURNING id"),
        {"task": office.task, "area": office.area, "unit": office.unit,
         "month": date.today().replace(day=1), "zero": "0" * 64, "one": "1" * 64})
    ctx.session.execute(text(
        "INSERT INTO market_draw_target (draw_id, entity_id, ordinal, uscc, stratum, score) "
        "SELECT :draw, id, 0, uscc, 'C', :zero FROM market_entity WHERE id = :entity"),
        {"draw": draw, "entity": office.entity, "zero": "0" * 64})

    def check(body):
        assert len(body["opened"]) == 1 and body["existing"] == []
    return _call("POST", BASE, json={"draw_id": draw}, check=check)


def _workflow(ctx, inside: bool):
    def check(body):
        assert "approve" in str(body)
    return _not_territorial("GET", f"{BASE}/workflow", check=check)(ctx, inside)


def _failures(ctx, inside: bool):
    """A failure found (accepted, 责令改正) inside and one outside, each of its own industry."""
    ours, _ = _seeded(ctx, True, state="approved", outcome="ordered")
    theirs, _ = _seeded(ctx, False, state="approved", outcome="ordered")

    def check(body):
        industries = {row["industry"] for row in body["by_industry"]}
        assert ours.industry in industries and theirs.industry not in industries
    return _call("GET", f"{BASE}/failures", check=check)


def _get(ctx, inside: bool):
    _, inspection = _seeded(ctx, inside)

    def check(body):
        assert body["id"] == inspection and body["state"] == "pending"
        assert [line["result"] for line in body["checks"]] == [None]
    return _call("GET", f"{BASE}/{inspection}", check=check)


def _act(ctx, inside: bool):
    """审核通过 by the 审核人 of the unit holding the inspection (a market inspector or a
    supervisor may hold that desk): inside, the actor's unit's submitted inspection;
    outside, another territory's, in a unit he is not in."""
    office, inspection = _seeded(ctx, inside, state="submitted", outcome="no_problem")
    if inside:
        _member(ctx, office.unit, "reviewer")

    def check(body):
        assert (body["id"], body["state"]) == (inspection, "approved")
    return _call("POST", f"{BASE}/{inspection}/actions/approve", json={"version": 1},
                 check=check)


def _photo(ctx, inside: bool):
    from core.attachments import service as attachments
    from core.workflow.clocks import Subject
    from tests.factories import png_base64

    _, inspection = _seeded(ctx, inside, state="recorded", outcome="no_problem")
    photo = attachments.attach(
        ctx.session, Subject("market_inspection", inspection),
        [SimpleNamespace(content_type="image/png", data=png_base64((next(_SERIAL) % 255, 9, 9)))],
        kind="evidence", uploaded_by=ctx.actor.user_id, settings=ctx.settings,
        accept=attachments.PHOTOS, noun="photo")[0]
    return _call("GET", f"{BASE}/{inspection}/photos/{photo.id}")


# --- referrals to 综合执法 -----------------------------------------------------------------

def _referral(ctx, inside: bool) -> tuple[int, int]:
    """A finding referred to an enforcement team: inside, a team at the actor's area where
    he holds a desk; outside, another territory's team (a referral handed to one of his
    units is his to see wherever it lies: not the case here)."""
    office, inspection = _seeded(ctx, inside, state="approved", outcome="ordered")
    team = _unit(ctx, office.area, kind="enforcement_team", platform="enforcement",
                 department="chengguan")
    if inside:
        _member(ctx, team, "receiver")
    session = ctx.session
    referral = session.scalar(text(
        "INSERT INTO market_referral (state, version, inspection_id, entity_id, area_code, "
        "owner_unit_id, owner_code, owner_platform, geom, reason, check_ids, created_by) "
        "SELECT 'referred', 1, i.id, i.entity_id, i.area_code, :team, :area, 'enforcement', "
        "i.geom, '矩阵移送', ARRAY[:check]::bigint[], :by FROM market_inspection i "
        "WHERE i.id = :inspection RETURNING id"),
        {"team": team, "area": office.area, "check": office.check, "inspection": inspection,
         "by": ctx.actor.inside_user})
    handoff = session.scalar(text("""
        INSERT INTO handoff (subject_type, subject_id, kind, from_unit_id, from_code,
                             from_platform, to_unit_id, to_code, to_platform, reason, status,
                             created_by, due_at)
        VALUES ('market_referral', :referral, 'refer', :office, :area, 'market_supervision',
                :team, :area, 'enforcement', '矩阵移送', 'pending', 'matrix',
                now() + interval '1 day')
        RETURNING id"""), {"referral": referral, "office": office.unit, "team": team,
                           "area": office.area})
    return referral, handoff


def _get_referral(ctx, inside: bool):
    referral, handoff = _referral(ctx, inside)

    def check(body):
        assert body["id"] == referral and [h["id"] for h in body["handoffs"]] == [handoff]
    return _call("GET", f"{REFERRALS}/{referral}", check=check)


def _sign(ctx, inside: bool):
    referral, handoff = _referral(ctx, inside)

    def check(body):
        assert (body["id"], body["state"]) == (referral, "accepted")
    return _call("POST", f"{REFERRALS}/{referral}/handoffs/{handoff}/sign", check=check)


def _return(ctx, inside: bool):
    referral, handoff = _referral(ctx, inside)

    def check(body):
        assert (body["id"], body["state"]) == (referral, "returned")
    return _call("POST", f"{REFERRALS}/{referral}/handoffs/{handoff}/return",
                 json={"reason": "不属于本队管辖"}, check=check)


# --- rules and KPIs ----------------------------------------------------------------------

def _rules(ctx, inside: bool):
    def check(body):
        assert {"publish", "withdraw", "min_inspectors"} <= {rule["name"] for rule in body}
    return _not_territorial("GET", "/api/v1/market/inspection-rules", check=check)(ctx, inside)


def _put_rule(ctx, inside: bool):
    def check(body):
        assert (body["name"], body["value"]) == ("publish", "15d")
    return _not_territorial("PUT", "/api/v1/market/inspection-rules/publish",
                            json={"value": "15d"}, check=check)(ctx, inside)


def _kpis(ctx, inside: bool):
    ours, _ = _seeded(ctx, True, state="submitted", outcome="no_problem")
    theirs, _ = _seeded(ctx, False, state="submitted", outcome="no_problem")

    def check(body):
        keys = {row["key"] for row in body["rows"]}
        assert str(ours.unit) in keys and str(theirs.unit) not in keys
    return _call("GET", "/api/v1/market/kpis", params={"group": "unit"}, check=check)


AUTH_SAMPLES = {
    ("GET", BASE): ("FILTERED", _list),
    ("POST", BASE): ("NOT_FOUND", _open),
    ("GET", f"{BASE}/workflow"): ("NOT_TERRITORIAL", _workflow),
    ("GET", f"{BASE}/failures"): ("FILTERED", _failures),
    ("GET", f"{BASE}/{{inspection_id}}"): ("NOT_FOUND", _get),
    ("POST", f"{BASE}/{{inspection_id}}/actions/{{name}}"): ("NOT_FOUND", _act),
    ("GET", f"{BASE}/{{inspection_id}}/photos/{{photo_id}}"): ("NOT_FOUND", _photo),
    ("GET", f"{REFERRALS}/{{referral_id}}"): ("NOT_FOUND", _get_referral),
    ("POST", f"{REFERRALS}/{{referral_id}}/handoffs/{{handoff_id}}/sign"): ("NOT_FOUND", _sign),
    ("POST", f"{REFERRALS}/{{referral_id}}/handoffs/{{handoff_id}}/return"): ("NOT_FOUND",
                                                                              _return),
    ("GET", "/api/v1/market/inspection-rules"): ("NOT_TERRITORIAL", _rules),
    ("PUT", "/api/v1/market/inspection-rules/{name}"): ("NOT_TERRITORIAL", _put_rule),
    ("GET", "/api/v1/market/kpis"): ("FILTERED", _kpis),
}

# The grants the inspections part adds (permissions.py GRANTS; the referrals' routes use the
# core's hand_offs_receive, which is not the part's).
_READ = {Grant.read, Grant.kpi_read}
AUTH_POLICY = {
    Role.market_inspector: _READ | {Grant.act, Grant.open},
    Role.supervisor: _READ | {Grant.act},
    Role.admin: _READ | {Grant.open, Grant.rules_manage},
    Role.county_dispatcher: set(_READ),
    Role.township_staff: set(_READ),
}
