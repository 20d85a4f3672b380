"""Units and memberships: who belongs where, and what that grants.

Keyword-only functions on a sync session; they flush, the edge commits. The admin's
management (create, edit, members) is in core/units/admin.py; this module holds what
every request and every workflow needs: a user's grants, a unit's members, the centre
of an area.
"""

from collections.abc import Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.security import MembershipGrant
from core.units.models import Unit

# Plain text, so that the account cache (core/users/cache.py) runs the same query on the
# async read pool (where it is written with %(user_id)s).
GRANTS_SQL = """
    SELECT m.unit_id, m.position, u.platform, u.department_code, m.credential_expires_on,
           COALESCE(array_agg(ua.area_code ORDER BY ua.area_code)
                    FILTER (WHERE ua.area_code IS NOT NULL), '{}') AS area_codes
    FROM membership m JOIN unit u ON u.id = m.unit_id AND u.is_active
    LEFT JOIN unit_area ua ON ua.unit_id = u.id
    WHERE m.user_id = :user_id AND m.is_active
    GROUP BY m.id, m.unit_id, m.position, u.platform, u.department_code,
             m.credential_expires_on
    ORDER BY m.unit_id, m.position"""
_GRANTS_SQL = text(GRANTS_SQL)


def grants_of(session: Session, *, user_id: int) -> tuple[MembershipGrant, ...]:
    """The user's active memberships in active units, with each unit's jurisdiction."""
    return tuple(MembershipGrant(row.unit_id, row.position, row.platform,
                                 row.department_code, tuple(row.area_codes),
                                 row.credential_expires_on)
                 for row in session.execute(_GRANTS_SQL, {"user_id": user_id}))


def members_of(session: Session, *, unit_ids: Iterable[int],
               positions: Iterable[str] | None = None) -> list[int]:
    """Active users holding one of `positions` (any, when None) in one of the units."""
    ids = sorted(set(unit_ids))
    if not ids:
        return []
    return list(session.scalars(text("""
        SELECT DISTINCT m.user_id FROM membership m JOIN app_user u ON u.id = m.user_id
        WHERE m.unit_id = ANY(:units) AND m.is_active AND u.is_active
          AND (CAST(:positions AS text[]) IS NULL OR m.position = ANY(:positions))
        ORDER BY m.user_id"""), {"units": ids,
                                 "positions": sorted(positions) if positions else None}))


def centre_of(session: Session, *, area_code: str) -> Unit:
    """The centre (网格化管理中心) that sits at an area: village, township, county, city."""
    unit = session.scalar(select(Unit).where(Unit.kind == "centre", Unit.is_active,
                                             Unit.seat_code == area_code))
    if unit is None:
        raise NotFound(f"no centre sits at area {area_code}")
    return unit


def get_unit(session: Session, *, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.is_active:
        raise NotFound(f"no unit {unit_id}")
    return unit


def jurisdiction_of(session: Session, *, unit_id: int) -> list[str]:
    return list(session.scalars(text(
        "SELECT area_code FROM unit_area WHERE unit_id = :unit ORDER BY area_code"),
        {"unit": unit_id}))


def unit_names(session: Session, unit_ids) -> dict[int, str]:
    ids = sorted({u for u in unit_ids if u is not None})
    if not ids:
        return {}
    return dict(session.execute(text("SELECT id, name FROM unit WHERE id = ANY(:ids)"),
                                {"ids": ids}).all())
