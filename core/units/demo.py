"""The demo city's units and members: a realistic set, made in SQL from the area table.

In the city: the city centre. In each county: a unit for every department of the
`department` table (荷塘区城市管理和综合执法局 …), an 执法大队 under each department that
enforces, 中队 of 城管 and 市场监管 each covering 2-4 neighbouring townships, the 政务服务中心
and the centre. In each township: a 综合行政执法队, a 市场监管所, a 便民服务中心 and the
centre; in each village: a 便民服务站 and the centre. Each unit sits at a point inside its
seat area (ST_PointOnSurface).

Members: the demo accounts by their role (README), every grid worker at his village's
centre, and generated accounts `<unit code>.<position><n>` (one password hash, the demo's)
so that every unit has a desk: a receiver or dispatcher, two officers with 执法证 in each
enforcement unit, two inspectors in each 所. Two 执法证 in the first county have expired,
for demonstrating the refusal (`expired_credentials`).

Bulk INSERT … SELECT throughout: a few statements for the whole city, not a row at a time.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.audit import record
from core.codes import subtree_range
from core.progress import StageProgress
from core.scope import EVERYWHERE
from core.units.memberships import today
from core.users.accounts import account_changed
from core.users.enums import Role
from core.users.service import create_user

log = logging.getLogger(__name__)

# department code -> (the county unit's name after the county's, its 执法大队 or None).
DEPARTMENT_UNITS = {
    "governance": ("委政法委员会", None),
    "chengguan": ("城市管理和综合执法局", "城市管理综合执法大队"),
    "market": ("市场监督管理局", "市场监管综合行政执法大队"),
    "ecology": ("生态环境分局", "生态环境保护综合行政执法大队"),
    "culture": ("文化旅游广电体育局", "文化市场综合行政执法大队"),
    "transport": ("交通运输局", "交通运输综合行政执法大队"),
    "emergency": ("应急管理局", "应急管理综合行政执法大队"),
    "agriculture": ("农业农村局", "农业综合行政执法大队"),
    "natural_resources": ("自然资源分局", "自然资源执法监察大队"),
    "housing": ("住房和城乡建设局", "住房和城乡建设综合执法大队"),
    "health": ("卫生健康局", "卫生健康综合监督执法大队"),
    "police": ("公安局", None),
    "fire": ("消防救援大队", None),
    "government_services": ("行政审批服务局", None),
}
DEPARTMENT_PLATFORM = {"governance": "grid", "market": "market_supervision",
                       "government_services": "convenience"}  # the others: enforcement
SQUADRON_DEPARTMENTS = ("chengguan", "market")
SQUADRON_SHORT = {"chengguan": "城管执法大队", "market": "市场监管执法大队"}
_NUMERALS = list("一二三四五六七八九十")

# The demo accounts' positions: (account suffix, unit kind, department or None, position).
# The unit is the nearest of that kind at or below the account's scope area.
DEMO_POSITIONS = (
    ("village_staff", "centre", None, "receiver"),
    ("township_staff", "centre", None, "dispatcher"),
    ("county_dispatcher", "centre", None, "dispatcher"),
    ("supervisor", "centre", None, "head"),
    ("enforcement_officer", "brigade", "chengguan", "handler"),
    ("ecology_officer", "brigade", "ecology", "handler"),
    ("market_inspector", "market_office", None, "inspector"),
    ("service_clerk", "service_centre", None, "receiver"),
    ("proxy_agent", "service_station", None, "proxy_agent"),
)
# Every unit's desk and officers: (kind, seat code lengths or None for any, position, how
# many). The demo accounts count towards them.
STAFFING = (
    ("centre", [12], "receiver", 1), ("centre", [6, 9], "dispatcher", 1),
    ("department", None, "receiver", 1),
    ("brigade", None, "handler", 2), ("squadron", None, "handler", 2),
    ("enforcement_team", None, "handler", 2),
    ("market_office", None, "receiver", 1), ("market_office", None, "inspector", 2),
    ("service_hall", None, "receiver", 1), ("service_centre", None, "receiver", 1),
    ("service_station", None, "receiver", 1),
)
# Generated account names: <unit code>.<position><n> (unit codes: <seat>-<kind>[-<dept>…]).
GENERATED = r"^[0-9]{6,15}-[a-z_-]+[0-9]*\.[a-z_]+[0-9]+$"
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩"
                 "冯邓曹彭曾肖田董袁潘蒋蔡余杜")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏海燕波宁斌")


@dataclass(frozen=True)
class DemoUnits:
    units: int
    memberships: int
    accounts: int
    seconds: float


def load_demo_units(session: Session, *, city_code: str, prefix: str, on: date | None = None,
                    stage: StageProgress | None = None) -> DemoUnits:
    """The city's units and members (after its areas, workers and demo accounts); the
    stage bar "units" shows how long it took."""
    started = time.perf_counter()
    if stage:
        stage("units", 0, 1)
    day = on or today()
    bounds = {**subtree_range(city_code), "city": city_code}
    _insert_centres(session, bounds)
    _insert_county_units(session, bounds)
    _insert_squadrons(session, bounds)
    _insert_local_units(session, bounds)
    session.execute(text("""
        INSERT INTO unit_area (unit_id, area_code)
        SELECT u.id, u.seat_code FROM unit u
        WHERE u.seat_code >= :low AND u.seat_code < :high AND u.kind <> 'squadron'
          AND NOT EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = u.id)"""), bounds)
    password_hash = session.scalar(text("SELECT password_hash FROM app_user "
                                        "WHERE username = :name"), {"name": f"{prefix}_admin"})
    _create_ecology_officer(session, prefix=prefix, password_hash=password_hash)
    members = _insert_demo_memberships(session, bounds, prefix=prefix, on=day)
    members += _insert_worker_memberships(session, bounds)
    accounts = _insert_staff(session, bounds, password_hash=password_hash, on=day)
    units = session.scalar(text("SELECT count(*) FROM unit WHERE seat_code >= :low "
                                "AND seat_code < :high"), bounds)
    result = DemoUnits(units, members + accounts, accounts,
                       round(time.perf_counter() - started, 3))
    record(session, actor="demo", action="unit.create_many", subject_type="city",
           subject_id=city_code, after={"units": units, "memberships": result.memberships,
                                        "accounts": accounts})
    log.info("demo units of %s: %s", city_code, result)
    if stage:
        stage("units", units, units)
    return result


def remove_demo_units(session: Session, *, city_code: str) -> int:
    """The city's units (their jurisdictions and memberships go with them) and the
    generated member accounts; before the areas the units sit in."""
    bounds = subtree_range(city_code)
    session.execute(text("DELETE FROM app_user WHERE scope_code >= :low AND scope_code < :high "
                         "AND username ~ :generated"), {**bounds, "generated": GENERATED})
    return session.execute(text("DELETE FROM unit WHERE seat_code >= :low "
                                "AND seat_code < :high"), bounds).rowcount


def expired_credentials(session: Session, *, city_code: str = "") -> list[tuple[str, str, date]]:
    """(user name, unit name, expiry) of the expired 执法证 of active memberships in a city
    (every city: "")."""
    rows = session.execute(text("""
        SELECT u.username, un.name, m.credential_expires_on FROM membership m
        JOIN app_user u ON u.id = m.user_id JOIN unit un ON un.id = m.unit_id
        WHERE m.is_active AND m.credential_expires_on < :today
          AND un.seat_code >= :low AND un.seat_code < :high ORDER BY u.username"""),
        {**subtree_range(city_code), "today": today()})
    return [tuple(row) for row in rows]


# --- units ------------------------------------------------------------------------------

_UNIT_COLUMNS = "code, name, kind, platform, department_code, parent_id, seat_code, location"


def _insert_centres(session: Session, bounds: dict) -> None:
    """City first, then each level under its parent's centre."""
    for level, suffix in (("city", "网格化服务管理中心"), ("county", "网格化服务管理中心"),
                          ("township", "网格化服务管理中心"), ("village", "网格化服务管理站")):
        session.execute(text(f"""
            INSERT INTO unit ({_UNIT_COLUMNS})
            SELECT a.code || '-centre', a.name || :suffix, 'centre', 'grid', 'governance',
                   p.id, a.code, ST_PointOnSurface(a.geom)
            FROM area a LEFT JOIN unit p ON p.kind = 'centre' AND p.is_active
                 AND p.seat_code = area_parent_code(a.code)
            WHERE a.level = :level AND a.code >= :low AND a.code < :high
              AND (a.level <> 'city' OR a.code = :city)"""),
            {**bounds, "level": level, "suffix": suffix})


