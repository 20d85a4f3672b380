"""联合执法行动 (issue §7): joint operations.

浙江省综合行政执法条例第十三条: several enforcement bodies checking one object do it
"同时一次性" (one visit); 第十四条: the initiating body draws up the plan and states each
participating department's duties. So an operation has one lead department and
cooperating ones, each with its tasks; it covers an area drawn on the map (a GeoJSON
Polygon or MultiPolygon) or chosen from the areas; its objects are visited once, the visit
recording every department's checks.

Scope: an operation lies in the smallest area holding it (`area_code`); it is seen and
edited inside that territory. Edits name the version read (stale: 409).
"""

import json
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from enforcement.teams.models import OPERATION_STATES

MAX_POLYGON_POINTS = 5000
# Which state may follow which (planned → running → finished; cancelled before finished).
NEXT_STATES = {"planned": {"running", "cancelled"}, "running": {"finished", "cancelled"},
               "finished": set(), "cancelled": set()}


def _area_geometry(session: Session, *, geometry: dict | None, area_code: str | None,
                   scope: Scope) -> tuple[str, str, str | None]:
    """(EWKT-free GeoJSON text, the smallest area code holding it, the chosen area)."""
    if (geometry is None) == (area_code is None):
        raise InvalidInput("give the operation's area: either `geometry` (drawn) or "
                           "`area_code` (chosen)", code="area_required")
    if area_code is not None:
        row = session.execute(text("SELECT ST_AsGeoJSON(ST_Multi(geom)) FROM area "
                                   "WHERE code = :code"), {"code": area_code}).first()
        if row is None:
            raise InvalidInput(f"no area {area_code}", code="unknown_area")
        if not scope.covers_code(area_code):
            raise InvalidInput(f"area {area_code} is outside your territory",
                               code="outside_territory")
        return row[0], area_code, area_code
    shape = _checked_polygon(session, geometry)
    holder = session.scalar(text(f"""
        SELECT a.code FROM area a
        WHERE a.level IN ('city', 'county', 'township', 'village')
          AND ST_Covers(a.geom, ST_SetSRID(ST_GeomFromGeoJSON(:shape), 4326))
          AND {scope.code_condition('a.code')}
        ORDER BY length(a.code) DESC, a.code LIMIT 1"""), {"shape": shape, **scope.params})
    if holder is None:
        raise InvalidInput("the drawn area does not lie inside one area of your territory",
                           code="outside_territory")
    return shape, holder, None


def _checked_polygon(session: Session, geometry: dict) -> str:
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput("the drawn area is a GeoJSON Polygon or MultiPolygon",
                           code="invalid_geometry")
    shape = json.dumps(geometry)
    try:
        with session.begin_nested():
            valid, points, reason = session.execute(text("""
                SELECT ST_IsValid(g), ST_NPoints(g), ST_IsValidReason(g)
                FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:shape), 4326) AS g) x"""),
                {"shape": shape}).one()
    except Exception:  # PostGIS refuses a malformed GeoJSON: the caller's input
        raise InvalidInput("the drawn area is not readable GeoJSON",
                           code="invalid_geometry") from None
    if points > MAX_POLYGON_POINTS:
        raise InvalidInput(f"the drawn area has more than {MAX_POLYGON_POINTS} points",
                           code="geometry_too_large")
    if not valid:
        raise InvalidInput(f"the drawn area is not a valid polygon: {reason}",
                           code="invalid_geometry")
    return shape


def _departments(session: Session, *, lead: str, cooperating: list[dict],
                 lead_tasks: list[str]) -> list[dict]:
    parts = [{"department_code": lead, "role": "lead", "tasks": lead_tasks}]
    for item in cooperating:
        parts.append({"department_code": item["department_code"], "role": "cooperating",
                      "tasks": list(item.get("tasks") or [])})
    codes = [p["department_code"] for p in parts]
    if len(set(codes)) != len(codes):
        raise InvalidInput("a department takes part once (the lead is not also cooperating)",
                           code="duplicate_department")
    known = set(session.scalars(text("SELECT code FROM department WHERE code = ANY(:c)"),
                                {"c": codes}))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(f"unknown departments: {', '.join(unknown)}",
                           code="unknown_department", unknown=unknown)
    return parts


