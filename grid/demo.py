"""Demo grid workers (网格员): every grid covered, some workers looking after two or more.

Workers are allocated to villages by their number of grids (at least one each, never more
than the village has grids), and each takes a run of neighbouring grids.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.audit import record
from core.codes import subtree_range
from core.progress import StageProgress
from core.security import hash_password
from core.settings import Settings, get_settings
from core.units.demo import load_demo_units, remove_demo_units
from core.users.demo import (
    create_demo_accounts,
    demo_prefix,
    demo_username,
    remove_demo_accounts,
)
from geo.demo import DemoCounts, load_city_areas, remove_city
from geo.store import NewArea
from geo.tessellate import allocate
from grid.incidents.history import generate_history
from grid.patrols.demo import load_demo_patrols

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩"
                 "冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范廖石贺")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏海燕波宁斌")


def load_demo(
    session: Session, *, city_code: str, counts: DemoCounts | None, seed: int, password: str,
    overrides: Mapping[str, int] | None = None, stage: StageProgress | None = None,
    history_days: int = 0, per_day: int = 0, settings: Settings | None = None,
    now: datetime | None = None,
) -> tuple[list[NewArea], DemoCounts]:
    """The whole demo city: areas, grid workers, an account per role and per worker, and
    `history_days` × `per_day` incidents of recent history (grid/incidents/history/).
    Flushes; the caller commits."""
    areas, counts = load_city_areas(session, city_code=city_code, counts=counts, seed=seed,
                                    overrides=overrides, stage=stage)
    load_demo_workers(session, city_code=city_code, workers=counts.workers, seed=seed)
    prefix = demo_prefix(session, city_code=city_code)
    create_demo_accounts(session, city_code=city_code, password=password, prefix=prefix)
    create_worker_accounts(session, city_code=city_code, password=password, prefix=prefix)
    load_demo_units(session, city_code=city_code, prefix=prefix, stage=stage)  # and members
    # Recent patrols, so that the map's staff layer shows where workers are.
    load_demo_patrols(session, city_code=city_code, seed=seed, now=now)
    if stage:
        stage("workers", counts.workers, counts.workers)
    history = generate_history(session, city_code=city_code, days=history_days,
                               per_day=per_day, seed=seed, now=now or datetime.now(UTC),
                               settings=settings or get_settings(), progress=stage)
    record(session, actor="demo", action="demo.load", subject_type="city",
           subject_id=city_code, after={"seed": seed, **asdict(counts),
                                        "history": {"days": history_days, "per_day": per_day,
                                                    "incidents": history.incidents}})
    return areas, counts


def remove_demo(session: Session, *, city_code: str) -> None:
    """The demo city's incidents, accounts, workers and areas, leaves first (the audit
    log keeps its events: it is append-only)."""
    remove_incidents(session, city_code=city_code)
    remove_demo_units(session, city_code=city_code)
    remove_demo_accounts(session, city_code=city_code)
    remove_workers(session, city_code=city_code)
    removed = remove_city(session, city_code=city_code)
    record(session, actor="demo", action="demo.remove", subject_type="city",
           subject_id=city_code, before={"areas": removed})


def remove_incidents(session: Session, *, city_code: str) -> int:
    """Every incident in the city's grids, before the accounts, units and areas they point
    at. The kernel's rows about them (clocks, timeline, hand-offs, links, attachments) name
    their subject without a foreign key and go first; reporters go by ON DELETE CASCADE."""
    bounds = subtree_range(city_code)
    ids = "SELECT id FROM incident WHERE grid_code >= :low AND grid_code < :high"
    for table in ("case_clock", "timeline_event", "handoff", "attachment"):
        session.execute(text(f"DELETE FROM {table} WHERE subject_type = 'incident' "
                             f"AND subject_id IN ({ids})"), bounds)
    session.execute(text(f"DELETE FROM case_link WHERE (a_type = 'incident' AND a_id IN "
                         f"({ids})) OR (b_type = 'incident' AND b_id IN ({ids}))"), bounds)
    return session.execute(text("DELETE FROM incident WHERE grid_code >= :low AND "
                                "grid_code < :high"), bounds).rowcount


def load_demo_workers(session: Session, *, city_code: str, workers: int, seed: int) -> int:
    """Create `workers` grid workers for the city's grids and assign every grid."""
    grids = session.execute(
        text("SELECT id, code FROM area WHERE level = 'grid' AND code >= :low AND code < :high "
             "ORDER BY code"), subtree_range(city_code)).all()
    by_village: dict[str, list[int]] = {}
    for grid in grids:
        by_village.setdefault(grid.code[:12], []).append(grid.id)
    shares = _workers_per_village([len(ids) for ids in by_village.values()], workers)
    rng = np.random.default_rng(seed)
    rows, assignments = [], []
    for (village, grid_ids), share in zip(by_village.items(), shares, strict=True):
        for number, chunk in enumerate(np.array_split(np.array(grid_ids), share), start=1):
            staff_code = f"{village}{number:03d}"
            rows.append({"staff_code": staff_code, "name": _name(rng), "phone": _phone(rng)})
            assignments += [{"staff_code": staff_code, "grid_id": int(g)} for g in chunk]
    session.execute(text("INSERT INTO grid_worker (staff_code, name, phone) "
                         "VALUES (:staff_code, :name, :phone)"), rows)
    session.execute(text("INSERT INTO grid_assignment (worker_id, grid_id) "
                         "SELECT id, :grid_id FROM grid_worker WHERE staff_code = :staff_code"),
                    assignments)
    return len(rows)


