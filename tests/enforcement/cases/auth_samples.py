"""The authorization matrix's sample requests for the enforcement cases' routes
(enforcement/cases/router.py), in the shape of tests/api/samples_units.py:
`AUTH_SAMPLES[(method, path)] = (Outside member name, build(ctx, inside))`, merged by
tests/api/test_authorization.py into its `SAMPLES`; and `AUTH_POLICY`, the grants this
part adds to each role (enforcement/cases/permissions.py `GRANTS`).

Cases are opened through the service (enforcement/cases/service.py `open_case`, clocks and
timeline included) in the test's rolled-back session, by a seeding principal who holds a
position in a 综合行政执法队 seated at the actor's inside area (a grid worker: his grid) or
at the nearest area outside. The actor is never made a member of the outside unit: a
membership widens the scope (core/scope.py), and the outside case would be inside.
The catalogue (执法事项) and the rules are one for every scope: NOT_TERRITORIAL.
"""

import base64
from datetime import date, timedelta
from itertools import count
from typing import Any

from sqlalchemy import text

from core.users.enums import Role
from enforcement.cases.permissions import CasePermission

_SERIAL = count(1)
BASE = "/api/v1/enforcement"
CITIZEN_ID = "11010519491231002X"  # GB 11643's own example


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


def _area(ctx, inside: bool) -> str:
    """Where the unit sits: the actor's inside area (a grid worker's grid) or the nearest
    area of the same level outside."""
    return ctx.actor.inside if inside else ctx.actor.outside


def _grid(ctx, inside: bool) -> str:
    return ctx.actor.inside_grid if inside else ctx.actor.outside_grid


def _seed_unit(ctx, inside: bool) -> int:
    area = _area(ctx, inside)
    unit = ctx.session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, department_code, seat_code, is_active) "
        "VALUES (:code, '矩阵综合行政执法队', 'enforcement_team', 'enforcement', 'chengguan', "
        ":area, true) RETURNING id"),
        {"code": f"matrix-enf-{'in' if inside else 'out'}-{next(_SERIAL)}", "area": area})
    ctx.session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                        {"u": unit, "a": area})
    return unit


def _join(ctx, user_id: int, unit: int, position: str) -> None:
    """A position in the unit with a valid 执法证 (行政处罚法第四十二条)."""
    ctx.session.execute(text(
        "INSERT INTO membership (user_id, unit_id, position, credential_number, "
        "credential_expires_on, is_active) VALUES (:user, :unit, :position, :number, "
        ":expires, true)"),
        {"user": user_id, "unit": unit, "position": position,
         "number": f"ZF-MATRIX-{user_id}-{unit}", "expires": date.today() + timedelta(3650)})


def _seed_case(ctx, inside: bool, *, unit: int | None = None) -> int:
    """A 线索 (state clue, the 核查 clock running) at the inside or outside grid, opened by
    a seeding principal who is a member of the unit (not the actor)."""
    from core.security import MembershipGrant, Principal
    from enforcement.cases import service
    from enforcement.cases.schemas import CaseIn

    unit = unit or _seed_unit(ctx, inside)
    area = _area(ctx, inside)
    seeder = Principal(ctx.actor.inside_user if inside else ctx.actor.outside_user,
                       "matrix-seeder", Role.enforcement_officer, area,
                       (MembershipGrant(unit, "dispatcher", "enforcement", "chengguan",
                                        (area,)),))
    data = CaseIn(procedure="ordinary", unit_id=unit, source="patrol", title="矩阵占道经营",
                  facts="人行道摆摊", area_code=_grid(ctx, inside),
                  parties=[{"kind": "citizen", "name": "张三", "id_number": CITIZEN_ID}])
    case, _ = service.open_case(ctx.session, principal=seeder, data=data,
                                settings=ctx.settings)
    return case.id


# --- cases -----------------------------------------------------------------------------

def _open_case(ctx, inside: bool):
    """线索登记 in a unit where the actor holds a position: inside, at a grid the unit
    covers; outside, naming the grid outside (422 `area_outside_unit`)."""
    unit = _seed_unit(ctx, True)
    _join(ctx, ctx.actor.user_id, unit, "dispatcher")
    grid = _grid(ctx, inside)

    def check(body):
        assert (body["state"], body["area_code"], body["owner_unit_id"]) == ("clue", grid, unit)
    return _call("POST", f"{BASE}/cases", check=check, json={
        "unit_id": unit, "title": "矩阵线索", "facts": "人行道摆摊", "area_code": grid,
        "parties": [{"kind": "citizen", "name": "张三", "id_number": CITIZEN_ID}]})


