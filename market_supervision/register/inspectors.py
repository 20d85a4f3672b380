"""The inspector register (执法检查人员名录库): 检查员 members of market units with a valid
执法证 (the credential lives on the membership, core/units), the items each may inspect, and
their declared conflicts of interest (回避, 行政处罚法第四十三条)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.units.enums import Position
from core.units.models import Membership, Unit
from core.users.models import User
from market_supervision.register.entities import get_entity
from market_supervision.register.items import items_by_code
from market_supervision.register.models import InspectorConflict, InspectorItem, Item


@dataclass(frozen=True)
class PoolMember:
    membership_id: int
    user_id: int
    unit_id: int
    name: str
    credential_number: str
    credential_expires_on: date
    items: frozenset[str]  # item codes


def _inspector_membership(session: Session, membership_id: int,
                          principal: Principal | None = None) -> Membership:
    """An inspector's membership; with a principal, of a unit seated in the caller's
    territory (another territory's inspector: 404, as the register lists them)."""
    membership = session.get(Membership, membership_id)
    if membership is None or membership.position != Position.inspector or (
            principal is not None and not _unit_in_scope(session, membership.unit_id,
                                                         principal)):
        raise NotFound(f"no inspector membership {membership_id}")
    return membership


def _unit_in_scope(session: Session, unit_id: int, principal: Principal) -> bool:
    return session.scalar(select(Unit.id).where(
        Unit.id == unit_id, Scope.of(principal).column_condition(Unit.seat_code))) is not None


def _user_of_territory(session: Session, user_id: int, principal: Principal) -> bool:
    """The person is of the caller's territory: scoped inside it, or a member of a unit
    seated inside it (an inspector the territory's draws may pair). Another territory's
    user is answered as the users routes answer it: 404, as if there were none."""
    scope = Scope.of(principal)
    scoped_inside = select(User.id).where(User.id == user_id,
                                          scope.column_condition(User.scope_code))
    member_inside = (select(Membership.user_id).join(Unit, Unit.id == Membership.unit_id)
                     .where(Membership.user_id == user_id, Membership.is_active,
                            scope.column_condition(Unit.seat_code)))
    return session.scalar(scoped_inside.union(member_inside).limit(1)) is not None


def set_qualifications(session: Session, *, membership_id: int, item_codes: list[str],
                       principal: Principal | None = None) -> list[str]:
    """The items the inspector may inspect (replacing the former list), under a row lock on
    the membership so two admins' edits do not interleave. `principal`: the admin editing
    (an inspector of his territory only); None for the system (demo, fixtures)."""
    membership = _inspector_membership(session, membership_id, principal)
    session.execute(select(Membership.id).where(Membership.id == membership.id)
                    .with_for_update())
    items = items_by_code(session, item_codes)
    session.execute(delete(InspectorItem).where(InspectorItem.membership_id == membership_id))
    session.add_all(InspectorItem(membership_id=membership_id, item_id=item.id)
                    for item in items)
    session.flush()
    return [item.code for item in items]


def declare_conflict(session: Session, *, principal: Principal, user_id: int, entity_id: int,
                     reason: str) -> InspectorConflict:
    """A declared conflict: that person is never drawn for that entity."""
    get_entity(session, principal=principal, entity_id=entity_id)
    if not _user_of_territory(session, user_id, principal):
        raise NotFound(f"no user {user_id} in your territory", code="user_not_found")
    if not reason.strip():
        raise InvalidInput("回避事由不能为空", code="reason_required")
    if session.scalar(select(InspectorConflict.id).where(
            InspectorConflict.user_id == user_id,
            InspectorConflict.entity_id == entity_id)) is not None:
        raise Conflict("该回避情形已登记", code="conflict_exists")
    conflict = InspectorConflict(user_id=user_id, entity_id=entity_id, reason=reason.strip())
    session.add(conflict)
    session.flush()
    return conflict


POOL_SQL = """
SELECT m.id, m.user_id, m.unit_id, u.full_name, m.credential_number, m.credential_expires_on,
       array_agg(i.code ORDER BY i.code) FILTER (WHERE i.code IS NOT NULL)
FROM membership m
JOIN app_user u ON u.id = m.user_id AND u.is_active
JOIN unit ON unit.id = m.unit_id AND unit.is_active
LEFT JOIN market_inspector_item q ON q.membership_id = m.id
LEFT JOIN market_item i ON i.id = q.item_id AND i.is_active
WHERE m.position = 'inspector' AND m.is_active AND m.unit_id = ANY(:units)
  AND m.credential_number IS NOT NULL AND m.credential_expires_on >= :on
GROUP BY m.id, u.full_name
"""


def pool(session: Session, *, unit_ids: list[int], on: date) -> list[PoolMember]:
    """The inspectors of these units holding an 执法证 valid on `on`, with their items."""
    rows = session.execute(text(POOL_SQL), {"units": list(unit_ids), "on": on}).all()
    return [PoolMember(r[0], r[1], r[2], r[3] or f"检查员{r[0]}", r[4], r[5],
                       frozenset(r[6] or ())) for r in rows]


def list_inspectors(session: Session, *, principal: Principal, on: date) -> list[dict]:
    """The register as a desk sees it: the inspectors of the market units in scope."""
    scope = Scope.of(principal)
    units = list(session.scalars(select(Unit.id).where(
        Unit.platform == "market_supervision", scope.column_condition(Unit.seat_code))))
    members = pool(session, unit_ids=units, on=date.min)
    return [{"membership_id": m.membership_id, "user_id": m.user_id, "unit_id": m.unit_id,
             "name": m.name, "credential_number": m.credential_number,
             "credential_expires_on": m.credential_expires_on,
             "credential_valid": m.credential_expires_on >= on, "items": sorted(m.items)}
            for m in sorted(members, key=lambda m: m.credential_number)]


def item_ids(session: Session, codes: list[str]) -> list[int]:
    return list(session.scalars(select(Item.id).where(Item.code.in_(codes))))
