"""The demo's 便民服务: a catalogue of about 300 items across departments with realistic
codes (事项编码 by kind, department and serial; 实施编码 = the county department's
统一社会信用代码 + the item code), the service points' hours, windows and items, the
一件事 bundles, proxy agents in three tiers, and the departments the platform needs that
the core's demo has not (民政, 人社, 医保 …; 纪检监察 and 营商环境 for the red forms).
Deterministic: the same seed, the same catalogue.
The catalogue's data is demo_catalogue.py, the history demo_history.py.
"""

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.services.catalogue import search_text
from convenience.services.demo_catalogue import (
    BUNDLES,
    CITATION_BUNDLE,
    DEPARTMENTS,
    OWN_DEPARTMENTS,
    catalogue_rows,
)
from convenience.services.demo_history import history
from convenience.services.points import DEFAULT_HOURS, HALL_HOURS
from core.codes import subtree_range


def load_demo(session: Session, *, city_code: str, seed: int = 42, stage=None,
              settings=None, applications: int = 240, **_) -> dict:
    if stage:
        stage("convenience", 0, 5)
    _departments(session, city_code)
    names = dict(session.execute(text("SELECT code, name FROM department")).all())
    rows = catalogue_rows(city_code, seed=seed)
    item_ids = _insert_items(session, rows, names)
    if stage:
        stage("convenience", 1, 4)
    _points(session, city_code, rows, item_ids)
    if stage:
        stage("convenience", 2, 4)
    _bundles(session, item_ids)
    _agents(session, city_code)
    if stage:
        stage("convenience", 3, 5)
    made = history(session, city_code=city_code, seed=seed, count=applications,
                   settings=settings)
    if stage:
        stage("convenience", 5, 5)
    return {"items": len(item_ids), "applications": made}


def _departments(session: Session, city_code: str) -> None:
    """The departments the core's demo lacks, and their unit in each county."""
    session.execute(text("""
        INSERT INTO department (code, name)
        SELECT d.key, d.value FROM jsonb_each_text(CAST(:departments AS jsonb)) d
        ON CONFLICT (code) DO NOTHING"""), {"departments": _json(DEPARTMENTS)})
    session.execute(text("""
        INSERT INTO unit (code, name, kind, platform, department_code, seat_code, location)
        SELECT a.code || '-department-' || d.code, a.name || d.name, 'department',
               'convenience', d.code, a.code, ST_PointOnSurface(a.geom)
        FROM area a CROSS JOIN department d
        WHERE a.level = 'county' AND a.code >= :low AND a.code < :high
          AND d.code = ANY(:own)
        ON CONFLICT (code) DO NOTHING"""), {**subtree_range(city_code),
                                           "own": list(OWN_DEPARTMENTS)})
    session.execute(text("""
        INSERT INTO unit_area (unit_id, area_code)
        SELECT u.id, u.seat_code FROM unit u
        WHERE u.department_code = ANY(:own) AND u.kind = 'department'
          AND u.seat_code >= :low AND u.seat_code < :high
          AND NOT EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = u.id)"""),
        {**subtree_range(city_code), "own": list(OWN_DEPARTMENTS)})


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _insert_items(session: Session, rows: list[dict], names: dict) -> dict[str, int]:
    """All items and materials in two statements; an item already there is kept."""
    payload = [{k: v for k, v in row.items() if k != "materials"}
               | {"search_text": search_text(row["item_code"], row["impl_code"], row["name"],
                                             names[row["department_code"]])}
               for row in rows]
    session.execute(text("""
        INSERT INTO svc_item (item_code, impl_code, name, item_type, department_code, levels,
                              legal_basis, conditions, fee_fen, legal_days, promised_days,
                              visits, online, proxy, notify_commit, commit_check_days,
                              is_active, search_text)
        SELECT r.item_code, r.impl_code, r.name, r.item_type, r.department_code,
               ARRAY(SELECT jsonb_array_elements_text(r.levels)), r.legal_basis,
               r.conditions, r.fee_fen, r.legal_days, r.promised_days, r.visits, r.online,
               r.proxy, r.notify_commit, r.commit_check_days, true, r.search_text
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
            item_code text, impl_code text, name text, item_type text, department_code text,
            levels jsonb, legal_basis text, conditions text, fee_fen bigint, legal_days int,
            promised_days int, visits int, online boolean, proxy boolean,
            notify_commit boolean, commit_check_days int, search_text text)
        ON CONFLICT (impl_code) DO NOTHING"""), {"rows": _json(payload)})
    ids = dict(session.execute(text("SELECT impl_code, id FROM svc_item WHERE impl_code = "
                                    "ANY(:codes)"),
                               {"codes": [r["impl_code"] for r in rows]}).all())
    materials = [{"item_id": ids[row["impl_code"]], "position": position, **m}
                 for row in rows for position, m in enumerate(row["materials"], start=1)]
    session.execute(text("""
        INSERT INTO svc_material (item_id, position, name, trust_level, is_primary, may_defer,
                                  copies)
        SELECT m.item_id, m.position, m.name, m.trust_level, m.is_primary, m.may_defer, 1
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS m(
            item_id bigint, position int, name text, trust_level text, is_primary boolean,
            may_defer boolean)
        ON CONFLICT (item_id, position) DO NOTHING"""), {"rows": _json(materials)})
    return {row["name"]: ids[row["impl_code"]] for row in rows}


