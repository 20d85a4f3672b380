"""Admins give users positions in units (memberships), with the 执法证 the law asks for.

The scope rules of core/units/admin.py: the unit must be one the admin manages and the
user one whose account lies in the admin's scope; anything else is "not found". A
position in CREDENTIAL_POSITIONS needs a credential (number, issuing body, expiry) that
has not expired; a credential number belongs to one person. Every write changes what the
member may do, so it tells core.users.accounts.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.audit import record
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.settings import get_settings
from core.units.admin import check_version, written_meanwhile
from core.units.enums import CREDENTIAL_POSITIONS, POSITION_LABELS, Position
from core.units.models import Membership, Unit
from core.units.reading import manageable, managed_unit, read_unit
from core.users.accounts import account_changed
from core.users.models import User

# Certificate numbers differ by issuer (湘 + digits, letters and digits, with dashes or
# brackets): one token of letters, digits, CJK and those marks.
_CREDENTIAL_NUMBER = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff()（）-]{4,40}$")
EDITABLE = frozenset({"position", "credential_number", "credential_issuer",
                      "credential_expires_on", "is_active"})
_CREDENTIAL = ("credential_number", "credential_issuer", "credential_expires_on")


def today() -> date:
    """Today where the law is applied (the settings' time zone, Asia/Shanghai)."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def add_member(
    session: Session, *, actor: str, scope: Scope, unit_id: int, user_id: int,
    position: str, credential_number: str | None = None,
    credential_issuer: str | None = None, credential_expires_on: date | None = None,
    on: date | None = None,
) -> Membership:
    """`user_id` takes `position` in the unit; an ended membership of the same position is
    taken up again (one row per user, unit and position)."""
    unit = managed_unit(session, scope=scope, unit_id=unit_id)
    if not unit.is_active:
        raise InvalidInput(f"unit {unit.id} is deactivated: reactivate it first",
                           code="unit_inactive")
    user = _user_in_scope(session, scope, user_id)
    position = _position(position)
    credential = _credential(position, credential_number, credential_issuer,
                             credential_expires_on, on=on or today())
    _check_credential_holder(session, credential["credential_number"], user.id)
    membership = session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.unit_id == unit.id,
        Membership.position == position))
    if membership is not None and membership.is_active:
        raise Conflict(f"{user.username} holds {POSITION_LABELS[position]} in {unit.name} "
                       f"already (membership {membership.id})",
                       code="membership_exists", membership_id=membership.id)
    before = _audit_view(membership) if membership else None
    if membership is None:
        membership = Membership(user_id=user.id, unit_id=unit.id, position=position,
                                **credential)
        session.add(membership)
    else:
        membership.is_active = True
        for field, value in credential.items():
            setattr(membership, field, value)
    with written_meanwhile(f"the membership of {user.username} in {unit.name}"):
        session.flush()
    record(session, actor=actor, action="membership.create", subject_type="membership",
           subject_id=membership.id, before=before, after=_audit_view(membership))
    account_changed(session, [user.id])
    return membership


def update_membership(session: Session, *, actor: str, scope: Scope, membership_id: int,
                      version: int, changes: dict, action: str = "membership.update",
                      on: date | None = None) -> Membership:
    """Change the position or the credential (a renewed 执法证), or end or resume the
    membership; read at `version`, a concurrent edit gets 409."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"a membership's {', '.join(sorted(unknown))} cannot be changed")
    membership = managed_membership(session, scope=scope, membership_id=membership_id)
    check_version(membership, version)
    before = _audit_view(membership)
    position = _position(changes.get("position") or membership.position)
    active = changes.get("is_active", membership.is_active)
    if active is None:
        raise InvalidInput("is_active cannot be null: leave it out to keep it")
    if active:
        merged = {field: changes.get(field, getattr(membership, field)) for field in _CREDENTIAL}
        # An unchanged credential is judged as it stands; a new one must not be expired.
        renewed = any(field in changes for field in _CREDENTIAL) or not membership.is_active
        credential = _credential(position, *merged.values(), on=on or today(),
                                 allow_expired=not renewed)
        _check_credential_holder(session, credential["credential_number"], membership.user_id,
                                 except_id=membership.id)
        if position != membership.position:
            _check_position_free(session, membership, position)
        for field, value in credential.items():
            setattr(membership, field, value)
    membership.position, membership.is_active = position, active
    try:
        with written_meanwhile(f"membership {membership_id}"):
            session.flush()
    except StaleDataError as exc:
        raise Conflict(f"membership {membership_id} was changed meanwhile: reload and try "
                       "again", code="membership_stale") from exc
    record(session, actor=actor, action=action, subject_type="membership",
           subject_id=membership.id, before=before, after=_audit_view(membership))
    account_changed(session, [membership.user_id])
    return membership


def end_membership(session: Session, *, actor: str, scope: Scope, membership_id: int,
                   version: int | None = None) -> Membership:
    """The member leaves the position (the row stays, for the record)."""
    if version is None:
        version = managed_membership(session, scope=scope, membership_id=membership_id).version
    return update_membership(session, actor=actor, scope=scope, membership_id=membership_id,
                             version=version, changes={"is_active": False},
                             action="membership.end")


def managed_membership(session: Session, *, scope: Scope, membership_id: int) -> Membership:
    membership = session.scalar(select(Membership).join(Unit, Unit.id == Membership.unit_id)
                                .where(Membership.id == membership_id, manageable(scope)))
    if membership is None:
        raise NotFound(f"no membership {membership_id} in your scope",
                       code="membership_not_found")
    return membership


_MEMBERS = """
    SELECT m.id, m.unit_id, un.name AS unit_name, m.user_id, u.username, u.full_name,
           u.role, m.position, m.credential_number, m.credential_issuer,
           m.credential_expires_on, m.is_active, m.version
    FROM membership m JOIN app_user u ON u.id = m.user_id JOIN unit un ON un.id = m.unit_id
