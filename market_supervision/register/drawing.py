"""Draws as the units run them: commit (publish the hashes), draw (reveal the seed, run
draws.py on the committed inputs, store the result), verify (run it again and compare).

The inputs are frozen at commitment: the candidate list (the task's filtered register, each
entity with its risk class of the month), the ratio table in force, the task's items and
the inspector pool (who holds a valid 执法证 in an implementing unit, their items, their
declared conflicts among the candidates). The register may change afterwards; the draw and
every re-run use the frozen inputs.
"""

import gzip
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.canonical_json import canonical_json
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from market_supervision.register import draw_sets, draws
from market_supervision.register.entities import month_start
from market_supervision.register.enums import DrawState, TaskState
from market_supervision.register.inspectors import pool as inspector_pool
from market_supervision.register.models import (
    Draw,
    RatioRule,
    Task,
)
from market_supervision.register.plans import get_task, task_item_codes, task_units

# An entity without a class for the month nor a current one is drawn as 一般风险 (B):
# the practice of 国市监信发〔2022〕6号 (未分类的按一般风险对待). Recorded with each draw.
UNCLASSIFIED_AS = "B"


class DrawRefused(InvalidInput):
    code = "draw_impossible"


@dataclass(frozen=True)
class Verification:
    matches: bool
    differences: list[str]


# —— the candidate list ——

def _candidate_sql(task: Task) -> tuple[str, dict]:
    """The task's filtered register (定向: its filters; 不定向: its whole area), sorted;
    psycopg placeholders (run on the driver's cursor)."""
    scope = Scope.of_areas([task.area_code])
    conditions = ["e.status = 'active'", scope.code_condition("e.area_code", pyformat=True)]
    params: dict = {**scope.params}
    filters = task.filters or {}
    if filters.get("types"):
        conditions.append("e.type = ANY(%(types)s)")
        params["types"] = filters["types"]
    if filters.get("industries"):
        conditions.append("e.industry LIKE ANY(%(industries)s)")
        params["industries"] = [f"{code}%" for code in filters["industries"]]
    if filters.get("areas"):
        conditions.append("e.area_code LIKE ANY(%(areas)s)")
        params["areas"] = [f"{code}%" for code in filters["areas"]]
    sql = ("SELECT e.id, e.uscc, COALESCE(r.risk_class, e.risk_class, %(unclassified)s) "
           "FROM market_entity e LEFT JOIN market_entity_risk r "
           "ON r.entity_id = e.id AND r.month = %(month)s "
           f"WHERE {' AND '.join(conditions)} ORDER BY e.uscc")
    return sql, {**params, "unclassified": UNCLASSIFIED_AS}


def candidates_of(session: Session, task: Task, month: date) -> list[tuple[int, str, str]]:
    """(id, uscc, stratum) sorted by code; through the driver's cursor, whose plain tuples
    cost a fraction of ORM rows for a city's 500,000."""
    sql, params = _candidate_sql(task)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(sql, {**params, "month": month})
        return cursor.fetchall()


def _strata(session: Session, scheme: str) -> dict[str, dict]:
    rules = session.scalars(select(RatioRule).where(RatioRule.scheme == scheme)
                            .order_by(RatioRule.risk_class))
    return {rule.risk_class: {"ratio": str(rule.ratio), "cap": rule.cap,
                              "citation": rule.citation} for rule in rules}


def _pool(session: Session, task: Task, on: date, item_codes: list[str],
          candidates: tuple[str, dict], secret: str) -> list[dict]:
    """The qualified inspectors (an item of the task, a valid 执法证 on the draw's day),
    sorted by 执法证 number, with their conflicts among the candidates (`candidates`:
    the candidate query and its parameters)."""
    units = task_units(session, task.id)["implementing"]
    wanted = set(item_codes)
    members = [m for m in inspector_pool(session, unit_ids=units, on=on) if m.items & wanted]
    conflicts = draw_sets.conflicts_among(session, *candidates, [m.user_id for m in members])
    return [{"key": m.credential_number, "membership_id": m.membership_id,
             "user_id": m.user_id, "name": m.name, "items": sorted(m.items & wanted),
             "conflicts": sorted(conflicts.get(m.user_id, ())),
             "conflict_tokens": sorted(draws.conflict_token(secret, m.credential_number, uscc)
                                       for uscc in conflicts.get(m.user_id, ()))}
            for m in sorted(members, key=lambda m: m.credential_number)]


