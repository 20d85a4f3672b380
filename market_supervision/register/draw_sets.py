"""A draw's set-based steps: the candidate listing built by the database, and the result
stored by COPY — for a city's register of 500,000 entities.

- the canonical candidate list (draws.candidates_text: `uscc<TAB>stratum` lines sorted by
  code) is aggregated by PostgreSQL in one value; the code column is `COLLATE "C"`, whose
  byte order is Python's order of the (ASCII) codes, so the text is the same, byte for
  byte (a test compares them);
- an inspector's conflicts: the pool's declarations joined to the candidate conditions by
  the entity's key (an index lookup per declaration, EXPLAIN ANALYZE);
- the result: the drawn inspectors' memberships and accounts checked once (the pairings
  keep a copy of the inspector as history, without per-row foreign keys to them,
  migration 0024), the drawn entities found (and locked) by code in one statement, the
  targets' ids taken from their sequence, then the targets and the pairings each go
  straight into their table by one COPY — no staging tables, no join back. Anything
  missing is refused (409) before the first row is written.
"""

import re

from sqlalchemy.orm import Session

from core.errors import Conflict
from market_supervision.register import draws
from market_supervision.register.import_staging import copy_text

_STRATUM = re.compile(r"\t[^\n]*")


def listing(session: Session, sql: str, params: dict) -> str:
    """The canonical internal candidate list (draws.candidates_text) of the candidate
    query `sql` (id, uscc, stratum; drawing._candidate_sql), built by the database."""
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(string_agg(c.uscc || E'\\t' || c.stratum || E'\\n', '' "
            f"ORDER BY c.uscc), '') FROM ({sql}) AS c(id, uscc, stratum)", params)
        return cursor.fetchone()[0]


def public_listing(internal: str) -> str:
    """The public list (draws.public_candidates_text) from the internal one: the codes
    alone, in the same order."""
    return _STRATUM.sub("", internal)


def conflicts_among(session: Session, sql: str, params: dict,
                    user_ids: list[int]) -> dict[int, set[str]]:
    """user id → the codes of the candidates they declared a conflict with (driven by the
    pool's few declarations, each entity found by its key)."""
    if not user_ids:
        return {}
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT c.user_id, s.uscc FROM market_inspector_conflict c "
            f"JOIN ({sql}) AS s(id, uscc, stratum) ON s.id = c.entity_id "
            "WHERE c.user_id = ANY(%(conflict_users)s)", {**params, "conflict_users": user_ids})
        found: dict[int, set[str]] = {}
        for user_id, uscc in cursor.fetchall():
            found.setdefault(user_id, set()).add(uscc)
        return found


# The pool's memberships and accounts, checked once for the whole draw (the foreign keys
# the pairings no longer check row by row).
UNKNOWN_MEMBERS = """
SELECT p.key FROM unnest(%(memberships)s::bigint[], %(users)s::bigint[], %(keys)s::text[])
    AS p(membership_id, user_id, key)
WHERE NOT EXISTS (SELECT 1 FROM membership m
                  WHERE m.id = p.membership_id AND m.user_id = p.user_id)"""
# Locked as the targets' foreign keys would lock them: an entity deleted meanwhile is a
# 409 here, never a foreign-key error halfway through the COPY.
# The codes travel as one text (a 29,000-element array parameter costs its dumping).
ENTITY_IDS = ("SELECT uscc, id FROM market_entity "
              "WHERE uscc = ANY(string_to_array(%(codes)s, E'\\n')) FOR KEY SHARE")
# The targets' ids taken from their sequence up front, so the pairings can name them
# and both go straight in by COPY: no staging tables, no join back by (draw, ordinal).
TARGET_IDS = ("SELECT nextval(pg_get_serial_sequence('market_draw_target', 'id')) "
              "FROM generate_series(1, %(n)s)")
COPY_TARGETS = ("COPY market_draw_target (id, draw_id, entity_id, ordinal, uscc, stratum, "
                "score) FROM STDIN")
COPY_PAIRS = ("COPY market_draw_target_inspector (target_id, ordinal, membership_id, user_id, "
              "name, credential_number) FROM STDIN")


def _check_members(cursor, members: list[dict]) -> None:
    cursor.execute(UNKNOWN_MEMBERS, {"memberships": [m["membership_id"] for m in members],
                                     "users": [m["user_id"] for m in members],
                                     "keys": [m["key"] for m in members]})
    unknown = sorted(row[0] for row in cursor.fetchall())
    if unknown:
        raise Conflict(f"抽中的检查人员已不在名录中：{', '.join(unknown)}",
                       code="inspector_gone", credential_numbers=unknown)


def _entity_ids(cursor, targets: list[draws.Target]) -> dict[str, int]:
    cursor.execute(ENTITY_IDS, {"codes": "\n".join(t.uscc for t in targets)})
    found = dict(cursor.fetchall())
    if len(found) != len(targets):
        raise Conflict("抽中的检查对象已不在名录中", code="entity_gone")
    return found


def store(session: Session, *, draw_id: int, pool: list[dict],
          result: draws.Result) -> None:
    """The targets and their inspectors (`pool`: the draw's frozen pool, by 执法证);
    nothing is written when an inspector or an entity is gone (409)."""
    members = {p["key"]: p for p in pool}
    # Each drawn inspector's columns as COPY text once, not once per pairing.
    copied = {key: f"{m['membership_id']}\t{m['user_id']}\t{copy_text(m['name'])}\t"
                   f"{copy_text(key)}" for key, m in members.items()}
    targets = result.targets
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        drawn = {key for t in targets for key in t.inspectors}
        _check_members(cursor, [members[key] for key in sorted(drawn)])
        entity = _entity_ids(cursor, targets)
        cursor.execute(TARGET_IDS, {"n": len(targets)})
        ids = sorted(row[0] for row in cursor.fetchall())  # ascending with the ordinal
        with cursor.copy(COPY_TARGETS) as copy:
            copy.write("".join(
                f"{target_id}\t{draw_id}\t{entity[t.uscc]}\t{t.ordinal}\t{copy_text(t.uscc)}\t"
                f"{copy_text(t.stratum)}\t{t.score}\n"
                for target_id, t in zip(ids, targets, strict=True)))
        with cursor.copy(COPY_PAIRS) as copy:
            copy.write("".join(
                f"{target_id}\t{n}\t{copied[key]}\n"
                for target_id, t in zip(ids, targets, strict=True)
                for n, key in enumerate(t.inspectors, start=1)))