def _insert_county_units(session: Session, bounds: dict) -> None:
    """Per county: the departments' units, their 执法大队, the 政务服务中心."""
    departments = session.execute(text("SELECT code, name FROM department ORDER BY code")).all()
    rows = [{"dept": code, "suffix": DEPARTMENT_UNITS.get(code, (f"{name}局", None))[0],
             "brigade": DEPARTMENT_UNITS.get(code, (None, f"{name}综合行政执法大队"))[1],
             "platform": DEPARTMENT_PLATFORM.get(code, "enforcement")}
            for code, name in departments]
    counties = ("(SELECT * FROM area WHERE level = 'county' AND code >= :low "
                "AND code < :high) a")
    departments = ("jsonb_to_recordset(CAST(:rows AS jsonb)) "
                   "AS d(dept text, suffix text, brigade text, platform text)")
    session.execute(text(f"""
        INSERT INTO unit ({_UNIT_COLUMNS})
        SELECT a.code || '-department-' || d.dept,
               a.name || CASE WHEN d.dept = 'police' AND a.name LIKE '%区' THEN '公安分局'
                              ELSE d.suffix END,
               'department', d.platform, d.dept, NULL, a.code, ST_PointOnSurface(a.geom)
        FROM {counties} CROSS JOIN {departments}"""), {**bounds, "rows": _json(rows)})
    session.execute(text(f"""
        INSERT INTO unit ({_UNIT_COLUMNS})
        SELECT a.code || '-brigade-' || d.dept, a.name || d.brigade, 'brigade', 'enforcement',
               d.dept, p.id, a.code, p.location
        FROM {counties} CROSS JOIN {departments}
        JOIN unit p ON p.code = a.code || '-department-' || d.dept
        WHERE d.brigade IS NOT NULL"""), {**bounds, "rows": _json(rows)})
    session.execute(text(f"""
        INSERT INTO unit ({_UNIT_COLUMNS})
        SELECT a.code || '-service_hall', a.name || '政务服务中心', 'service_hall', 'convenience',
               'government_services', p.id, a.code, ST_PointOnSurface(a.geom)
        FROM {counties}
        LEFT JOIN unit p ON p.code = a.code || '-department-government_services'"""), bounds)


