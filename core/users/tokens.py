"""Logins and tokens: login with throttling, refresh with rotation, logout, and revoking
every token of an account at once.

An access token carries the account's token epoch (app_user.token_epoch). Revoking raises
the epoch, so every access token issued before is refused at its next request
(core/deps.py `Requires`), and revokes every refresh token of the account: a logout, a new
password and a deactivation do this.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.audit import record
from core.errors import RecordedRefusal, Unauthorized
from core.security import Principal, create_access_token, new_refresh_token, verify_password
from core.settings import Settings
from core.throttle import LoginThrottle
from core.users.accounts import account_changed
from core.users.enums import Role
from core.users.models import RefreshToken, User

BAD_CREDENTIALS = "wrong user name or password"
BAD_REFRESH = "the refresh token is invalid or has expired"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.scope_code)


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
    throttle.succeeded(username=username, address=address)
    record(session, actor=user.username, action="auth.login", subject_type="user",
           subject_id=str(user.id), after={"address": address})
    return _issue(session, user, settings=settings, family=secrets.token_hex(16))


def refresh(session: Session, *, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent and a new pair issued in the same family.

    A spent token presented again means a copy is in someone else's hands: the whole
    family is revoked, so the thief and the owner both have to log in again. A token
    revoked by a logout (not spent) is simply refused.
    """
    row = session.get(RefreshToken, _digest(refresh_token), with_for_update=True)
    now = datetime.now(UTC)
    if row is None or row.expires_at <= now:
        raise Unauthorized(BAD_REFRESH)
    if row.revoked_at is not None:
        if row.replaced_by is None:
            raise Unauthorized(BAD_REFRESH)  # revoked, never spent: no theft to report
        _revoke_family(session, row.family, now)
        record(session, actor="system", action="auth.refresh_reuse", subject_type="user",
               subject_id=str(row.user_id), after={"family": row.family})
        raise RecordedRefusal(BAD_REFRESH)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized(BAD_REFRESH)
    pair = _issue(session, user, settings=settings, family=row.family)
    row.revoked_at, row.replaced_by = now, _digest(pair.refresh_token)
    return pair


def logout(session: Session, *, principal: Principal, refresh_token: str | None = None) -> None:
    """End every login of the account: its access tokens and refresh tokens, everywhere.

    A refresh token, when given, must be the caller's own (else 401 and nothing revoked).
    """
    if refresh_token is not None:
        row = session.get(RefreshToken, _digest(refresh_token))
        if row is None or row.user_id != principal.user_id:
            raise Unauthorized(BAD_REFRESH)
    revoke_tokens(session, user_id=principal.user_id, actor=principal.username,
                  reason="logout")
    record(session, actor=principal.username, action="auth.logout", subject_type="user",
           subject_id=str(principal.user_id))


def revoke_tokens(session: Session, *, user_id: int, actor: str, reason: str) -> None:
    """Every token of the account refused from now on: the epoch is raised (access tokens)
    and every refresh token revoked. Seen by every API process once this commits."""
    now = datetime.now(UTC)
    # Not through the ORM's versioned update: a logout must not make an admin's pending
    # edit of the account stale (User.version).
    session.execute(update(User).where(User.id == user_id)
                    .values(token_epoch=User.token_epoch + 1)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(RefreshToken)
                    .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    record(session, actor=actor, action="auth.tokens_revoked", subject_type="user",
           subject_id=str(user_id), after={"reason": reason})
    account_changed(session, [user_id])


def _issue(session: Session, user: User, *, settings: Settings, family: str) -> TokenPair:
    token = new_refresh_token()
    session.add(RefreshToken(
        token_hash=_digest(token), user_id=user.id, family=family,
        expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days)))
    session.flush()
    access = create_access_token(principal_of(user), secret=settings.secret_key,
                                 minutes=settings.access_token_minutes,
                                 epoch=user.token_epoch)
    return TokenPair(access, token, settings.access_token_minutes * 60)


def _revoke_family(session: Session, family: str, now: datetime) -> None:
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def _digest(token: str) -> str:
    # Stored hashed: a leaked table holds no usable token.
    return hashlib.sha256(token.encode()).hexdigest()