"""
_MEMBERS_OF_UNIT = text(_MEMBERS + """
    WHERE m.unit_id = :unit AND (CAST(:position AS text) IS NULL OR m.position = :position)
      AND (m.is_active OR :ended)
    ORDER BY m.position, u.username""")
_ONE_MEMBERSHIP = text(_MEMBERS + " WHERE m.id = :id")


def list_members(session: Session, *, scope: Scope, unit_id: int, position: str | None = None,
                 include_ended: bool = False, on: date | None = None) -> list[dict]:
    """The members of a unit the caller reads, with whether each credential is valid."""
    unit = read_unit(session, scope=scope, unit_id=unit_id)
    day = on or today()
    rows = session.execute(_MEMBERS_OF_UNIT, {"unit": unit.id, "ended": include_ended,
                                          "position": _position(position) if position else None})
    return [membership_view(row._asdict(), on=day) for row in rows]


def membership_view(row: dict, *, on: date) -> dict:
    expires = row["credential_expires_on"]
    return {**row, "position_label": POSITION_LABELS[Position(row["position"])],
            "credential_valid": None if expires is None else on <= expires}


def membership_out(session: Session, membership: Membership, *, on: date | None = None) -> dict:
    """One membership as list_members shows it."""
    row = session.execute(_ONE_MEMBERSHIP, {"id": membership.id}).one()
    return membership_view(row._asdict(), on=on or today())


# --- checks -----------------------------------------------------------------------------

def _user_in_scope(session: Session, scope: Scope, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id,
                                             scope.column_condition(User.scope_code)))
    if user is None:
        raise NotFound(f"no user {user_id} in your scope", code="user_not_found")
    if not user.is_active:
        raise InvalidInput(f"user {user.username} is deactivated", code="user_inactive")
    return user


def _position(position: str) -> str:
    try:
        return str(Position(position))
    except ValueError:
        raise InvalidInput(f"unknown position {position!r}: one of {', '.join(Position)}",
                           code="membership_position_unknown") from None


def _credential(position: str, number: str | None, issuer: str | None,
                expires_on: date | None, *, on: date, allow_expired: bool = False) -> dict:
    """The credential's fields, checked: all three or none; required for the positions
    that act for the law; not expired when recorded."""
    number = number.strip() if number else None
    issuer = issuer.strip() if issuer else None
    given = [value is not None for value in (number, issuer, expires_on)]
    if position in CREDENTIAL_POSITIONS and not all(given):
        raise InvalidInput(f"a {POSITION_LABELS[Position(position)]} needs an 执法证: "
                           "credential number, issuer and expiry",
                           code="membership_credential_required")
    if any(given) and not all(given):
        raise InvalidInput("a credential needs its number, issuer and expiry together",
                           code="membership_credential_incomplete")
    if number is not None:
        if not _CREDENTIAL_NUMBER.fullmatch(number):
            raise InvalidInput("a credential number has 4-40 letters, digits, CJK "
                               "characters, '-' or brackets", code="membership_credential_number")
        if not 2 <= len(issuer) <= 100:
            raise InvalidInput("a credential issuer has 2-100 characters",
                               code="membership_credential_issuer")
        if expires_on < on and not allow_expired:
            raise InvalidInput(f"the 执法证 {number} expired on {expires_on.isoformat()}",
                               code="membership_credential_expired")
    return {"credential_number": number, "credential_issuer": issuer,
            "credential_expires_on": expires_on}


def _check_credential_holder(session: Session, number: str | None, user_id: int, *,
                             except_id: int | None = None) -> None:
    """A 执法证 is personal: its number on another person's active membership is a typo
    or a borrowed card."""
    if number is None:
        return
    other = session.scalar(select(Membership.user_id).where(
        Membership.credential_number == number, Membership.is_active,
        Membership.user_id != user_id, Membership.id != (except_id or 0)).limit(1))
    if other is not None:
        raise Conflict(f"the 执法证 {number} is another person's",
                       code="membership_credential_taken")


def _check_position_free(session: Session, membership: Membership, position: str) -> None:
    other = session.scalar(select(Membership.id).where(
        Membership.user_id == membership.user_id, Membership.unit_id == membership.unit_id,
        Membership.position == position, Membership.id != membership.id))
    if other is not None:
        raise Conflict(f"membership {other} holds that position already (ended or not): "
                       "edit that one", code="membership_exists", membership_id=other)


def _audit_view(membership: Membership) -> dict:
    expires = membership.credential_expires_on
    return {"user_id": membership.user_id, "unit_id": membership.unit_id,
            "position": membership.position, "credential_number": membership.credential_number,
            "credential_issuer": membership.credential_issuer,
            "credential_expires_on": expires.isoformat() if expires else None,
            "is_active": membership.is_active}