def _list_cases(ctx, inside: bool):
    ours, theirs = _seed_case(ctx, True), _seed_case(ctx, False)

    def check(body):
        ids = [item["id"] for item in body["items"]]
        assert ours in ids and theirs not in ids, (ours, theirs)
        outside = [item["area_code"] for item in body["items"]
                   if not ctx.actor.covers(item["area_code"])]
        assert not outside, f"out-of-scope cases in the answer: {outside[:5]}"
    return _call("GET", f"{BASE}/cases", params={"limit": 500, "state": "clue"}, check=check)


def _get_case(ctx, inside: bool):
    case = _seed_case(ctx, inside)

    def check(body):
        assert body["id"] == case and body["state"] == "clue" and body["clocks"]
    return _call("GET", f"{BASE}/cases/{case}", check=check)


def _act(ctx, inside: bool):
    """指派执法人员 (assign_officers: the desk roles, by the unit's 派遣员): inside, the actor
    is the dispatcher of the case's unit and names two of its credentialed officers;
    outside, another territory's case (he holds no position in its unit)."""
    unit = _seed_unit(ctx, inside)
    officers = [ctx.actor.inside_user, ctx.actor.outside_user]
    for officer in officers:
        _join(ctx, officer, unit, "handler")
    if inside:
        _join(ctx, ctx.actor.user_id, unit, "dispatcher")
    case = _seed_case(ctx, inside, unit=unit)

    def check(body):
        assert (body["id"], body["state"], body["version"]) == (case, "clue", 2)
    return _call("POST", f"{BASE}/cases/{case}/actions/assign_officers", check=check,
                 json={"version": 1, "officer_ids": officers})


def _add_evidence(ctx, inside: bool):
    """A 询问笔录 (text evidence) by a member of the case's unit."""
    unit = _seed_unit(ctx, inside)
    if inside:
        _join(ctx, ctx.actor.user_id, unit, "handler")
    case = _seed_case(ctx, inside, unit=unit)

    def check(body):
        assert (body["kind"], body["title"]) == ("statement", "询问笔录")
    return _call("POST", f"{BASE}/cases/{case}/evidence", check=check, json={
        "kind": "statement", "title": "询问笔录", "content": "当事人承认在人行道摆摊"})


def _issue_document(ctx, inside: bool):
    """A 询问通知书 issued on demand (writings.py) by a 承办人 of the case's unit."""
    unit = _seed_unit(ctx, inside)
    if inside:
        _join(ctx, ctx.actor.user_id, unit, "handler")
    case = _seed_case(ctx, inside, unit=unit)

    def check(body):
        assert (body["kind"], body["title"]) == ("enf_inquiry_notice", "询问通知书")
    return _call("POST", f"{BASE}/cases/{case}/documents", check=check, json={
        "version": 1, "kind": "enf_inquiry_notice",
        "fields": {"inquiry_at": "2026-12-10 09:00", "place": "矩阵综合行政执法队"}})


def _site_record(ctx, inside: bool):
    """A 现场笔录 signed on the phone (records.py), by a member of the case's unit."""
    from tests.factories import png_base64

    unit = _seed_unit(ctx, inside)
    if inside:
        _join(ctx, ctx.actor.user_id, unit, "handler")
    case = _seed_case(ctx, inside, unit=unit)
    signature = "data:image/png;base64," + png_base64((3, 3, 3))

    def check(body):
        assert body["evidence"]["kind"] == "inspection_record"
    return _call("POST", f"{BASE}/cases/{case}/records", check=check,
                 headers={"Idempotency-Key": f"matrix-{next(_SERIAL)}"}, json={
                     "record": "当事人在人行道摆摊", "recorded_at": "2026-12-01T10:00:00+08:00",
                     "place": "人民路", "party_signature": signature,
                     "officer_signature": signature})


def _evidence_file(ctx, inside: bool):
    """A photo recorded as evidence of a case (the console opens it through this route)."""
    from types import SimpleNamespace

    from core.security import Principal
    from enforcement.cases import evidence
    from enforcement.cases.models import Case
    from enforcement.cases.schemas import EvidenceIn
    from tests.factories import png_base64

    case = ctx.session.get(Case, _seed_case(ctx, inside))
    recorder = Principal(ctx.actor.user_id, "matrix-recorder", Role.enforcement_officer,
                         case.area_code, ())
    data = EvidenceIn.model_construct(kind="audiovisual", title="现场照片", content="",
                                      file=SimpleNamespace(content_type="image/png",
                                                           data=png_base64(
                                                               (next(_SERIAL) % 255, 7, 7))))
    row = evidence.record(ctx.session, case, data, principal=recorder, settings=ctx.settings)
    return _call("GET", f"{BASE}/cases/{case.id}/evidence/{row.id}/file")


