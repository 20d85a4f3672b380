"""Passwords (argon2) and access tokens (signed JWT, HS256 only)."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
        raise InvalidInput(problem)


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, read from the access token alone (no database round trip)."""

    user_id: int
    username: str
    role: Role
    scope_code: str


def create_access_token(principal: Principal, *, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(principal.user_id), "name": principal.username,
              "role": str(principal.role), "scope": principal.scope_code, "typ": "access",
              "iat": now, "exp": now + timedelta(minutes=minutes),
              "jti": secrets.token_hex(8)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(token: str, *, secret: str) -> Principal:
    """The principal of a valid token. Every failure is the same 401: no hint for attackers."""
    try:
        # One algorithm only: 'none' and algorithm confusion are refused by PyJWT here.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "typ"]})
        if claims["typ"] != "access":
            raise jwt.InvalidTokenError("not an access token")
        return Principal(int(claims["sub"]), claims["name"], Role(claims["role"]),
                         claims["scope"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized("the token is invalid or has expired") from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)