def pool_of(rules: dict) -> list[draws.Inspector]:
    return [draws.Inspector(key=p["key"], items=frozenset(p["items"]),
                            conflicts=frozenset(p["conflict_tokens"])) for p in rules["pool"]]


def strata_of(rules: dict) -> dict[str, draws.Stratum]:
    return {name: draws.Stratum(Decimal(rule["ratio"]), rule["cap"])
            for name, rule in rules["strata"].items()}


# —— commit, draw ——

def commit(session: Session, *, principal: Principal, task_id: int,
           entropy_source: str | None = None, on: date | None = None,
           secret: str | None = None) -> Draw:
    """Freeze the inputs and publish their hashes and the secret seed's. One draw per
    task: the task row is locked, so of two concurrent commitments one gets 409.
    `secret` only for the demo, whose reloads must draw the same (live draws: random)."""
    task = get_task(session, principal=principal, task_id=task_id, lock=True)
    if session.scalar(select(Draw.id).where(Draw.task_id == task.id)) is not None:
        raise Conflict(f"任务 {task.code} 已有抽取记录", code="task_already_drawn")
    on = on or datetime.now(UTC).date()
    month = month_start(on)
    sql, params = _candidate_sql(task)
    sql = sql.removesuffix(" ORDER BY e.uscc")  # the listing orders itself: one sort
    params = {**params, "month": month}
    # Built by the database (draw_sets.py): the register does not pass through Python.
    listing = draw_sets.listing(session, sql, params)
    if not listing:
        raise DrawRefused(f"任务 {task.code} 的检查对象名录为空", code="no_candidates")
    item_codes = task_item_codes(session, task.id)
    secret = secret or secrets.token_hex(32)
    pool = _pool(session, task, on, item_codes, (sql, params), secret)
    rules = {"scheme": task.ratio_scheme, "strata": _strata(session, task.ratio_scheme),
             "unclassified_as": UNCLASSIFIED_AS, "items": item_codes, "pool": pool,
             "entropy_source": entropy_source, "on": on.isoformat()}
    rules["pool_hash"] = draws.sha256_hex(draws.pool_text(pool_of(rules)))
    draw = Draw(task_id=task.id, area_code=task.area_code,
                unit_id=task_units(session, task.id)["organising"][0],
                state=DrawState.committed, algorithm=draws.ALGORITHM, risk_month=month,
                candidates_hash=draws.sha256_hex(listing),
                public_candidates_hash=draws.sha256_hex(draw_sets.public_listing(listing)),
                candidates_count=listing.count("\n"),
                candidates=gzip.compress(listing.encode(), compresslevel=1),
                rules=rules, seed_hash=draws.seed_hash(secret), secret_seed=secret,
                created_by=principal.user_id)
    session.add(draw)
    session.flush()
    return draw


def perform(session: Session, *, principal: Principal, draw_id: int,
            public_entropy: str | None = None) -> Draw:
    """Reveal the seed and draw from the committed inputs (a drawn draw: 409)."""
    draw = get_draw(session, principal=principal, draw_id=draw_id, lock=True)
    if draw.state != DrawState.committed:
        raise Conflict(f"抽取 {draw.id} 已完成", code="draw_already_drawn")
    if draw.rules.get("entropy_source") and not (public_entropy or "").strip():
        raise InvalidInput(f"请填写公开随机源“{draw.rules['entropy_source']}”的结果",
                           code="public_entropy_required")
    draw.public_entropy = (public_entropy or "").strip() or None
    draw.seed = draws.final_seed(draw.secret_seed, draw.public_entropy, draw.algorithm)
    try:
        result = rerun(draw)
    except draws.DrawImpossible as exc:
        raise DrawRefused(f"无法为 {exc.uscc} 抽取检查人员：{exc.reason}",
                          uscc=exc.uscc) from exc
    _store(session, draw, result)
    draw.state = DrawState.drawn
    draw.drawn_at = datetime.now(UTC)
    task = session.get(Task, draw.task_id)
    task.state = TaskState.drawn
    session.flush()
    return draw


def commit_and_draw(session: Session, *, principal: Principal, task_id: int,
                    public_entropy: str | None = None, secret: str | None = None) -> Draw:
    draw = commit(session, principal=principal, task_id=task_id,
                  entropy_source="请求时提供的公开随机数" if public_entropy else None,
                  secret=secret)
    return perform(session, principal=principal, draw_id=draw.id, public_entropy=public_entropy)


