"""The demo city's units and members (core/units/demo.py), as the demo_city fixture loads
them: counted against the areas, every unit staffed, the demo accounts where their role
says."""

import pytest
from sqlalchemy import text

from core.units.demo import (
    DEPARTMENT_UNITS,
    SQUADRON_DEPARTMENTS,
    expired_credentials,
    remove_demo_units,
)
from core.units.memberships import today
from core.units.service import grants_of

pytestmark = [pytest.mark.usefixtures("demo_city"), pytest.mark.pristine_demo]
CITY = "430200"


def count(session, sql: str, **params) -> int:
    return session.scalar(text(sql), params)


def areas(session, level: str) -> int:
    return count(session, "SELECT count(*) FROM area WHERE level = :l AND code LIKE '4302%'",
                 l=level)


def units(session, kind: str, seat_length: int | None = None) -> int:
    return count(session, "SELECT count(*) FROM unit WHERE kind = :k AND is_active "
                 "AND (CAST(:n AS int) IS NULL OR length(seat_code) = :n)",
                 k=kind, n=seat_length)


def test_counts_per_kind_follow_the_areas(session):
    counties, townships, villages = (areas(session, level)
                                     for level in ("county", "township", "village"))
    departments = count(session, "SELECT count(*) FROM department")
    enforcing = count(session, "SELECT count(*) FROM department WHERE code = ANY(:codes)",
                      codes=[code for code, (_, brigade) in DEPARTMENT_UNITS.items() if brigade])
    assert (counties, townships, villages) == (9, 107, 1370)
    assert [units(session, "centre", n) for n in (6, 9, 12)] == [1 + counties, townships,
                                                                 villages]
    assert units(session, "service_station") == villages
    for kind in ("enforcement_team", "market_office", "service_centre"):
        assert units(session, kind) == townships, kind
    assert units(session, "service_hall") == counties
    assert units(session, "department") == counties * departments
    assert units(session, "brigade") == counties * enforcing


def test_one_centre_per_area_and_each_under_its_parents_centre(session):
    assert count(session, """
        SELECT count(*) FROM area a WHERE a.code LIKE '4302%' AND a.level <> 'grid'
          AND (SELECT count(*) FROM unit u WHERE u.kind = 'centre' AND u.seat_code = a.code)
              <> 1""") == 0
    assert count(session, """
        SELECT count(*) FROM unit c LEFT JOIN unit p ON p.id = c.parent_id
        WHERE c.kind = 'centre' AND c.seat_code <> :city
          AND (p.kind IS DISTINCT FROM 'centre'
               OR p.seat_code IS DISTINCT FROM area_parent_code(c.seat_code))""",
                 city=CITY) == 0


def test_each_township_has_one_squadron_of_each_department_covering_2_to_4(session):
    for department in SQUADRON_DEPARTMENTS:
        covered = session.execute(text("""
            SELECT ua.area_code, count(*) FROM unit u JOIN unit_area ua ON ua.unit_id = u.id
            WHERE u.kind = 'squadron' AND u.department_code = :d GROUP BY 1"""),
                                  {"d": department}).all()
        assert len(covered) == areas(session, "township")
        assert {n for _, n in covered} == {1}
    sizes = session.execute(text("""
        SELECT u.code, count(*) AS n, count(DISTINCT substr(ua.area_code, 1, 6)) AS counties,
               (SELECT count(*) FROM area t WHERE t.level = 'township'
                AND t.code LIKE substr(u.seat_code, 1, 6) || '%') AS county_townships,
               bool_or(ua.area_code = u.seat_code) AS seat_covered
        FROM unit u JOIN unit_area ua ON ua.unit_id = u.id WHERE u.kind = 'squadron'
        GROUP BY u.id""")).all()
    for row in sizes:
        assert row.counties == 1 and row.seat_covered, row
        assert 2 <= row.n <= 4 or row.n == row.county_townships == 1, row


def test_every_unit_sits_at_a_point_of_its_seat_and_has_a_jurisdiction(session):
    assert count(session, """
        SELECT count(*) FROM unit u JOIN area a ON a.code = u.seat_code
        WHERE NOT ST_Covers(a.geom, u.location)""") == 0
    assert count(session, "SELECT count(*) FROM unit u WHERE NOT EXISTS "
                          "(SELECT 1 FROM unit_area ua WHERE ua.unit_id = u.id)") == 0