def _points(session: Session, city_code: str, rows: list[dict], ids: dict[str, int]) -> None:
    """Every service unit a point: its hours (halls open Saturday mornings), address and
    phone, windows, and the items of its level."""
    bounds = subtree_range(city_code)
    session.execute(text("""
        INSERT INTO svc_point (unit_id, location, address, phone, opening_hours, note)
        SELECT u.id, u.location::geography, a.name || '便民服务大厅',
               '0731-' || lpad((abs(hashtext(u.code)) % 10000000)::text, 8, '2'),
               CASE WHEN u.kind = 'service_hall' THEN CAST(:hall AS jsonb)
                    ELSE CAST(:default AS jsonb) END, ''
        FROM unit u JOIN area a ON a.code = u.seat_code
        WHERE u.kind IN ('service_hall', 'service_centre', 'service_station')
          AND u.seat_code >= :low AND u.seat_code < :high
        ON CONFLICT (unit_id) DO NOTHING"""),
        {**bounds, "hall": _json(HALL_HOURS), "default": _json(DEFAULT_HOURS)})
    session.execute(text("""
        INSERT INTO svc_window (unit_id, number, name, kind)
        SELECT u.id, w.number, w.name, w.kind FROM unit u
        CROSS JOIN (VALUES ('01', '综合受理窗口', 'comprehensive'),
                           ('02', '综合受理窗口', 'comprehensive'),
                           ('08', '“办不成事”反映窗口', 'stuck'),
                           ('09', '企业代办服务窗口', 'enterprise')) AS w(number, name, kind)
        WHERE u.kind = 'service_hall' AND u.seat_code >= :low AND u.seat_code < :high
        UNION ALL
        SELECT u.id, '01', '综合受理窗口', 'comprehensive' FROM unit u
        WHERE u.kind IN ('service_centre', 'service_station')
          AND u.seat_code >= :low AND u.seat_code < :high
        ON CONFLICT (unit_id, number) DO NOTHING"""), bounds)
    by_level = {"service_hall": "county", "service_centre": "township",
                "service_station": "village"}
    for kind, level in by_level.items():
        item_ids = [ids[row["name"]] for row in rows if level in row["levels"]]
        session.execute(text("""
            INSERT INTO svc_point_item (unit_id, item_id)
            SELECT u.id, i FROM unit u CROSS JOIN unnest(CAST(:items AS bigint[])) AS i
            WHERE u.kind = :kind AND u.seat_code >= :low AND u.seat_code < :high
            ON CONFLICT DO NOTHING"""), {**bounds, "kind": kind, "items": item_ids})