def _insert_squadrons(session: Session, bounds: dict) -> None:
    """中队 of 城管 and 市场监管: a county's townships in groups of 2-4 neighbours (ordered
    by geohash), one 中队 per group, seated in its first township."""
    session.execute(text(f"""
        WITH t AS (
            SELECT a.code, a.name, substr(a.code, 1, 6) AS county,
                   ST_PointOnSurface(a.geom) AS point,
                   row_number() OVER (PARTITION BY substr(a.code, 1, 6)
                                      ORDER BY ST_GeoHash(ST_PointOnSurface(a.geom), 8), a.code)
                       AS rn,
                   count(*) OVER (PARTITION BY substr(a.code, 1, 6)) AS n
            FROM area a WHERE a.level = 'township' AND a.code >= :low AND a.code < :high),
        grouped AS (
            SELECT t.*, (t.rn - 1) * ceil(t.n / 3.0)::int / t.n + 1 AS grp FROM t),
        seats AS (SELECT DISTINCT ON (county, grp) county, grp, code, point FROM grouped
                  ORDER BY county, grp, rn),
        made AS (
            INSERT INTO unit ({_UNIT_COLUMNS})
            SELECT s.county || '-squadron-' || d.dept || '-' || s.grp,
                   c.name || d.short || '第' || COALESCE((CAST(:numerals AS text[]))[s.grp],
                                                          s.grp::text) || '中队',
                   'squadron', 'enforcement', d.dept, b.id, s.code, s.point
            FROM seats s JOIN area c ON c.code = s.county
            CROSS JOIN jsonb_to_recordset(CAST(:departments AS jsonb)) AS d(dept text, short text)
            JOIN unit b ON b.code = s.county || '-brigade-' || d.dept
            RETURNING id, code)
        INSERT INTO unit_area (unit_id, area_code)
        SELECT made.id, g.code FROM made
        JOIN grouped g ON made.code LIKE g.county || '-squadron-%-' || g.grp"""),
        {**bounds, "numerals": _NUMERALS,
         "departments": _json([{"dept": d, "short": SQUADRON_SHORT[d]}
                               for d in SQUADRON_DEPARTMENTS])})


