"""Admins create, edit and deactivate the units of their scope.

Who manages which unit (seat and whole jurisdiction in the admin's scope; any other unit
is "not found"), and the units as the API shows them: core/units/reading.py. Memberships:
core/units/memberships.py.

Keyword-only functions on a sync session; they flush, the edge commits; every write is
audited, and a write that changes what members may do tells core.users.accounts.
"""

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from core import platforms
from core.audit import record
from core.codes import contains
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.units.enums import UnitKind
from core.units.models import Department, Membership, Unit, UnitArea
from core.units.reading import area_code, managed_unit, read_unit, unit_kind, unit_view
from core.users.accounts import account_changed

_CODE = re.compile(r"^[A-Za-z0-9_.-]{2,48}$")
MAX_JURISDICTION = 200
# What the edit of a unit may change (its code is its name in data and scripts: fixed).
EDITABLE = frozenset({"name", "kind", "platform", "department_code", "parent_id",
                      "seat_code", "area_codes", "location", "is_active"})
# Changes that alter what the unit's members may see and do (MembershipGrant).
RIGHTS = frozenset({"platform", "department_code", "area_codes", "is_active"})


def known_platforms() -> frozenset[str]:
    """The platform names a unit may carry (core/platforms.py)."""
    return platforms.known_names()


# --- writing ----------------------------------------------------------------------------

def create_unit(
    session: Session, *, actor: str, scope: Scope, code: str, name: str, kind: str,
    platform: str, seat_code: str, area_codes: Iterable[str],
    department_code: str | None = None, parent_id: int | None = None,
    location: tuple[float, float] | None = None,
) -> Unit:
    """A new unit in the caller's scope; `location` (lon, lat, WGS84) defaults to a point
    inside the seat area."""
    code, name = code.strip(), _name(name)
    if not _CODE.fullmatch(code):
        raise InvalidInput("a unit code has 2-48 letters, digits, '.', '_' or '-'",
                           code="unit_code_invalid")
    kind, platform = unit_kind(kind), _platform(platform)
    areas = _jurisdiction(session, scope, seat_code, area_codes)
    _check_centre(kind, seat_code, areas)
    _check_department(session, department_code)
    if parent_id is not None:
        _check_parent(session, scope, parent_id, unit_id=None)
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"the unit code {code} is taken", code="unit_code_taken")
    if kind == UnitKind.centre:
        _check_centre_free(session, seat_code, unit_id=None)
    unit = Unit(code=code, name=name, kind=kind, platform=platform,
                department_code=department_code, parent_id=parent_id, seat_code=seat_code,
                location=_location(session, seat_code, location))
    session.add(unit)
    with written_meanwhile(f"unit {code}"):
        session.flush()
    _set_jurisdiction(session, unit.id, areas)
    record(session, actor=actor, action="unit.create", subject_type="unit",
           subject_id=unit.id, after=_audit_view(session, unit))
    return unit