def create_worker_accounts(session: Session, *, city_code: str, password: str,
                           prefix: str) -> int:
    """A login for every demo grid worker: `<prefix>_grid_worker` for the first, `gw<staff code>`
    for the others, scoped to their village (their grids, in effect: core/scope.py).

    One password hash serves them all: argon2 on 1,806 accounts would take minutes, and
    these are demo accounts with one published password anyway.
    """
    password_hash = hash_password(password)
    workers = session.execute(
        text("SELECT id, staff_code, name, phone FROM grid_worker "
             "WHERE staff_code >= :low AND staff_code < :high ORDER BY staff_code"),
        subtree_range(city_code)).all()
    accounts = [{"username": demo_username(prefix, "grid_worker") if i == 0
                 else f"gw{w.staff_code}",
                 "full_name": w.name, "phone": w.phone, "scope_code": w.staff_code[:12],
                 "hash": password_hash, "worker_id": w.id} for i, w in enumerate(workers)]
    session.execute(text(
        "WITH new AS (INSERT INTO app_user (username, password_hash, full_name, role, "
        "scope_code, phone) VALUES (:username, :hash, :full_name, 'grid_worker', :scope_code, "
        ":phone) RETURNING id) UPDATE grid_worker SET user_id = (SELECT id FROM new) "
        "WHERE id = :worker_id"), accounts)
    record(session, actor="demo", action="user.create_many", subject_type="city",
           subject_id=city_code, after={"role": "grid_worker", "count": len(accounts)})
    return len(accounts)


def remove_workers(session: Session, *, city_code: str) -> int:
    return session.execute(
        text("DELETE FROM grid_worker WHERE staff_code >= :low AND staff_code < :high"),
        subtree_range(city_code)).rowcount


def _workers_per_village(grid_counts: list[int], workers: int) -> list[int]:
    """At least one worker per village, at most one per grid, `workers` in all."""
    counts = np.array(grid_counts)
    if not len(counts) <= workers <= counts.sum():
        raise ValueError(f"{workers} workers cannot cover {counts.sum()} grids in "
                         f"{len(counts)} villages")
    shares = allocate(workers, counts.astype(float))
    # Largest remainder can give a village more workers than grids; move the excess on.
    while np.any(shares > counts):
        over = np.argmax(shares - counts)
        shares[over] -= 1
        shares[np.argmax((counts - shares) / counts)] += 1
    return shares.tolist()


def _name(rng: np.random.Generator) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN, size=rng.integers(1, 3)))


def _phone(rng: np.random.Generator) -> str:
    return "1" + rng.choice(["38", "39", "58", "59", "86", "87"]) + f"{rng.integers(0, 10**8):08d}"


# --- how to log in ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str
    scope: str  # the area's name and code
    positions: str  # e.g. "受理员 @ 月塘街道XX社区综治中心"


def demo_logins(session: Session) -> list[DemoLogin]:
    """A concrete login for every role (`gridgov demo accounts`): the demo accounts, one
    per role, then, in the same district, another grid worker and a generated member for
    each position its units staff (派遣员, 受理员, 承办人, 检查员 …)."""
    from core.units.enums import POSITION_LABELS

    rows = session.execute(text(_LOGINS_SQL)).all()
    return [DemoLogin(row.username, row.full_name or "", row.role,
                      f"{row.area_name} ({row.scope_code})",
                      "；".join(f"{POSITION_LABELS.get(p, p)} @ {u}"
                               for p, u in zip(row.positions or [], row.units or [],
                                               strict=True)))
            for row in rows]


_LOGINS_SQL = """
    WITH demo AS (
        SELECT u.* FROM app_user u WHERE u.username ~ '^demo[0-9]*_' AND u.is_active),
    district AS (
        SELECT left(scope_code, 6) AS code FROM demo WHERE username ~ '_grid_worker$'
        ORDER BY id LIMIT 1),
    worker AS (  -- another grid worker of the demo district, by staff code
        SELECT u.* FROM app_user u JOIN grid_worker w ON w.user_id = u.id, district d
        WHERE u.role = 'grid_worker' AND u.is_active AND u.username !~ '^demo'
          AND w.staff_code LIKE d.code || '%' ORDER BY w.staff_code LIMIT 1),
    member AS (  -- the first generated member of each (unit kind, position) there
        SELECT DISTINCT ON (un.kind, m.position) u.*
        FROM membership m JOIN app_user u ON u.id = m.user_id JOIN unit un ON un.id = m.unit_id,
             district d
        WHERE m.is_active AND u.is_active AND u.username !~ '^demo' AND u.role <> 'grid_worker'
          AND un.seat_code LIKE d.code || '%'
        ORDER BY un.kind, m.position, length(un.seat_code), un.seat_code, u.username),
    chosen AS (
        SELECT 0 AS part, * FROM demo UNION ALL SELECT 1, * FROM worker
        UNION ALL SELECT 2, * FROM member)
    SELECT c.username, c.full_name, c.role, c.scope_code, a.name AS area_name,
           array_agg(m.position ORDER BY m.id) FILTER (WHERE m.id IS NOT NULL) AS positions,
           array_agg(un.name ORDER BY m.id) FILTER (WHERE m.id IS NOT NULL) AS units
    FROM chosen c JOIN area a ON a.code = c.scope_code
    LEFT JOIN membership m ON m.user_id = c.id AND m.is_active
    LEFT JOIN unit un ON un.id = m.unit_id
    GROUP BY c.part, c.id, c.username, c.full_name, c.role, c.scope_code, a.name
    ORDER BY c.part, c.id"""