def _insert_local_units(session: Session, bounds: dict) -> None:
    """Each township's 综合行政执法队, 市场监管所, 便民服务中心; each village's 便民服务站."""
    for level, kind, platform, dept, suffix, parent in (
            ("township", "enforcement_team", "enforcement", "chengguan", "综合行政执法队",
             "substr(a.code, 1, 6) || '-brigade-chengguan'"),
            ("township", "market_office", "market_supervision", "market", "市场监管所",
             "substr(a.code, 1, 6) || '-department-market'"),
            ("township", "service_centre", "convenience", "government_services", "便民服务中心",
             "substr(a.code, 1, 6) || '-service_hall'"),
            ("village", "service_station", "convenience", "government_services", "便民服务站",
             "substr(a.code, 1, 9) || '-service_centre'")):
        session.execute(text(f"""
            INSERT INTO unit ({_UNIT_COLUMNS})
            SELECT a.code || '-' || :kind, a.name || :suffix, :kind, :platform, :dept, p.id,
                   a.code, ST_PointOnSurface(a.geom)
            FROM area a LEFT JOIN unit p ON p.code = {parent}
            WHERE a.level = :level AND a.code >= :low AND a.code < :high"""),
            {**bounds, "level": level, "kind": kind, "platform": platform, "dept": dept,
             "suffix": suffix})


# --- members ----------------------------------------------------------------------------

def _create_ecology_officer(session: Session, *, prefix: str, password_hash: str) -> None:
    """A 生态环境 officer in the county of the 城管 one: two departments' officers in one
    county, whose queues differ."""
    county = session.scalar(text("SELECT scope_code FROM app_user WHERE username = :name"),
                            {"name": f"{prefix}_enforcement_officer"})
    create_user(session, actor="demo", scope=EVERYWHERE, username=f"{prefix}_ecology_officer",
                password="", password_hash=password_hash, role=Role.enforcement_officer,
                scope_code=county, full_name="吴振华")  # 生态环境执法


# A valid 执法证 (`c`: the county area): number from the county and the holder's id,
# issued by the county's government, expiring 1-4 years and some days after today.
_OFFICER = "{position} IN ('handler', 'inspector')"
_NUMBER = "c.code || lpad(CAST({user} AS text), 6, '0')"
_ISSUER = "c.name || '人民政府'"
_EXPIRY = ("CAST(:today AS date) + CAST(365 * (1 + abs(hashtext({user}::text)::bigint) % 4) "
           "+ abs(hashtext({user}::text)::bigint) % 300 AS int)")


def _credential_columns(*, user: str, position: str, expiry: str | None = None) -> str:
    officer = _OFFICER.format(position=position)
    expiry = expiry or f"WHEN {officer} THEN {_EXPIRY.format(user=user)}"
    return (f"CASE WHEN {officer} THEN {_NUMBER.format(user=user)} END, "
            f"CASE WHEN {officer} THEN {_ISSUER} END, CASE {expiry} END")


def _insert_demo_memberships(session: Session, bounds: dict, *, prefix: str, on: date) -> int:
    specs = [{"username": f"{prefix}_{suffix}", "kind": kind, "dept": dept,
              "position": position} for suffix, kind, dept, position in DEMO_POSITIONS]
    credential = _credential_columns(user="u.id", position="s.position")
    inserted = session.execute(text(f"""
        INSERT INTO membership (user_id, unit_id, position, credential_number,
                                credential_issuer, credential_expires_on)
        SELECT u.id, target.id, s.position, {credential}
        FROM jsonb_to_recordset(CAST(:specs AS jsonb))
             AS s(username text, kind text, dept text, position text)
        JOIN app_user u ON u.username = s.username
        CROSS JOIN LATERAL (
            SELECT un.id, un.seat_code FROM unit un
            WHERE un.kind = s.kind AND un.is_active
              AND (s.dept IS NULL OR un.department_code = s.dept)
              AND un.seat_code >= u.scope_code AND un.seat_code < u.scope_code || ':'
            ORDER BY length(un.seat_code), un.seat_code LIMIT 1) target
        JOIN area c ON c.code = substr(target.seat_code, 1, 6)
        RETURNING user_id"""), {"specs": _json(specs), "today": on}).scalars().all()
    account_changed(session, inserted)
    return len(inserted)