def update_unit(session: Session, *, actor: str, scope: Scope, unit_id: int, version: int,
                changes: dict, action: str = "unit.update") -> Unit:
    """Apply changes read at `version`; a concurrent edit in between gets 409, not lost."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"a unit's {', '.join(sorted(unknown))} cannot be changed")
    unit = managed_unit(session, scope=scope, unit_id=unit_id)
    check_version(unit, version)
    before = _audit_view(session, unit)
    new = _checked_changes(session, scope, unit, changes)
    if "location" in changes or new["seat_code"] != unit.seat_code:
        unit.location = _location(session, new["seat_code"], changes.get("location"))
    for field in ("name", "kind", "platform", "department_code", "parent_id", "seat_code",
                  "is_active"):
        setattr(unit, field, new[field])
    flag_modified(unit, "name")  # the version moves even when only the jurisdiction does
    try:
        with written_meanwhile(f"unit {unit_id}"):
            session.flush()
    except StaleDataError as exc:
        raise Conflict(f"unit {unit_id} was changed meanwhile: reload and try again",
                       code="unit_stale") from exc
    if "area_codes" in changes:
        _set_jurisdiction(session, unit.id, new["area_codes"])
    record(session, actor=actor, action=action, subject_type="unit", subject_id=unit.id,
           before=before, after=_audit_view(session, unit))
    if RIGHTS & set(changes):
        account_changed(session, _member_ids(session, unit.id))
    return unit


def deactivate_unit(session: Session, *, actor: str, scope: Scope, unit_id: int,
                    version: int | None = None) -> Unit:
    """No longer a target, and its memberships grant nothing (they are kept, for history
    and for a reactivation)."""
    if version is None:
        version = managed_unit(session, scope=scope, unit_id=unit_id).version
    return update_unit(session, actor=actor, scope=scope, unit_id=unit_id, version=version,
                       changes={"is_active": False}, action="unit.deactivate")


def _checked_changes(session: Session, scope: Scope, unit: Unit, changes: dict) -> dict:
    """The unit's fields after the changes, each checked as on creation."""
    current = {"name": unit.name, "kind": unit.kind, "platform": unit.platform,
               "department_code": unit.department_code, "parent_id": unit.parent_id,
               "seat_code": unit.seat_code, "is_active": unit.is_active,
               "area_codes": _areas_of(session, unit.id)}
    new = {**current, **{k: v for k, v in changes.items() if k != "location"}}
    for field in ("name", "kind", "seat_code", "is_active", "platform", "area_codes"):
        if new[field] is None:
            raise InvalidInput(f"{field} cannot be null: leave it out to keep it")
    new["name"], new["kind"] = _name(new["name"]), unit_kind(new["kind"])
    new["platform"] = _platform(new["platform"])
    if "seat_code" in changes or "area_codes" in changes:
        new["area_codes"] = _jurisdiction(session, scope, new["seat_code"], new["area_codes"])
    _check_centre(new["kind"], new["seat_code"], new["area_codes"])
    if "department_code" in changes:
        _check_department(session, new["department_code"])
    if "parent_id" in changes and new["parent_id"] is not None:
        _check_parent(session, scope, new["parent_id"], unit_id=unit.id)
    if new["kind"] == UnitKind.centre and new["is_active"]:
        _check_centre_free(session, new["seat_code"], unit_id=unit.id)
    if unit.is_active and not new["is_active"]:
        _check_no_active_children(session, unit)
    return new


# --- checks -----------------------------------------------------------------------------