def _declare_conflict(ctx, inside: bool):
    if not inside:
        return None  # the caller's own declaration: there is no one else's to make

    def check(body):
        assert body["user_id"] == ctx.actor.user_id
    return _call("POST", f"{BASE}/conflicts", json={"party_key": CITIZEN_ID,
                                                    "reason": "矩阵：亲属"}, check=check)


def _workflow(ctx, inside: bool):
    if not inside:
        return None  # the procedure is the same for every scope

    def check(body):
        assert "assign_officers" in str(body)
    return _call("GET", f"{BASE}/workflow", check=check)


def _seed_decided(ctx, inside: bool) -> int:
    """A case decided three days ago (a fine of 500 元) in a unit where the actor, inside,
    is a 承办人."""
    unit = _seed_unit(ctx, inside)
    if inside:
        _join(ctx, ctx.actor.user_id, unit, "handler")
    case = _seed_case(ctx, inside, unit=unit)
    ctx.session.execute(text(
        "UPDATE enforcement_case SET state = 'served', outcome = 'penalty', "
        "penalty_types = '{fine}', fine_fen = 50000, decided_at = now() - interval '3 days', "
        "served_at = now() - interval '2 days' WHERE id = :id"), {"id": case})
    return case


def _yesterday() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)).isoformat()


def _file_appeal(ctx, inside: bool):
    """行政复议 against the decision, recorded by a member of the case's unit."""
    case = _seed_decided(ctx, inside)
    version = ctx.session.scalar(text("SELECT version FROM enforcement_case WHERE id = :id"),
                                 {"id": case})

    def check(body):
        assert (body["kind"], body["in_time"], body["outcome"]) == ("reconsideration", True,
                                                                   None)
    return _call("POST", f"{BASE}/cases/{case}/appeals", check=check, json={
        "version": version, "kind": "reconsideration", "body": "矩阵区人民政府",
        "filed_on": _yesterday()})


def _appeal_outcome(ctx, inside: bool):
    """The 复议 decision (维持) on an appeal on file."""
    case = _seed_decided(ctx, inside)
    appeal = ctx.session.scalar(text(
        "INSERT INTO enforcement_appeal (case_id, kind, body, filed_on, in_time, recorded_by, "
        "recorded_at) VALUES (:case, 'reconsideration', '矩阵区人民政府', :day, true, "
        "'matrix', now()) RETURNING id"), {"case": case, "day": _yesterday()})

    def check(body):
        assert (body["id"], body["outcome"], body["corrects"]) == (appeal, "upheld", False)
    return _call("POST", f"{BASE}/cases/{case}/appeals/{appeal}/outcome", check=check, json={
        "version": 1, "outcome": "upheld", "decided_on": _yesterday(),
        "document_title": "行政复议决定书"})


# --- matters and rules: one catalogue for every scope ------------------------------------

def _seed_matter(ctx) -> str:
    code = f"MATRIX-{next(_SERIAL):04d}"
    ctx.session.execute(text(
        "INSERT INTO enforcement_matter (code, name, department_code, legal_basis, "
        "penalty_types, fine_min_fen, fine_max_fen) VALUES (:code, '矩阵擅自占用城市道路', "
        "'chengguan', '《城市道路管理条例》第四十二条', '{warning,fine}', 0, 2000000)"),
        {"code": code})
    return code


def _list_matters(ctx, inside: bool):
    if not inside:
        return None
    code = _seed_matter(ctx)

    def check(body):
        assert code in [item["code"] for item in body["items"]]
    return _call("GET", f"{BASE}/matters", params={"q": "矩阵"}, check=check)


def _export_matters(ctx, inside: bool):
    if not inside:
        return None
    _seed_matter(ctx)
    return _call("GET", f"{BASE}/matters.xlsx")


def _import_matters(ctx, inside: bool):
    """The catalogue as exported, imported back (all rows or none)."""
    if not inside:
        return None
    from enforcement.cases import matters

    _seed_matter(ctx)
    workbook = base64.b64encode(matters.export_xlsx(ctx.session)).decode()
    return _call("POST", f"{BASE}/matters/import", json={"data": workbook})


