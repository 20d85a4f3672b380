"""Idempotency keys (DESIGN.md: a retried or replayed submission is stored once).

A subject created from the field carries the submitter's key and a fingerprint of the
request in its own row, under a unique index on (submitter, key). A replay finds the first
row and returns it; the same key with another body is the client's bug (422); two copies
racing each other meet at the unique index, and the loser returns the winner's row.
"""

import hashlib
import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import InvalidInput

MAX_KEY_LENGTH = 128


def checked_key(key: str | None) -> str:
    if not key or not key.strip():
        raise InvalidInput("an Idempotency-Key header is required: a retried submission must "
                           "carry the key of its first attempt", code="idempotency_key_missing")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"the Idempotency-Key is longer than {MAX_KEY_LENGTH} characters",
                           code="idempotency_key_too_long")
    return key.strip()


def fingerprint(data: BaseModel) -> str:
    """What a replay must repeat: the same key with another body is a client bug."""
    body = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def replayed(session: Session, model: type, *, submitter_column: str, submitter: int,
             key: str, request_hash: str) -> Any | None:
    """The row first submitted with this key, or None; 422 when its body differs."""
    first = session.scalar(select(model).where(getattr(model, submitter_column) == submitter,
                                               model.idempotency_key == key))
    if first is not None and first.request_hash != request_hash:
        raise InvalidInput("this Idempotency-Key was used for a different submission; a new "
                           "one needs a new key", code="idempotency_key_reused",
                           subject_id=first.id)
    return first


def inserted(session: Session, row: Any, *, constraint: str) -> bool:
    """Insert in a savepoint; False when the key's unique index (`constraint`) refuses it
    because a concurrent copy of the same submission won."""
    savepoint = session.begin_nested()
    try:
        session.add(row)
        session.flush()
    except IntegrityError as exc:
        savepoint.rollback()
        if constraint in str(exc.orig):
            return False
        raise
    savepoint.commit()
    return True