@contextmanager
def written_meanwhile(what: str) -> Iterator[None]:
    """A unique rule broken by a concurrent request between our check and our write (two
    admins adding the same centre or membership at once): 409, not 500."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"{what} collides with one written meanwhile: reload and try again",
                       code="written_meanwhile") from exc


def check_version(row, version: int) -> None:
    if row.version != version:
        raise Conflict(f"{row.__tablename__} {row.id} was changed meanwhile (version "
                       f"{row.version}, not {version}): reload and try again",
                       code=f"{row.__tablename__}_stale", version=row.version)


def _name(name: str) -> str:
    if not name or not name.strip():
        raise InvalidInput("a unit needs a name", code="unit_name_missing")
    return name.strip()




def _platform(platform: str) -> str:
    if platform not in known_platforms():
        raise InvalidInput(f"unknown platform {platform!r}: one of "
                           f"{', '.join(sorted(known_platforms()))}",
                           code="unit_platform_unknown")
    return platform




def _jurisdiction(session: Session, scope: Scope, seat_code: str,
                  area_codes: Iterable[str]) -> list[str]:
    """The seat and the jurisdiction: in the caller's scope (outside: 404 as for users),
    existing, with no area inside another one of them."""
    areas = sorted(set(area_codes))
    if not areas:
        raise InvalidInput("a unit needs a jurisdiction of at least one area",
                           code="unit_jurisdiction_empty")
    if len(areas) > MAX_JURISDICTION:
        raise InvalidInput(f"a jurisdiction has at most {MAX_JURISDICTION} areas")
    for code in (seat_code, *areas):
        area_code(code)
        if not scope.covers_code(code):
            raise NotFound(f"no area {code} in your scope", code="area_not_found", area_code=code)
    known = set(session.scalars(text("SELECT code FROM area WHERE code = ANY(:codes)"),
                                {"codes": [seat_code, *areas]}))
    missing = [code for code in (seat_code, *areas) if code not in known]
    if missing:
        raise InvalidInput(f"no such area: {', '.join(missing)}", code="area_unknown",
                           codes=missing)
    nested = [(a, b) for a in areas for b in areas if a != b and contains(a, b)]
    if nested:
        raise InvalidInput(f"area {nested[0][1]} lies inside {nested[0][0]}: name the wider "
                           "one only", code="unit_jurisdiction_nested")
    return areas


def _check_centre(kind: str, seat_code: str, areas: list[str]) -> None:
    # centre_of(area) finds a centre by its seat: its jurisdiction must be that area.
    if kind == UnitKind.centre and areas != [seat_code]:
        raise InvalidInput("a centre's jurisdiction is its seat area and only that",
                           code="unit_centre_jurisdiction")


def _check_centre_free(session: Session, seat_code: str, *, unit_id: int | None) -> None:
    other = session.scalar(select(Unit).where(Unit.kind == UnitKind.centre, Unit.is_active,
                                              Unit.seat_code == seat_code,
                                              Unit.id != (unit_id or 0)))
    if other is not None:
        raise Conflict(f"area {seat_code} has a centre already: {other.name} ({other.id})",
                       code="unit_centre_taken", unit_id=other.id)


def _check_department(session: Session, code: str | None) -> None:
    if code is not None and session.get(Department, code) is None:
        raise InvalidInput(f"no department {code!r}", code="department_unknown")


def _check_parent(session: Session, scope: Scope, parent_id: int, *,
                  unit_id: int | None) -> None:
    parent = read_unit(session, scope=scope, unit_id=parent_id)
    if not parent.is_active:
        raise InvalidInput(f"unit {parent_id} is deactivated: not a parent",
                           code="unit_parent_inactive")
    if unit_id is None:
        return
    above = session.scalars(text("""
        WITH RECURSIVE up(id, parent_id) AS (
            SELECT id, parent_id FROM unit WHERE id = :parent
            UNION SELECT u.id, u.parent_id FROM unit u JOIN up ON u.id = up.parent_id)
        SELECT id FROM up"""), {"parent": parent_id})
    if unit_id in set(above):
        raise InvalidInput(f"unit {parent_id} lies under unit {unit_id}: a cycle",
                           code="unit_parent_cycle")


def _check_no_active_children(session: Session, unit: Unit) -> None:
    children = session.scalar(select(func.count()).select_from(Unit).where(
        Unit.parent_id == unit.id, Unit.is_active))
    if children:
        raise Conflict(f"{children} active unit(s) lie under {unit.name}: deactivate or "
                       "move them first", code="unit_has_children")


def _location(session: Session, seat_code: str, point: tuple[float, float] | None) -> str:
    """EWKT of the unit's point: the given one, which must lie in the seat area, or a point
    surely inside the seat area (ST_PointOnSurface, not the centroid, which may be out)."""
    if point is None:
        return session.scalar(text("SELECT ST_AsEWKT(ST_PointOnSurface(geom)) FROM area "
                                   "WHERE code = :code"), {"code": seat_code})
    lon, lat = point
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(f"({lon}, {lat}) is not a WGS84 longitude and latitude",
                           code="location_out_of_range")
    inside = session.scalar(text(
        "SELECT ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) FROM area "
        "WHERE code = :code"), {"code": seat_code, "lon": lon, "lat": lat})
    if not inside:
        raise InvalidInput(f"({lon}, {lat}) lies outside the seat area {seat_code}",
                           code="unit_location_outside", lon=lon, lat=lat)
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def _set_jurisdiction(session: Session, unit_id: int, areas: list[str]) -> None:
    # In SQL, not as ORM rows: a jurisdiction replaced twice in one session would collide
    # with the rows the identity map still holds.
    session.execute(text("DELETE FROM unit_area WHERE unit_id = :unit"), {"unit": unit_id})
    session.execute(text("INSERT INTO unit_area (unit_id, area_code) "
                         "SELECT :unit, unnest(CAST(:areas AS text[]))"),
                    {"unit": unit_id, "areas": areas})


def _areas_of(session: Session, unit_id: int) -> list[str]:
    return list(session.scalars(select(UnitArea.area_code).where(UnitArea.unit_id == unit_id)
                                .order_by(UnitArea.area_code)))


def _member_ids(session: Session, unit_id: int) -> list[int]:
    return list(session.scalars(select(Membership.user_id).where(
        Membership.unit_id == unit_id, Membership.is_active).distinct()))


def _audit_view(session: Session, unit: Unit) -> dict:
    view = unit_view(session, unit)
    return {key: view[key] for key in ("code", "name", "kind", "platform", "department_code",
                                       "parent_id", "seat_code", "area_codes", "is_active",
                                       "lon", "lat")}