def _bundles(session: Session, ids: dict[str, int]) -> None:
    for code, name, items, days in BUNDLES:
        session.execute(text("""
            INSERT INTO svc_bundle_type (code, name, item_ids, promised_days, citation,
                                         is_active)
            VALUES (:code, :name, :items, :days, :citation, true)
            ON CONFLICT (code) DO NOTHING"""),
            {"code": code, "name": name, "items": [ids[i] for i in items], "days": days,
             "citation": CITATION_BUNDLE})


def _agents(session: Session, city_code: str) -> None:
    """Each station's receiver a 村级代办员, each centre's a 乡镇特派员, each hall's a
    分管协调员; the demo proxy agent at his station."""
    session.execute(text("""
        INSERT INTO svc_proxy_agent (user_id, unit_id, tier, name, is_active)
        SELECT DISTINCT ON (m.user_id) m.user_id, u.id,
               CASE u.kind WHEN 'service_station' THEN 'village'
                           WHEN 'service_centre' THEN 'township' ELSE 'coordinator' END,
               coalesce(nullif(au.full_name, ''), au.username), true
        FROM membership m JOIN unit u ON u.id = m.unit_id JOIN app_user au ON au.id = m.user_id
        WHERE m.is_active AND m.position IN ('receiver', 'proxy_agent')
          AND u.kind IN ('service_station', 'service_centre', 'service_hall')
          AND u.seat_code >= :low AND u.seat_code < :high
        ORDER BY m.user_id, (m.position = 'proxy_agent') DESC, u.id
        ON CONFLICT (user_id) DO NOTHING"""), subtree_range(city_code))


SUBJECT_TABLES = (("svc_application", "svc_application"), ("svc_bundle", "svc_bundle"),
                  ("svc_rectification", "svc_rectification"),
                  ("svc_enterprise_request", "svc_enterprise_request"),
                  ("svc_stuck_matter", "svc_stuck_matter"))


def remove_demo(session: Session, *, city_code: str, **_) -> None:
    """The city's applications and everything on them, its points and agents, and the
    departments' units the demo added (the catalogue stays: it is the province's)."""
    bounds = subtree_range(city_code)
    for table in ("svc_rectification", "svc_stuck_matter", "svc_enterprise_request"):
        session.execute(text(f"DELETE FROM {table} WHERE owner_code >= :low "
                             "AND owner_code < :high"), bounds)
    session.execute(text("""
        DELETE FROM svc_rating r USING svc_application a WHERE a.id = r.application_id
          AND a.owner_code >= :low AND a.owner_code < :high"""), bounds)
    session.execute(text("DELETE FROM svc_application WHERE owner_code >= :low "
                         "AND owner_code < :high"), bounds)
    session.execute(text("DELETE FROM svc_bundle WHERE owner_code >= :low "
                         "AND owner_code < :high"), bounds)
    session.execute(text("DELETE FROM svc_refusal_report WHERE county_code >= :low "
                         "AND county_code < :high"), bounds)
    # The kernel's rows of the subjects just removed (no foreign key: keyed by type, id):
    # their clocks would be read by every sweep, their timelines by nothing.
    for subject_type, table in SUBJECT_TABLES:
        for kernel_table in ("case_clock", "timeline_event", "attachment"):
            session.execute(text(f"""
                DELETE FROM {kernel_table} k WHERE k.subject_type = :type
                  AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.id = k.subject_id)"""),
                {"type": subject_type})
        session.execute(text(f"""
            DELETE FROM case_link l WHERE
              (l.a_type = :type AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.id = l.a_id))
              OR (l.b_type = :type
                  AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.id = l.b_id))"""),
            {"type": subject_type})
    session.execute(text("""
        DELETE FROM svc_proxy_agent g USING unit u WHERE u.id = g.unit_id
          AND u.seat_code >= :low AND u.seat_code < :high"""), bounds)
    session.execute(text("""
        DELETE FROM unit WHERE kind = 'department' AND department_code = ANY(:own)
          AND seat_code >= :low AND seat_code < :high"""),
        {**bounds, "own": list(OWN_DEPARTMENTS)})
