"""Passwords (argon2) and access tokens (signed JWT, HS256 only)."""

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import InvalidInput, Unauthorized
from core.users.enums import Role

_HASHER = PasswordHasher()
# Verified against when the user does not exist, so both cases take the same time.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 10
_COMMON = {"password", "12345678", "123456789", "1234567890", "qwertyuiop", "iloveyou",
           "admin123", "password1", "abc123456", "woaini1314", "88888888", "gridgov"}


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        # No account (or no usable hash): spend the same time, then refuse.
        _verify(_DUMMY_HASH, password)
        return False
    return _verify(password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, username: str) -> str | None:
    """Why a password is not acceptable (policy), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    classes = sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))
    if classes < 3:
        return "a password needs three of: lower case, upper case, digits, other characters"
    lowered = password.lower()
    if username and username.lower() in lowered:
        return "a password must not contain the user name"
    if any(common in lowered for common in _COMMON):
        return "that password is too common"
    return None


def check_password(password: str, *, username: str) -> None:
    problem = password_problem(password, username=username)
    if problem:
        raise InvalidInput(problem, code="password_too_weak")


@dataclass(frozen=True)
class MembershipGrant:
    """What one membership grants: a position in a unit, over the unit's jurisdiction.

    Loaded with the account (core/units/service.py `grants_of`), never from the token, so
    a membership ended or a credential expired takes effect at the next request.
    """

    unit_id: int
    position: str
    platform: str
    department: str | None
    area_codes: tuple[str, ...]  # the unit's jurisdiction
    credential_expires_on: date | None = None  # 执法证; None: the membership holds none

    def credential_valid_on(self, day: date) -> bool:
        return self.credential_expires_on is not None and day <= self.credential_expires_on


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the token names the account; the memberships (units,
    positions, jurisdictions) are the account's current ones."""

    user_id: int
    username: str
    role: Role
    scope_code: str
    memberships: tuple[MembershipGrant, ...] = ()

    @property
    def jurisdiction(self) -> tuple[str, ...]:
        """The area codes the memberships add to the account's own scope."""
        return tuple(code for m in self.memberships for code in m.area_codes)

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(m.unit_id for m in self.memberships)

    def units_with(self, *positions: str) -> frozenset[int]:
        """The units where the user holds one of `positions` (any position when none)."""
        return frozenset(m.unit_id for m in self.memberships
                         if not positions or m.position in positions)


def create_access_token(principal: Principal, *, secret: str, minutes: int,
                        epoch: int = 0) -> str:
    """A signed access token; `epoch` is the account's token epoch now (app_user.token_epoch):
    once the account's epoch is raised, the token is refused."""
    now = datetime.now(UTC)
    claims = {"sub": str(principal.user_id), "name": principal.username,
              "role": str(principal.role), "scope": principal.scope_code, "typ": "access",
              "ep": epoch, "iat": now, "exp": now + timedelta(minutes=minutes),
              "jti": secrets.token_hex(8)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says. Only `user_id` and `epoch` decide anything: the
    account's role, scope and memberships are read from the account (core/users/cache.py)."""

    user_id: int
    epoch: int
    principal: Principal  # as the token was minted: for callers without the account


def read_access_claims(token: str, *, secret: str) -> AccessClaims:
    """The claims of a valid token. Every failure is the same 401: no hint for attackers.

    A token once verified is remembered until it expires: its signature and claims cannot
    change, and verifying it again on every request was ~4 % of a report's server CPU
    (bench/README.md, intake). Failures are not remembered."""
    key = (token, secret)
    remembered = _VERIFIED.get(key)
    if remembered is not None and time.time() < remembered[0]:
        return remembered[1]
    expires, claims = _verified(token, secret)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()  # past the bound, start afresh (re-verifying costs little)
    _VERIFIED[key] = (expires, claims)
    return claims


# (token, secret) → (exp, claims): the tokens verified in this process, until they expire.
# ~0.9 KB an entry with its token: 20,000 (a city's field staff, each with a token of
# 15 minutes, for an hour and more) hold ~18 MB.
_VERIFIED: dict[tuple[str, str], tuple[float, AccessClaims]] = {}
_VERIFIED_MAX = 20_000


def _verified(token: str, secret: str) -> tuple[float, AccessClaims]:
    try:
        # One algorithm only: 'none' and algorithm confusion are refused by PyJWT here.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "typ", "ep"]})
        if claims["typ"] != "access":
            raise jwt.InvalidTokenError("not an access token")
        epoch = claims["ep"]
        if type(epoch) is not int:  # noqa: E721  (bool is an int subclass: not an epoch)
            raise jwt.InvalidTokenError("bad epoch")
        user_id = int(claims["sub"])
        principal = Principal(user_id, claims["name"], Role(claims["role"]), claims["scope"])
        # PyJWT refuses a token once `exp <= now`: remembered while `now < exp`.
        return float(claims["exp"]), AccessClaims(user_id, epoch, principal)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("the token is invalid or has expired") from exc


def read_access_token(token: str, *, secret: str) -> Principal:
    """The principal as the token was minted (no account check: see core/deps.py)."""
    return read_access_claims(token, secret=secret).principal


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


# --- the signing key ----------------------------------------------------------------------

MIN_SECRET_BYTES = 32


class UnsafeSecretKey(RuntimeError):
    """The process refuses to start: its SECRET_KEY would let anyone forge tokens."""


def secret_key_problem(settings) -> str | None:
    """Why the settings' SECRET_KEY may not sign tokens here, or None."""
    from core.settings import DEVELOPMENT_SECRET_KEY

    if settings.environment in ("development", "test"):
        return None
    if settings.secret_key == DEVELOPMENT_SECRET_KEY:
        return ("SECRET_KEY is the development default, which anyone can read in the source "
                "and use to forge an admin's token")
    if len(settings.secret_key.encode()) < MIN_SECRET_BYTES:
        return f"SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes"
    return None


def require_safe_secret(settings, *, who: str) -> None:
    """Refuse to start `who` (the API, the worker) with an unsafe key outside development
    and tests; the message says what to do."""
    problem = secret_key_problem(settings)
    if problem:
        raise UnsafeSecretKey(
            f"{who} refuses to start in {settings.environment}: {problem}. Set SECRET_KEY "
            f"(environment or .env) to a random string of at least {MIN_SECRET_BYTES} bytes, "
            "e.g. python -c \"import secrets; print(secrets.token_urlsafe(48))\", or set "
            "ENVIRONMENT=development on a development machine.")