def create(session: Session, *, principal: Principal, data: dict) -> dict:
    scope = Scope.of(principal)
    if data.get("ends_at") is not None and data["ends_at"] <= data["starts_at"]:
        raise InvalidInput("an operation ends after it starts", code="ends_before_start")
    shape, holder, chosen = _area_geometry(session, geometry=data.get("geometry"),
                                           area_code=data.get("area_code"), scope=scope)
    parts = _departments(session, lead=data["lead_department_code"],
                         cooperating=data.get("cooperating") or [],
                         lead_tasks=data.get("lead_tasks") or [])
    operation_id = session.scalar(text("""
        INSERT INTO enforcement_operation (title, description, lead_department_code,
            area_code, chosen_area_code, geom, starts_at, ends_at, state, created_by)
        VALUES (:title, :description, :lead, :holder, :chosen,
                ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:shape), 4326)), :starts, :ends,
                'planned', :by)
        RETURNING id"""),
        {"title": data["title"], "description": data.get("description") or "",
         "lead": data["lead_department_code"], "holder": holder, "chosen": chosen,
         "shape": shape, "starts": data["starts_at"], "ends": data.get("ends_at"),
         "by": principal.username})
    _write_departments(session, operation_id, parts)
    for item in data.get("objects") or []:
        _insert_object(session, operation_id, item)
    audit.record(session, actor=principal.username, action="operation.create",
                 subject_type="enforcement_operation", subject_id=operation_id,
                 after={"title": data["title"], "area_code": holder,
                        "departments": [p["department_code"] for p in parts]})
    return get(session, principal=principal, operation_id=operation_id)


def _write_departments(session: Session, operation_id: int, parts: list[dict]) -> None:
    session.execute(text("DELETE FROM enforcement_operation_department "
                         "WHERE operation_id = :id"), {"id": operation_id})
    session.execute(text("""
        INSERT INTO enforcement_operation_department (operation_id, department_code, role,
                                                      tasks)
        VALUES (:id, :department_code, :role, CAST(:tasks AS jsonb))"""),
        [{**p, "id": operation_id, "tasks": json.dumps(p["tasks"], ensure_ascii=False)}
         for p in parts])


def _insert_object(session: Session, operation_id: int, item: dict) -> int:
    checks = [{"department_code": c["department_code"], "check": c["check"],
               "result": None, "note": None} for c in item.get("checks") or []]
    taking_part = set(session.scalars(text(
        "SELECT department_code FROM enforcement_operation_department "
        "WHERE operation_id = :id"), {"id": operation_id}))
    strangers = sorted({c["department_code"] for c in checks} - taking_part)
    if strangers:
        raise InvalidInput(f"departments not in the operation: {', '.join(strangers)}",
                           code="department_not_in_operation")
    point = item.get("position")
    try:
        with session.begin_nested():
            return session.scalar(text("""
                INSERT INTO enforcement_operation_object (operation_id, name, address, geom,
                                                          checks)
                VALUES (:id, :name, :address,
                        CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                             ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
                        CAST(:checks AS jsonb))
                RETURNING id"""),
                {"id": operation_id, "name": item["name"], "address": item.get("address") or "",
                 "lon": point[0] if point else None, "lat": point[1] if point else None,
                 "checks": json.dumps(checks, ensure_ascii=False)})
    except Exception as error:  # the unique name per operation
        if "uq_operation_object" in str(error):
            raise Conflict(f"the operation already has an object named {item['name']!r}",
                           code="duplicate_object") from None
        raise


def _locked(session: Session, *, principal: Principal, operation_id: int,
            version: int | None = None) -> dict:
    scope = Scope.of(principal)
    row = session.execute(text(f"""
        SELECT id, state, version FROM enforcement_operation o
        WHERE o.id = :id AND {scope.code_condition('o.area_code')} FOR UPDATE"""),
        {"id": operation_id, **scope.params}).mappings().first()
    if row is None:
        raise NotFound(f"no operation {operation_id} in your territory",
                       code="operation_not_found")
    if version is not None and row["version"] != version:
        raise Conflict(f"the operation changed since you read it (version {row['version']})",
                       code="stale_version", current_version=row["version"],
                       current_state=row["state"])
    return dict(row)