def _insert_worker_memberships(session: Session, bounds: dict) -> int:
    """Every grid worker with an account: 网格员 at his village's centre."""
    return session.execute(text("""
        INSERT INTO membership (user_id, unit_id, position)
        SELECT w.user_id, c.id, 'grid_worker' FROM grid_worker w
        JOIN unit c ON c.kind = 'centre' AND c.is_active
             AND c.seat_code = substr(w.staff_code, 1, 12)
        WHERE w.user_id IS NOT NULL AND w.staff_code >= :low AND w.staff_code < :high"""),
        bounds).rowcount


def _insert_staff(session: Session, bounds: dict, *, password_hash: str, on: date) -> int:
    """An account for every place of STAFFING the demo accounts leave empty; in the first
    county the second officer of the first 城管 and 市场监管 中队 holds an expired 执法证."""
    staffing = [{"kind": kind, "lengths": lengths, "position": position, "count": count}
                for kind, lengths, position, count in STAFFING]
    first_county = session.scalar(text(
        "SELECT min(code) FROM area WHERE level = 'county' AND code >= :low AND code < :high"),
        bounds)
    expired = [f"{first_county}-squadron-{dept}-1.handler2" for dept in SQUADRON_DEPARTMENTS]
    officer = _OFFICER.format(position="p.position")
    credential = _credential_columns(
        user="made.id", position="p.position",
        expiry=(f"WHEN p.username = ANY(:expired) THEN CAST(:today AS date) - 30 "
                f"WHEN {officer} THEN {_EXPIRY.format(user='made.id')}"))
    return session.execute(text(f"""
        WITH plan AS (
            SELECT un.id AS unit_id, un.seat_code, s.position,
                   un.code || '.' || s.position || n AS username,
                   CASE un.platform WHEN 'enforcement' THEN 'enforcement_officer'
                        WHEN 'market_supervision' THEN 'market_inspector'
                        WHEN 'convenience' THEN 'service_clerk'
                        ELSE CASE length(un.seat_code) WHEN 12 THEN 'village_staff'
                                 WHEN 9 THEN 'township_staff' ELSE 'county_dispatcher' END
                   END AS role
            FROM unit un
            JOIN jsonb_to_recordset(CAST(:staffing AS jsonb))
                 AS s(kind text, lengths int[], position text, count int)
                 ON s.kind = un.kind AND (s.lengths IS NULL
                                          OR length(un.seat_code) = ANY(s.lengths))
            CROSS JOIN generate_series(1, s.count) AS n
            WHERE un.seat_code >= :low AND un.seat_code < :high AND un.is_active
              AND n > (SELECT count(*) FROM membership m
                       WHERE m.unit_id = un.id AND m.position = s.position AND m.is_active)),
        made AS (
            INSERT INTO app_user (username, password_hash, full_name, role, scope_code)
            SELECT p.username, :hash,
                   (CAST(:surnames AS text[]))[1 + abs(hashtext(p.username)::bigint) % :ns]
                   || (CAST(:given AS text[]))[1 + abs(hashtext(p.username || '+')::bigint)
                                               % :ng],
                   p.role, p.seat_code
            FROM plan p RETURNING id, username)
        INSERT INTO membership (user_id, unit_id, position, credential_number,
                                credential_issuer, credential_expires_on)
        SELECT made.id, p.unit_id, p.position, {credential}
        FROM made JOIN plan p ON p.username = made.username
        JOIN area c ON c.code = substr(p.seat_code, 1, 6)"""),
        {**bounds, "staffing": _json(staffing), "hash": password_hash, "today": on,
         "expired": expired, "surnames": _SURNAMES, "ns": len(_SURNAMES),
         "given": _GIVEN, "ng": len(_GIVEN)}).rowcount


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
