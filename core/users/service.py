"""Accounts: creation and edits (audited), login with throttling, token refresh and logout."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.audit import record
from core.errors import Conflict, InvalidInput, NotFound, RecordedRefusal, Unauthorized
from core.idnumbers import id_number_problem, phone_problem
from core.scope import Scope
from core.security import (
    Principal,
    check_password,
    create_access_token,
    hash_password,
    new_refresh_token,
    verify_password,
)
from core.settings import Settings
from core.throttle import LoginThrottle
from core.users.enums import Role
from core.users.models import RefreshToken, User

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
BAD_CREDENTIALS = "wrong user name or password"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.scope_code)


# --- accounts -------------------------------------------------------------------------

def create_user(
    session: Session, *, actor: str, scope: Scope, username: str, password: str,
    role: Role | str,
    scope_code: str, full_name: str = "", phone: str | None = None,
    id_number: str | None = None, password_hash: str | None = None,
) -> User:
    """A new account; `password_hash` lets bulk demo loads hash one password once."""
    if not _USERNAME.fullmatch(username):
        raise InvalidInput("a user name has 3-64 letters, digits, '.', '_' or '-'")
    if password_hash is None:
        check_password(password, username=username)
        password_hash = hash_password(password)
    _check_personal_data(phone=phone, id_number=id_number)
    _check_scope(session, scope, scope_code)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the user name {username} is taken")
    user = User(username=username, password_hash=password_hash, role=str(Role(role)),
                scope_code=scope_code, full_name=full_name, phone=phone,
                id_number=id_number.strip().upper() if id_number else None)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.create", subject_type="user",
           subject_id=str(user.id), after=_audit_view(user))
    return user


def get_user(session: Session, *, user_id: int, scope: Scope) -> User:
    """A user whose scope lies inside the caller's; any other is 'not found'."""
    user = session.scalar(select(User).where(User.id == user_id, *_within(scope)))
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def list_users(session: Session, *, scope: Scope, limit: int, offset: int) -> list[User]:
    return list(session.scalars(select(User).where(*_within(scope))
                                .order_by(User.id).limit(limit).offset(offset)))


def update_user(
    session: Session, *, actor: str, scope: Scope, user_id: int, version: int,
    changes: dict,
) -> User:
    """Apply changes read at `version`; a concurrent edit in between gets 409, not lost."""
    user = get_user(session, user_id=user_id, scope=scope)
    if user.version != version:
        raise Conflict(f"user {user_id} was changed meanwhile (version {user.version}, "
                       f"not {version}): reload and try again")
    before = _audit_view(user)
    if "password" in changes:
        password = changes.pop("password")
        check_password(password, username=user.username)
        user.password_hash = hash_password(password)
    _check_personal_data(phone=changes.get("phone"), id_number=changes.get("id_number"))
    if changes.get("id_number"):
        changes["id_number"] = changes["id_number"].strip().upper()
    if "scope_code" in changes:
        _check_scope(session, scope, changes["scope_code"])
    for field, value in changes.items():
        setattr(user, field, str(Role(value)) if field == "role" else value)
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(f"user {user_id} was changed meanwhile: reload and try again") from exc
    record(session, actor=actor, action="user.update", subject_type="user",
           subject_id=str(user.id), before=before, after=_audit_view(user))
    return user


def _within(scope: Scope) -> list:
    return [User.scope_code >= scope.low, User.scope_code < scope.high]


def _check_scope(session: Session, scope: Scope, code: str) -> None:
    """The new scope area must lie inside the caller's; outside, existing or not, is 404,
    so a caller cannot probe which codes exist beyond their territory."""
    if not scope.covers_code(code):
        raise NotFound(f"no area {code} in your scope")
    if session.execute(text("SELECT 1 FROM area WHERE code = :code"), {"code": code}).first() \
            is None:
        raise InvalidInput(f"scope area {code} does not exist")


def _check_personal_data(*, phone: str | None, id_number: str | None) -> None:
    if phone and (problem := phone_problem(phone)):
        raise InvalidInput(f"phone: {problem}")
    if id_number and (problem := id_number_problem(id_number)):
        raise InvalidInput(f"id_number: {problem}")


def _audit_view(user: User) -> dict:
    # Personal data and the password hash stay out of the log; their change shows as a flag.
    return {"username": user.username, "role": user.role, "scope_code": user.scope_code,
            "full_name": user.full_name, "is_active": user.is_active,
            "has_phone": user.phone is not None, "has_id_number": user.id_number is not None}


# --- login, refresh, logout ------------------------------------------------------------

def login(
    session: Session, *, throttle: LoginThrottle, settings: Settings, username: str,
    password: str, address: str,
) -> TokenPair:
    """Tokens for valid credentials; the same 401 for any wrong part, 429 when throttled."""
    throttle.check(username=username, address=address)
    user = session.scalar(select(User).where(User.username == username))
    valid = verify_password(password, user.password_hash if user else None)
    if not valid or not user.is_active:
        throttle.failed(username=username, address=address)
        record(session, actor=username[:64], action="auth.login_failed", subject_type="user",
               subject_id=str(user.id) if user else "-", after={"address": address})
        raise RecordedRefusal(BAD_CREDENTIALS)
    throttle.succeeded(username=username)
    record(session, actor=user.username, action="auth.login", subject_type="user",
           subject_id=str(user.id), after={"address": address})
    return _issue(session, user, settings=settings, family=secrets.token_hex(16))


def refresh(session: Session, *, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent and a new pair issued in the same family.

    A spent token presented again means a copy is in someone else's hands: the whole
    family is revoked, so the thief and the owner both have to log in again.
    """
    row = session.get(RefreshToken, _digest(refresh_token), with_for_update=True)
    now = datetime.now(UTC)
    if row is None or row.expires_at <= now:
        raise Unauthorized("the refresh token is invalid or has expired")
    if row.revoked_at is not None:
        _revoke_family(session, row.family, now)
        record(session, actor="system", action="auth.refresh_reuse", subject_type="user",
               subject_id=str(row.user_id), after={"family": row.family})
        raise RecordedRefusal("the refresh token is invalid or has expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the refresh token is invalid or has expired")
    pair = _issue(session, user, settings=settings, family=row.family)
    row.revoked_at, row.replaced_by = now, _digest(pair.refresh_token)
    return pair


def logout(session: Session, *, principal: Principal, refresh_token: str) -> None:
    """Revoke the login's refresh tokens (the short-lived access token simply expires)."""
    row = session.get(RefreshToken, _digest(refresh_token))
    if row is None or row.user_id != principal.user_id:
        raise Unauthorized("the refresh token is invalid or has expired")
    _revoke_family(session, row.family, datetime.now(UTC))
    record(session, actor=principal.username, action="auth.logout", subject_type="user",
           subject_id=str(principal.user_id))


def _issue(session: Session, user: User, *, settings: Settings, family: str) -> TokenPair:
    token = new_refresh_token()
    session.add(RefreshToken(
        token_hash=_digest(token), user_id=user.id, family=family,
        expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days)))
    session.flush()
    access = create_access_token(principal_of(user), secret=settings.secret_key,
                                 minutes=settings.access_token_minutes)
    return TokenPair(access, token, settings.access_token_minutes * 60)


def _revoke_family(session: Session, family: str, now: datetime) -> None:
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def _digest(token: str) -> str:
    # Stored hashed: a leaked table holds no usable token.
    return hashlib.sha256(token.encode()).hexdigest()
