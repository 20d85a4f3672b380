"""Idempotency keys (DESIGN.md: a retried or replayed submission is stored once).

A subject created from the field carries the submitter's key and a fingerprint of the
request in its own row, under a unique index on (submitter, key). A replay finds the first
row and returns it; the same key with another body is the client's bug (422); two copies
racing each other meet at the unique index, and the loser returns the winner's row.
"""

import hashlib
import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ClauseElement, inspect, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

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
    # Two columns first: nearly every key is new, and loading the whole row on the hottest
    # write path (the report) costs more than the query (bench/README.md, intake profile).
    seen = session.execute(select(model.id, model.request_hash).where(
        getattr(model, submitter_column) == submitter, model.idempotency_key == key)).first()
    if seen is None:
        return None
    if seen.request_hash != request_hash:
        raise InvalidInput("this Idempotency-Key was used for a different submission; a new "
                           "one needs a new key", code="idempotency_key_reused",
                           subject_id=seen.id)
    return session.get(model, seen.id)


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


def insert_once(session: Session, row: Any, *, key_columns: tuple[str, ...]) -> bool:
    """Insert `row` unless a row with the same key (`key_columns`, a unique index) is
    there; True when this call wrote it. One statement, `INSERT … ON CONFLICT DO NOTHING
    RETURNING id`: no lookup before it and no savepoint around it, since nearly every key
    on the hottest write (a report) is new (bench/README.md, intake). A concurrent copy
    of the same submission waits for this one's transaction at the unique index, then
    writes nothing: the caller reads the winner with `replayed`.

    The written row becomes the session's persistent object as if it had been loaded:
    what the caller set is its state, and what the database filled in (server defaults,
    columns set to SQL expressions) is read back on first access."""
    mapper = inspect(type(row))
    table = mapper.local_table
    values = {column.key: getattr(row, attr.key) for attr in mapper.column_attrs
              for column in attr.columns if column.table is table and attr.key in row.__dict__}
    # Plain values as parameters of a statement built once per table and key; only SQL
    # expressions (a geometry from ST_MakePoint) are put into it each time.
    expressions = {key: value for key, value in values.items()
                   if isinstance(value, ClauseElement)}
    statement = _insert_once_statement(table, tuple(key_columns))
    if expressions:
        statement = statement.values(expressions)
    written = session.execute(statement, {key: value for key, value in values.items()
                                          if key not in expressions}).first()
    if written is None:
        return False
    for column, value in zip(mapper.primary_key, written, strict=True):
        setattr(row, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(row)
    session.add(row)
    if expressions:  # e.g. a geometry from ST_MakePoint: the database's value, when asked
        session.expire(row, list(expressions))
    _known_defaults(row, mapper)
    return True


@lru_cache(maxsize=64)
def _insert_once_statement(table, key_columns: tuple[str, ...]):
    return (insert(table).on_conflict_do_nothing(index_elements=list(key_columns))
            .returning(*table.primary_key.columns))


def _known_defaults(row: Any, mapper) -> None:
    """The columns the caller left unset hold what the INSERT gave them: NULL, or a
    constant Python-side default. Known as loaded, so reading one (the 201's body reads
    most) does not load the row again; a server default is read back when asked."""
    for attr in mapper.column_attrs:
        if attr.key in row.__dict__ or len(attr.columns) != 1:
            continue
        column = attr.columns[0]
        if column.server_default is not None or column.primary_key:
            continue
        if column.default is None:
            set_committed_value(row, attr.key, None)
        elif column.default.is_scalar:
            set_committed_value(row, attr.key, column.default.arg)