def test_every_unit_has_a_desk_member_and_every_enforcement_unit_two_officers(session):
    assert count(session, """
        SELECT count(*) FROM unit u WHERE u.is_active AND NOT EXISTS (
            SELECT 1 FROM membership m JOIN app_user p ON p.id = m.user_id
            WHERE m.unit_id = u.id AND m.is_active AND p.is_active
              AND m.position IN ('receiver', 'dispatcher', 'handler'))""") == 0
    assert count(session, """
        SELECT count(*) FROM unit u WHERE u.kind IN ('brigade', 'squadron',
                                                     'enforcement_team')
          AND (SELECT count(*) FROM membership m WHERE m.unit_id = u.id
               AND m.position = 'handler' AND m.credential_number IS NOT NULL) < 2""") == 0
    assert count(session, """
        SELECT count(*) FROM membership WHERE position IN ('handler', 'inspector')
          AND (credential_number IS NULL OR credential_issuer IS NULL
               OR credential_expires_on IS NULL)""") == 0


DEMO_PLACES = {  # account -> (unit kind, department or None, position, seat level)
    "demo_village_staff": ("centre", None, "receiver", 12),
    "demo_township_staff": ("centre", None, "dispatcher", 9),
    "demo_county_dispatcher": ("centre", None, "dispatcher", 6),
    "demo_supervisor": ("centre", None, "head", 9),
    "demo_enforcement_officer": ("brigade", "chengguan", "handler", 6),
    "demo_ecology_officer": ("brigade", "ecology", "handler", 6),
    "demo_market_inspector": ("market_office", "market", "inspector", 9),
    "demo_service_clerk": ("service_centre", "government_services", "receiver", 9),
    "demo_proxy_agent": ("service_station", "government_services", "proxy_agent", 12),
    "demo_grid_worker": ("centre", None, "grid_worker", 12),
}


def test_the_demo_accounts_hold_the_positions_their_roles_need(session):
    for username, (kind, department, position, level) in DEMO_PLACES.items():
        user, scope = session.execute(text(
            "SELECT id, scope_code FROM app_user WHERE username = :u"), {"u": username}).one()
        (grant,) = grants_of(session, user_id=user)
        unit = session.execute(text("SELECT kind, seat_code FROM unit WHERE id = :id"),
                               {"id": grant.unit_id}).one()
        assert (unit.kind, grant.position, len(unit.seat_code)) == (kind, position, level), \
            username
        assert department is None or grant.department == department, username
        assert unit.seat_code.startswith(scope), username
        if position in ("handler", "inspector"):
            assert grant.credential_valid_on(today()), username


def test_two_departments_officers_in_one_county(session):
    rows = session.execute(text("""
        SELECT u.username, u.scope_code, un.department_code FROM app_user u
        JOIN membership m ON m.user_id = u.id JOIN unit un ON un.id = m.unit_id
        WHERE u.username IN ('demo_enforcement_officer', 'demo_ecology_officer')
        ORDER BY u.username""")).all()
    assert [(r.username, r.department_code) for r in rows] == [
        ("demo_ecology_officer", "ecology"), ("demo_enforcement_officer", "chengguan")]
    assert rows[0].scope_code == rows[1].scope_code


def test_every_grid_worker_is_a_member_of_his_villages_centre(session):
    assert count(session, """
        SELECT count(*) FROM grid_worker w WHERE w.user_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM membership m JOIN unit c ON c.id = m.unit_id
            WHERE m.user_id = w.user_id AND m.position = 'grid_worker'
              AND c.seat_code = substr(w.staff_code, 1, 12))""") == 0


def test_two_expired_credentials_for_demonstrating_the_refusal(session):
    expired = expired_credentials(session, city_code=CITY)
    assert len(expired) == 2
    assert all(day < today() for _, _, day in expired)
    assert {username.split(".")[0] for username, _, _ in expired} == {
        "430202-squadron-chengguan-1", "430202-squadron-market-1"}


def test_removal_takes_the_units_and_the_generated_accounts_only(session):
    # The demo's history names generated accounts as reporters and handlers: the demo
    # removes it before the units (grid/demo.py remove_demo), and so does this test.
    from grid.demo import remove_incidents

    remove_incidents(session, city_code=CITY)
    demo_accounts = count(session, "SELECT count(*) FROM app_user WHERE username ~ '^demo_'")
    workers = count(session, "SELECT count(*) FROM app_user WHERE role = 'grid_worker'")
    generated = count(session, "SELECT count(*) FROM app_user WHERE username ~ '^[0-9]'")
    assert generated > 3000
    removed = remove_demo_units(session, city_code=CITY)
    assert removed > 3000
    assert count(session, "SELECT count(*) FROM unit WHERE seat_code LIKE '4302%'") == 0
    assert count(session, "SELECT count(*) FROM membership") == 0
    assert count(session, "SELECT count(*) FROM app_user WHERE username ~ '^[0-9]'") == 0
    assert count(session, "SELECT count(*) FROM app_user WHERE username ~ '^demo_'") == \
        demo_accounts
    assert count(session, "SELECT count(*) FROM app_user WHERE role = 'grid_worker'") == workers