def update(session: Session, *, principal: Principal, operation_id: int, data: dict) -> dict:
    """Edit the named fields (the version read is required); a state change follows
    NEXT_STATES."""
    current = _locked(session, principal=principal, operation_id=operation_id,
                      version=data["version"])
    sets, params = [], {"id": operation_id}
    for field in ("title", "description", "starts_at", "ends_at"):
        if field in data and data[field] is not None:
            sets.append(f"{field} = :{field}")
            params[field] = data[field]
    if data.get("state") is not None and data["state"] != current["state"]:
        if data["state"] not in OPERATION_STATES:
            raise InvalidInput(f"state is one of {', '.join(OPERATION_STATES)}",
                               code="unknown_state")
        if data["state"] not in NEXT_STATES[current["state"]]:
            raise Conflict(f"an operation that is {current['state']} cannot become "
                           f"{data['state']}", code="state_not_allowed",
                           current_state=current["state"])
        sets.append("state = :state")
        params["state"] = data["state"]
    if data.get("geometry") is not None or data.get("area_code") is not None:
        shape, holder, chosen = _area_geometry(
            session, geometry=data.get("geometry"), area_code=data.get("area_code"),
            scope=Scope.of(principal))
        sets += ["geom = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:shape), 4326))",
                 "area_code = :holder", "chosen_area_code = :chosen"]
        params.update(shape=shape, holder=holder, chosen=chosen)
    if data.get("lead_department_code") is not None or data.get("cooperating") is not None:
        before = get(session, principal=principal, operation_id=operation_id)
        lead = data.get("lead_department_code") or before["lead_department_code"]
        cooperating = (data["cooperating"] if data.get("cooperating") is not None else
                       [d for d in before["departments"] if d["role"] == "cooperating"])
        lead_tasks = (data["lead_tasks"] if data.get("lead_tasks") is not None else
                      next((d["tasks"] for d in before["departments"]
                            if d["department_code"] == lead), []))
        parts = _departments(session, lead=lead, cooperating=cooperating,
                             lead_tasks=lead_tasks)
        _write_departments(session, operation_id, parts)
        sets.append("lead_department_code = :lead")
        params["lead"] = lead
    sets.append("version = version + 1")
    session.execute(text(f"UPDATE enforcement_operation SET {', '.join(sets)} "
                         "WHERE id = :id"), params)
    ends_ok = session.scalar(text("SELECT ends_at IS NULL OR ends_at > starts_at FROM "
                                  "enforcement_operation WHERE id = :id"), {"id": operation_id})
    if not ends_ok:
        raise InvalidInput("an operation ends after it starts", code="ends_before_start")
    audit.record(session, actor=principal.username, action="operation.update",
                 subject_type="enforcement_operation", subject_id=operation_id,
                 before={"version": current["version"], "state": current["state"]},
                 after={k: str(v) for k, v in data.items() if k != "geometry"})
    return get(session, principal=principal, operation_id=operation_id)


def delete(session: Session, *, principal: Principal, operation_id: int, version: int) -> None:
    """Only a planned operation is deleted (one that ran is cancelled or finished)."""
    current = _locked(session, principal=principal, operation_id=operation_id,
                      version=version)
    if current["state"] != "planned":
        raise Conflict("only a planned operation can be deleted; cancel it instead",
                       code="state_not_allowed", current_state=current["state"])
    session.execute(text("DELETE FROM enforcement_operation WHERE id = :id"),
                    {"id": operation_id})
    audit.record(session, actor=principal.username, action="operation.delete",
                 subject_type="enforcement_operation", subject_id=operation_id,
                 before={"version": current["version"]})


def add_object(session: Session, *, principal: Principal, operation_id: int, item: dict
               ) -> dict:
    _locked(session, principal=principal, operation_id=operation_id)
    object_id = _insert_object(session, operation_id, item)
    session.execute(text("UPDATE enforcement_operation SET version = version + 1 "
                         "WHERE id = :id"), {"id": operation_id})
    return _object(session, operation_id, object_id)


def visit(session: Session, *, principal: Principal, operation_id: int, object_id: int,
          version: int, results: list[dict], now: datetime) -> dict:
    """One visit records every department's checks of the object (一次检查); results name
    (department_code, check) pairs of the object's list; a second visit is refused."""
    current = _locked(session, principal=principal, operation_id=operation_id)
    if current["state"] not in ("planned", "running"):
        raise Conflict(f"the operation is {current['state']}: no more visits",
                       code="state_not_allowed", current_state=current["state"])
    row = session.execute(text("""
        SELECT checks, visited_at, version FROM enforcement_operation_object
        WHERE id = :object AND operation_id = :id FOR UPDATE"""),
        {"object": object_id, "id": operation_id}).first()
    if row is None:
        raise NotFound(f"no object {object_id} in operation {operation_id}",
                       code="object_not_found")
    checks, visited_at, object_version = row
    if object_version != version:
        raise Conflict(f"the object changed since you read it (version {object_version})",
                       code="stale_version", current_version=object_version)
    if visited_at is not None:
        raise Conflict("the object was visited already: one visit for every department's "
                       "checks", code="already_visited")
    by_key = {(c["department_code"], c["check"]): c for c in checks}
    for result in results:
        key = (result["department_code"], result["check"])
        if key not in by_key:
            raise InvalidInput(f"the object has no check {key[1]!r} of {key[0]}",
                               code="unknown_check")
        by_key[key].update(result=result["result"], note=result.get("note"))
    missing = [f"{d}:{c}" for (d, c), check in by_key.items() if check["result"] is None]
    if missing:
        raise InvalidInput(f"one visit records every department's checks; missing: "
                           f"{', '.join(missing)}", code="checks_missing", missing=missing)
    session.execute(text("""
        UPDATE enforcement_operation_object SET checks = CAST(:checks AS jsonb),
               visited_at = :now, visited_by = :by, version = version + 1
        WHERE id = :object"""),
        {"checks": json.dumps(list(by_key.values()), ensure_ascii=False), "now": now,
         "by": principal.username, "object": object_id})
    audit.record(session, actor=principal.username, action="operation.visit",
                 subject_type="enforcement_operation", subject_id=operation_id,
                 after={"object": object_id, "checks": len(by_key)})
    return _object(session, operation_id, object_id)