def candidate_text(draw: Draw) -> str:
    return gzip.decompress(draw.candidates).decode()


def rerun(draw: Draw, listing: str | None = None) -> draws.Result:
    """The draw, computed again from its frozen inputs and revealed seed, under the
    algorithm it names (`listing`: its candidate text, when the caller has it already)."""
    if draw.algorithm not in draws.ALGORITHMS:
        raise InvalidInput(f"unknown draw algorithm {draw.algorithm}", code="algorithm_unknown")
    listing = candidate_text(draw) if listing is None else listing
    return draws.draw(candidates=listing,
                      strata=strata_of(draw.rules), items=draw.rules["items"],
                      pool=pool_of(draw.rules), seed=draw.seed, secret_seed=draw.secret_seed,
                      algorithm=draw.algorithm)


def _store(session: Session, draw: Draw, result: draws.Result) -> None:
    """Targets and their inspectors, set-based (draw_sets.store: a city's draw has tens of
    thousands)."""
    draw_sets.store(session, draw_id=draw.id, pool=draw.rules["pool"], result=result)


# —— reading ——

def get_draw(session: Session, *, principal: Principal | None, draw_id: int,
             lock: bool = False) -> Draw:
    """A draw of the caller's territory (None: the system, the public page, the CLI)."""
    query = select(Draw).where(Draw.id == draw_id)
    if principal is not None:
        query = query.where(Scope.of(principal).column_condition(Draw.area_code))
    draw = session.scalar(query.with_for_update() if lock else query)
    if draw is None:
        raise NotFound(f"no draw {draw_id}")
    return draw


def list_draws(session: Session, *, principal: Principal, task_id: int | None = None,
               limit: int = 50, offset: int = 0) -> tuple[int, list[Draw]]:
    condition = Scope.of(principal).column_condition(Draw.area_code)
    query = select(Draw).where(condition)
    if task_id is not None:
        query = query.where(Draw.task_id == task_id)
    total = session.scalar(select(text("count(*)")).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Draw.id.desc()).limit(limit).offset(offset))
    return total, list(rows)


def stored_targets(session: Session, draw_id: int) -> list[dict]:
    """The stored result: targets in order, each with its inspectors in order."""
    rows = session.execute(text("""
        SELECT t.ordinal, t.entity_id, t.uscc, t.stratum, t.score, e.name,
               coalesce(json_agg(json_build_object(
                   'membership_id', i.membership_id, 'user_id', i.user_id, 'name', i.name,
                   'credential_number', i.credential_number) ORDER BY i.ordinal)
                   FILTER (WHERE i.target_id IS NOT NULL), '[]')
        FROM market_draw_target t
        JOIN market_entity e ON e.id = t.entity_id
        LEFT JOIN market_draw_target_inspector i ON i.target_id = t.id
        WHERE t.draw_id = :draw GROUP BY t.id, e.name ORDER BY t.ordinal"""),
        {"draw": draw_id}).all()
    return [{"ordinal": r[0], "entity_id": r[1], "uscc": r[2], "stratum": r[3], "score": r[4],
             "name": r[5], "inspectors": r[6]} for r in rows]


# —— verify ——

def verify(session: Session, *, principal: Principal | None, draw_id: int) -> Verification:
    """Check the commitment and re-run the draw; name every difference."""
    draw = get_draw(session, principal=principal, draw_id=draw_id)
    listing = candidate_text(draw)
    differences = commitment_differences(draw, listing)
    if draw.state != DrawState.drawn:
        return Verification(False, [*differences, "尚未抽取：只能核对承诺"])
    try:
        result = rerun(draw, listing)
    except draws.DrawImpossible as exc:
        return Verification(False, [*differences, f"重新计算失败：{exc}"])
    differences += result_differences(result, stored_targets(session, draw.id))
    return Verification(not differences, differences)


