"""Accounts: creation and edits (audited). Logins and tokens: core/users/tokens.py."""

import re

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.audit import record
from core.errors import Conflict, InvalidInput, NotFound
from core.idnumbers import id_number_problem, phone_problem
from core.scope import Scope
from core.security import check_password, hash_password
from core.throttle import LoginThrottle
from core.users.accounts import account_changed
from core.users.enums import Role
from core.users.models import User
from core.users.tokens import revoke_tokens

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


# --- accounts -------------------------------------------------------------------------

def create_user(
    session: Session, *, actor: str, scope: Scope, username: str, password: str,
    role: Role | str,
    scope_code: str, full_name: str = "", phone: str | None = None,
    id_number: str | None = None, password_hash: str | None = None,
) -> User:
    """A new account; `password_hash` lets bulk demo loads hash one password once."""
    if not _USERNAME.fullmatch(username):
        raise InvalidInput("a user name has 3-64 letters, digits, '.', '_' or '-'",
                           code="username_invalid")
    if password_hash is None:
        check_password(password, username=username)
        password_hash = hash_password(password)
    _check_personal_data(phone=phone, id_number=id_number)
    _check_scope(session, scope, scope_code)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the user name {username} is taken", code="username_taken")
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
        raise NotFound(f"no user {user_id}", code="user_not_found")
    return user


def list_users(session: Session, *, scope: Scope, limit: int, offset: int,
               search: str | None = None) -> list[User]:
    """Users inside the scope, by id; `search`: words in the user name or the name."""
    query = select(User).where(*_within(scope))
    if search and search.strip():
        pattern = f"%{_like_escaped(search.strip())}%"
        query = query.where(or_(User.username.ilike(pattern, escape="\\"),
                                User.full_name.ilike(pattern, escape="\\")))
    return list(session.scalars(query.order_by(User.id).limit(limit).offset(offset)))


def _like_escaped(words: str) -> str:
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def update_user(
    session: Session, *, actor: str, scope: Scope, user_id: int, version: int,
    changes: dict,
) -> User:
    """Apply changes read at `version`; a concurrent edit in between gets 409, not lost."""
    user = get_user(session, user_id=user_id, scope=scope)
    if user.version != version:
        raise Conflict(f"user {user_id} was changed meanwhile (version {user.version}, "
                       f"not {version}): reload and try again", code="user_stale")
    before = _audit_view(user)
    new_password = "password" in changes
    if new_password:
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
        raise Conflict(f"user {user_id} was changed meanwhile: reload and try again",
                       code="user_stale") from exc
    record(session, actor=actor, action="user.update", subject_type="user",
           subject_id=str(user.id), before=before, after=_audit_view(user))
    if new_password or changes.get("is_active") is False:
        # A new password or a deactivation ends every login at once, tokens included.
        revoke_tokens(session, user_id=user.id, actor=actor,
                      reason="password" if new_password else "deactivated")
    elif RIGHTS & changes.keys():
        account_changed(session, [user.id])  # the next request sees the new role or scope
    return user


# What a request's Principal is made of: a change is seen at the account's next request.
RIGHTS = frozenset({"role", "scope_code", "is_active"})


def unlock_login(session: Session, *, throttle: LoginThrottle, actor: str, scope: Scope,
                 user_id: int) -> int:
    """An admin lifts the login throttle of an account in their scope (audited); the number
    of throttle entries removed. Raises when Redis cannot be reached."""
    user = get_user(session, user_id=user_id, scope=scope)
    removed = throttle.unlock(username=user.username)
    record(session, actor=actor, action="auth.unlock", subject_type="user",
           subject_id=str(user.id), after={"removed": removed})
    return removed


def _within(scope: Scope) -> list:
    return [scope.column_condition(User.scope_code)]


def _check_scope(session: Session, scope: Scope, code: str) -> None:
    """The new scope area must lie inside the caller's; outside, existing or not, is 404,
    so a caller cannot probe which codes exist beyond their territory."""
    if not scope.covers_code(code):
        raise NotFound(f"no area {code} in your scope", code="scope_area_outside")
    if session.execute(text("SELECT 1 FROM area WHERE code = :code"), {"code": code}).first() \
            is None:
        raise InvalidInput(f"scope area {code} does not exist", code="scope_area_unknown")


def _check_personal_data(*, phone: str | None, id_number: str | None) -> None:
    if phone and (problem := phone_problem(phone)):
        raise InvalidInput(f"phone: {problem}", code="phone_invalid")
    if id_number and (problem := id_number_problem(id_number)):
        raise InvalidInput(f"id_number: {problem}", code="id_number_invalid")


def _audit_view(user: User) -> dict:
    # Personal data and the password hash stay out of the log; their change shows as a flag.
    return {"username": user.username, "role": user.role, "scope_code": user.scope_code,
            "full_name": user.full_name, "is_active": user.is_active,
            "has_phone": user.phone is not None, "has_id_number": user.id_number is not None}