def _get_matter(ctx, inside: bool):
    if not inside:
        return None
    code = _seed_matter(ctx)

    def check(body):
        assert body["code"] == code
    return _call("GET", f"{BASE}/matters/{code}", check=check)


def _put_matter(ctx, inside: bool):
    if not inside:
        return None
    code = f"MATRIX-NEW-{next(_SERIAL)}"

    def check(body):
        assert body["code"] == code
    return _call("PUT", f"{BASE}/matters/{code}", check=check, json={
        "code": code, "name": "矩阵新事项", "department_code": "chengguan",
        "legal_basis": "《城市道路管理条例》第四十二条", "penalty_types": ["warning", "fine"],
        "fine_min_fen": 0, "fine_max_fen": 2000000})


def _list_rules(ctx, inside: bool):
    if not inside:
        return None

    def check(body):
        assert "simple_citizen_max" in [rule["key"] for rule in body]
    return _call("GET", f"{BASE}/rules", check=check)


def _patch_rule(ctx, inside: bool):
    """当场处罚's ceiling for a citizen raised by one 元 (the test's transaction rolls back)."""
    if not inside:
        return None
    value, version = ctx.session.execute(text(
        "SELECT value, version FROM enforcement_rule WHERE key = 'simple_citizen_max'")).one()
    raised = str(int(value) + 100)

    def check(body):
        assert (body["key"], body["value"], body["version"]) == ("simple_citizen_max", raised,
                                                                 version + 1)
    return _call("PATCH", f"{BASE}/rules/simple_citizen_max", check=check,
                 json={"value": raised, "version": version})


AUTH_SAMPLES = {
    ("POST", f"{BASE}/cases"): ("REFUSED", _open_case),
    ("GET", f"{BASE}/cases"): ("FILTERED", _list_cases),
    ("GET", f"{BASE}/cases/{{case_id}}"): ("NOT_FOUND", _get_case),
    ("POST", f"{BASE}/cases/{{case_id}}/actions/{{name}}"): ("NOT_FOUND", _act),
    ("POST", f"{BASE}/cases/{{case_id}}/evidence"): ("NOT_FOUND", _add_evidence),
    ("POST", f"{BASE}/cases/{{case_id}}/records"): ("NOT_FOUND", _site_record),
    ("POST", f"{BASE}/cases/{{case_id}}/documents"): ("NOT_FOUND", _issue_document),
    ("GET", f"{BASE}/cases/{{case_id}}/evidence/{{evidence_id}}/file"):
        ("NOT_FOUND", _evidence_file),
    ("POST", f"{BASE}/cases/{{case_id}}/appeals"): ("NOT_FOUND", _file_appeal),
    ("POST", f"{BASE}/cases/{{case_id}}/appeals/{{appeal_id}}/outcome"):
        ("NOT_FOUND", _appeal_outcome),
    ("POST", f"{BASE}/conflicts"): ("NOT_TERRITORIAL", _declare_conflict),
    ("GET", f"{BASE}/workflow"): ("NOT_TERRITORIAL", _workflow),
    ("GET", f"{BASE}/matters"): ("NOT_TERRITORIAL", _list_matters),
    ("GET", f"{BASE}/matters.xlsx"): ("NOT_TERRITORIAL", _export_matters),
    ("POST", f"{BASE}/matters/import"): ("NOT_TERRITORIAL", _import_matters),
    ("GET", f"{BASE}/matters/{{code}}"): ("NOT_TERRITORIAL", _get_matter),
    ("PUT", f"{BASE}/matters/{{code}}"): ("NOT_TERRITORIAL", _put_matter),
    ("GET", f"{BASE}/rules"): ("NOT_TERRITORIAL", _list_rules),
    ("PATCH", f"{BASE}/rules/{{key}}"): ("NOT_TERRITORIAL", _patch_rule),
}

# The grants enforcement/cases/permissions.py adds, spelled out role by role (a change
# there is a deliberate change here).
_READ, _OPEN, _ACT = CasePermission.cases_read, CasePermission.cases_open, CasePermission.cases_act
_MATTERS, _MANAGE = CasePermission.matters_read, CasePermission.matters_manage
AUTH_POLICY = {
    **{role: {_MATTERS} for role in Role},
    Role.enforcement_officer: {_MATTERS, _READ, _OPEN, _ACT},
    Role.county_dispatcher: {_MATTERS, _READ, _OPEN, _ACT},
    Role.supervisor: {_MATTERS, _READ},
    Role.admin: {_MATTERS, _READ, _MANAGE},
}
