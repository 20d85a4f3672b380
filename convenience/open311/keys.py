"""Open311 API keys, one per app: made, listed and revoked by admins (`gridgov open311 key
…`). A key is shown once; only its SHA-256 is stored, so a stolen table gives no key."""

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from convenience.open311.models import ApiKey
from core import audit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound

KEY_BYTES = 24  # 192 bits, 32 URL-safe characters


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, *, app_name: str, actor: str) -> tuple[ApiKey, str]:
    """A new key for `app_name` (one live key per app name); (row, the key, shown once)."""
    app_name = app_name.strip()
    if not app_name or len(app_name) > 100:
        raise InvalidInput("an app name of 1 to 100 characters", code="app_name_invalid")
    if session.scalar(select(ApiKey.id).where(ApiKey.app_name == app_name,
                                              ApiKey.revoked_at.is_(None))) is not None:
        raise Conflict(f"app {app_name!r} has a key already: revoke it first, or name the "
                       "app differently", code="app_has_key")
    key = secrets.token_urlsafe(KEY_BYTES)
    row = ApiKey(app_name=app_name, key_hash=hash_key(key), key_prefix=key[:8],
                 created_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="open311.key_create", subject_type="open311_key",
                 subject_id=row.id, after={"app": app_name, "prefix": row.key_prefix})
    return row, key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.app_name, ApiKey.id)))


def revoke_key(session: Session, *, app_name: str, actor: str) -> ApiKey:
    """Revoke the app's key: POSTs with it get 403 from now on. The row stays (its requests
    name it); the app may be given a new key."""
    row = session.scalar(select(ApiKey).where(ApiKey.app_name == app_name,
                                              ApiKey.revoked_at.is_(None)).with_for_update())
    if row is None:
        raise NotFound(f"no app {app_name!r} with a live key", code="app_unknown")
    row.revoked_at = datetime.now(UTC)
    audit.record(session, actor=actor, action="open311.key_revoke", subject_type="open311_key",
                 subject_id=row.id, after={"app": app_name})
    return row


def app_of_key(session: Session, key: str | None) -> ApiKey:
    """The app a POST's `api_key` belongs to; Forbidden (403) when missing, unknown or
    revoked (GeoReport v2, Errors: 403 - Missing or Invalid API Key)."""
    require_key(key)
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    check_key(None if row is None else {"id": row.id, "revoked": row.revoked_at is not None})
    return row


def require_key(key: str | None) -> None:
    """A POST without `api_key`: 403 before anything is read."""
    if not key:
        raise Forbidden("api_key is required to create a service request",
                        code="api_key_missing")


def check_key(found: dict | None) -> int:
    """The key's id from its row ({"id", "revoked"}, or None: no such key); 403 when
    unknown or revoked."""
    if found is None or found["revoked"]:
        raise Forbidden("invalid api_key received -- can't proceed with create_request",
                        code="api_key_invalid")
    return found["id"]


def key_dict(row: ApiKey) -> dict:
    return {"app": row.app_name, "prefix": row.key_prefix, "created_by": row.created_by,
            "created_at": row.created_at, "revoked_at": row.revoked_at}
