"""A draw's set-based steps: the candidate listing built by the database, and the result
stored in two statements — for a city's register of 500,000 entities.

The profile of a city-wide draw (bench/market_draws.py --profile) put a third of its time
in moving the register through Python twice (500,000 tuples fetched, sorted, formatted)
and a third in storing the result, most of it the per-row foreign-key checks of the
pairings (3 checks × 58,000 rows: 3.2 of 3.9 s in EXPLAIN ANALYZE). So:

- the canonical candidate list (draws.candidates_text: `uscc<TAB>stratum` lines sorted by
  code) is aggregated by PostgreSQL in one value; the code column is `COLLATE "C"`, whose
  byte order is Python's order of the (ASCII) codes, so the text is the same, byte for
  byte (a test compares them);
- the targets go in by COPY into a temporary table, then one INSERT … SELECT that finds
  each entity by its code; the pairings by one INSERT … SELECT joining the targets just
  stored. The pairings keep a copy of the inspector (membership, account, name, 执法证) as
  history, without per-row foreign keys to the membership and the account: both are
  validated once, by one anti-join, before the draw is stored (migration 0024).
"""

import re

from sqlalchemy.orm import Session

from core.errors import Conflict
from market_supervision.register import draws

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
    """user id → the codes of the candidates they declared a conflict with."""
    if not user_ids:
        return {}
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT c.user_id, e.uscc FROM market_inspector_conflict c "
            "JOIN market_entity e ON e.id = c.entity_id "
            f"WHERE c.user_id = ANY(%(conflict_users)s) AND e.id IN (SELECT s.id FROM ({sql}) "
            "AS s(id, uscc, stratum))", {**params, "conflict_users": user_ids})
        found: dict[int, set[str]] = {}
        for user_id, uscc in cursor.fetchall():
            found.setdefault(user_id, set()).add(uscc)
        return found


STAGE_TARGETS = """CREATE TEMP TABLE market_draw_staged_target (
    ordinal int, uscc text COLLATE "C", stratum text, score text) ON COMMIT DROP"""
STAGE_PAIRS = """CREATE TEMP TABLE market_draw_staged_pair (
    ordinal int, n int, membership_id bigint, user_id bigint, name text,
    credential_number text) ON COMMIT DROP"""

STORE_TARGETS = """
INSERT INTO market_draw_target (draw_id, entity_id, ordinal, uscc, stratum, score)
SELECT %(draw)s, e.id, s.ordinal, s.uscc, s.stratum, s.score
FROM market_draw_staged_target s JOIN market_entity e ON e.uscc = s.uscc
ORDER BY s.ordinal"""

STORE_PAIRS = """
INSERT INTO market_draw_target_inspector (target_id, membership_id, user_id, ordinal, name,
                                          credential_number)
SELECT t.id, p.membership_id, p.user_id, p.n, p.name, p.credential_number
FROM market_draw_staged_pair p JOIN market_draw_target t
    ON t.draw_id = %(draw)s AND t.ordinal = p.ordinal"""

# The pool's memberships and accounts, checked once for the whole draw (the foreign keys
# the pairings no longer check row by row).
UNKNOWN_MEMBERS = """
SELECT DISTINCT p.credential_number FROM market_draw_staged_pair p
WHERE NOT EXISTS (SELECT 1 FROM membership m
                  WHERE m.id = p.membership_id AND m.user_id = p.user_id)"""


def _copy_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def store(session: Session, *, draw_id: int, pool: list[dict],
          result: draws.Result) -> None:
    """The targets and their inspectors (`pool`: the draw's frozen pool, by 执法证)."""
    members = {p["key"]: p for p in pool}
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS market_draw_staged_target, "
                       "market_draw_staged_pair")
        cursor.execute(STAGE_TARGETS)
        cursor.execute(STAGE_PAIRS)
        with cursor.copy("COPY market_draw_staged_target FROM STDIN") as copy:
            copy.write("".join(f"{t.ordinal}\t{t.uscc}\t{t.stratum}\t{t.score}\n"
                               for t in result.targets))
        with cursor.copy("COPY market_draw_staged_pair FROM STDIN") as copy:
            copy.write("".join(
                f"{t.ordinal}\t{n}\t{members[key]['membership_id']}\t"
                f"{members[key]['user_id']}\t{_copy_text(members[key]['name'])}\t"
                f"{_copy_text(key)}\n"
                for t in result.targets for n, key in enumerate(t.inspectors, start=1)))
        # Statistics for the joins below (a temporary table has none of its own).
        cursor.execute("ANALYZE market_draw_staged_target, market_draw_staged_pair")
        cursor.execute(UNKNOWN_MEMBERS)
        unknown = [row[0] for row in cursor.fetchall()]
        if unknown:
            raise Conflict(
                f"抽中的检查人员已不在名录中：{', '.join(sorted(unknown))}",
                code="inspector_gone", credential_numbers=sorted(unknown))
        cursor.execute(STORE_TARGETS, {"draw": draw_id})
        if cursor.rowcount != len(result.targets):
            raise Conflict("抽中的检查对象已不在名录中", code="entity_gone")
        cursor.execute(STORE_PAIRS, {"draw": draw_id})