def _object(session: Session, operation_id: int, object_id: int) -> dict:
    row = session.execute(text("""
        SELECT id, name, address, ST_X(geom) AS lon, ST_Y(geom) AS lat, checks, visited_at,
               visited_by, version
        FROM enforcement_operation_object WHERE id = :object AND operation_id = :id"""),
        {"object": object_id, "id": operation_id}).mappings().one()
    return _object_dict(row)


def _object_dict(row) -> dict:
    return {"id": row["id"], "name": row["name"], "address": row["address"],
            "position": (None if row["lon"] is None else
                         {"type": "Point", "coordinates": [row["lon"], row["lat"]]}),
            "checks": row["checks"], "visited_at": row["visited_at"],
            "visited_by": row["visited_by"], "version": row["version"]}


_COLUMNS = """o.id, o.title, o.description, o.lead_department_code, o.area_code,
    o.chosen_area_code, o.starts_at, o.ends_at, o.state, o.created_by, o.created_at,
    o.version"""


def _operation_dict(row, *, geometry: dict | None = None) -> dict:
    out = dict(row)
    out.pop("geometry", None)
    if geometry is not None:
        out["geometry"] = geometry
    return out


def get(session: Session, *, principal: Principal, operation_id: int) -> dict:
    scope = Scope.of(principal)
    row = session.execute(text(f"""
        SELECT {_COLUMNS}, ST_AsGeoJSON(o.geom, 7) AS geometry FROM enforcement_operation o
        WHERE o.id = :id AND {scope.code_condition('o.area_code')}"""),
        {"id": operation_id, **scope.params}).mappings().first()
    if row is None:
        raise NotFound(f"no operation {operation_id} in your territory",
                       code="operation_not_found")
    out = _operation_dict(row, geometry=json.loads(row["geometry"]))
    out["departments"] = [dict(r) for r in session.execute(text("""
        SELECT department_code, role, tasks FROM enforcement_operation_department
        WHERE operation_id = :id ORDER BY role DESC, department_code"""),
        {"id": operation_id}).mappings()]
    out["objects"] = [_object_dict(r) for r in session.execute(text("""
        SELECT id, name, address, ST_X(geom) AS lon, ST_Y(geom) AS lat, checks, visited_at,
               visited_by, version
        FROM enforcement_operation_object WHERE operation_id = :id ORDER BY id"""),
        {"id": operation_id}).mappings()]
    return out


def list_operations(session: Session, *, principal: Principal, state: str | None,
                    department: str | None, limit: int, offset: int
                    ) -> tuple[int, list[dict]]:
    scope = Scope.of(principal)
    conditions = [scope.code_condition("o.area_code")]
    if state is not None:
        conditions.append("o.state = :state")
    if department is not None:
        conditions.append("EXISTS (SELECT 1 FROM enforcement_operation_department d "
                          "WHERE d.operation_id = o.id AND d.department_code = :department)")
    where = " AND ".join(conditions)
    params = {"state": state, "department": department, **scope.params}
    total = session.scalar(text(f"SELECT count(*) FROM enforcement_operation o WHERE {where}"),
                           params)
    rows = session.execute(text(f"""
        SELECT {_COLUMNS},
               ARRAY(SELECT d.department_code FROM enforcement_operation_department d
                     WHERE d.operation_id = o.id AND d.role = 'cooperating'
                     ORDER BY d.department_code) AS cooperating_departments,
               (SELECT count(*) FROM enforcement_operation_object x
                WHERE x.operation_id = o.id) AS objects,
               (SELECT count(*) FROM enforcement_operation_object x
                WHERE x.operation_id = o.id AND x.visited_at IS NOT NULL) AS visited
        FROM enforcement_operation o WHERE {where}
        ORDER BY o.starts_at DESC, o.id DESC LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).mappings().all()
    return total, [dict(row) for row in rows]