def commitment_differences(draw: Draw, listing: str | None = None) -> list[str]:
    found = []
    listing = candidate_text(draw) if listing is None else listing
    if draws.sha256_hex(listing) != draw.candidates_hash:
        found.append("候选名单与承诺的 candidates_hash 不符")
    # The public list is the listing's codes in its order: the listing matched its hash,
    # so it is the sorted list committed (a tampered one fails the check above).
    if draws.sha256_hex(draw_sets.public_listing(listing)) != draw.public_candidates_hash:
        found.append("候选名单与公布的 public_candidates_hash 不符")
    if listing.count("\n") != draw.candidates_count:
        found.append("候选名单户数与承诺不符")
    if draws.seed_hash(draw.secret_seed) != draw.seed_hash:
        found.append("揭示的种子与承诺的 seed_hash 不符")
    if draws.sha256_hex(draws.pool_text(pool_of(draw.rules))) != draw.rules.get("pool_hash"):
        found.append("检查人员名单与承诺的 pool_hash 不符")
    for member in draw.rules["pool"]:
        tokens = sorted(draws.conflict_token(draw.secret_seed, member["key"], uscc)
                        for uscc in member["conflicts"])
        if tokens != member["conflict_tokens"]:
            found.append(f"检查人员 {member['key']} 的回避记录与其令牌不符")
    if draw.seed is not None and draws.final_seed(draw.secret_seed, draw.public_entropy,
                                                  draw.algorithm) != draw.seed:
        found.append("种子不等于 SHA-256(算法‖秘密种子‖公开随机数)")
    return found


def result_differences(result: draws.Result, stored: list[dict]) -> list[str]:
    found = []
    expected = {t.ordinal: t for t in result.targets}
    if len(stored) != len(result.targets):
        found.append(f"抽中 {len(stored)} 户，重新计算为 {len(result.targets)} 户")
    for row in stored:
        target = expected.get(row["ordinal"])
        if target is None:
            continue
        if row["uscc"] != target.uscc:
            found.append(f"第 {row['ordinal']} 户：记录为 {row['uscc']}，"
                         f"重新计算为 {target.uscc}")
            continue
        if row["score"] != target.score:
            found.append(f"第 {row['ordinal']} 户 {row['uscc']}：分值不符")
        keys = tuple(i["credential_number"] for i in row["inspectors"])
        if keys != target.inspectors:
            found.append(f"第 {row['ordinal']} 户 {row['uscc']}：检查人员记录为 "
                         f"{', '.join(keys) or '无'}，重新计算为 {', '.join(target.inspectors)}")
    return found


# —— what is published ——

def published_inputs(session: Session, draw: Draw, *, internal: bool = False) -> dict:
    """The inputs anyone may re-run the draw from (rerun.py reads this file). Without
    `internal`, the candidates carry no stratum (risk classes are never public): the public
    re-run checks the seed, every score, the candidate list's hash and every pairing; staff
    and auditors get the strata too (`internal`) and re-run the selection as well."""
    listing = draws.parse_candidates(candidate_text(draw))
    rules = draw.rules
    task = session.get(Task, draw.task_id)
    published = {
        "algorithm": draw.algorithm, "draw_id": draw.id,
        "task": {"code": task.code, "name": task.name},
        "commitment": {"committed_at": draw.committed_at.isoformat(),
                       "seed_hash": draw.seed_hash,
                       "public_candidates_hash": draw.public_candidates_hash,
                       "pool_hash": rules.get("pool_hash"),
                       "entropy_source": rules.get("entropy_source")},
        "items": rules["items"],
        # Conflicts as tokens (draws.conflict_token): the re-run honours them, a reader
        # cannot tell who declared a conflict with whom.
        "pool": [{"key": p["key"], "name": p["name"], "items": p["items"],
                  "conflicts": p["conflict_tokens"]} for p in rules["pool"]],
        "candidates": [uscc for uscc, _ in listing],
    }
    if draw.state == DrawState.drawn:
        published.update({"secret_seed": draw.secret_seed, "public_entropy": draw.public_entropy,
                          "seed": draw.seed,
                          "targets": [{"ordinal": t["ordinal"], "uscc": t["uscc"],
                                       "score": t["score"],
                                       "inspectors": [i["credential_number"]
                                                      for i in t["inspectors"]]}
                                      for t in stored_targets(session, draw.id)]})
    if internal:
        published["candidates"] = [{"uscc": uscc, "stratum": stratum}
                                   for uscc, stratum in listing]
        published["strata"] = rules["strata"]
        published["candidates_hash"] = draw.candidates_hash
        published["declared_conflicts"] = {p["key"]: p["conflicts"] for p in rules["pool"]
                                           if p["conflicts"]}
    return published


def published_json(session: Session, draw: Draw, *, internal: bool = False) -> bytes:
    """The published inputs as one canonical JSON file (RFC 8785), the re-run's input."""
    return canonical_json(published_inputs(session, draw, internal=internal)).encode()
