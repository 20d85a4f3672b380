"""A grid worker's scope in a column condition (core/scope.py `column_condition`): the
cases of his own grids, not those of the other grids of his village (found by the
authorization matrix: he read cases by code prefix); codes above the grid level stay in
by their prefix (his village's centre, his own account)."""

from sqlalchemy import select, text

from core.scope import Scope
from core.security import Principal
from core.users.enums import Role
from geo.models import Area


def _grid_worker(session) -> tuple[Principal, set[str]]:
    """A grid worker of a village with several grids, responsible for the first one."""
    village = session.execute(text(
        "SELECT substr(code, 1, 12) FROM area WHERE level = 'grid' GROUP BY 1 "
        "HAVING count(*) > 1 ORDER BY 1 LIMIT 1")).scalar_one()
    grid = session.execute(text("SELECT id, code FROM area WHERE level = 'grid' AND "
                                "code LIKE :v || '%' ORDER BY code LIMIT 1"),
                           {"v": village}).one()
    user = session.scalar(text(
        "INSERT INTO app_user (username, password_hash, role, scope_code) "
        "VALUES ('scope-test-worker', '!', 'grid_worker', :v) RETURNING id"), {"v": village})
    worker = session.scalar(text(
        "INSERT INTO grid_worker (staff_code, name, phone, user_id) "
        "VALUES ('SCOPETEST000001', '测试网格员', '13800000000', :u) RETURNING id"),
        {"u": user})
    session.execute(text("INSERT INTO grid_assignment (worker_id, grid_id) VALUES (:w, :g)"),
                    {"w": worker, "g": grid.id})
    return Principal(user, "scope-test-worker", Role.grid_worker, village), {grid.code}


def test_a_grid_worker_sees_his_own_grids_and_the_levels_above(session, demo_city):
    worker, own = _grid_worker(session)
    assert own, "the demo grid worker looks after no grid"
    territory = worker.scope_code  # his village
    codes = set(session.scalars(select(Area.code).where(
        Area.code.startswith(territory), Scope.of(worker).column_condition(Area.code))))
    assert {code for code in codes if len(code) == 15} == own
    assert min(own)[:12] in codes  # his village: its centre, cases filed there
    siblings = set(session.scalars(select(Area.code).where(
        Area.code.startswith(territory), Area.level == "grid"))) - own
    assert siblings, "nothing to keep out: the demo territory has his grids only"
    assert not (siblings & codes)


def test_other_roles_keep_the_prefix(session, demo_city):
    worker, own = _grid_worker(session)
    staff = Principal(0, "x", Role.village_staff, worker.scope_code)
    grids = set(session.scalars(select(Area.code).where(
        Area.level == "grid", Scope.of(staff).column_condition(Area.code))))
    assert own <= grids and len(grids) > len(own)


def test_a_grid_workers_case_condition_in_a_query_with_two_scopes(session, demo_city):
    """The same scope twice in one statement (units read their seat and their areas)."""
    worker, own = _grid_worker(session)
    scope = Scope.of(worker)
    rows = session.scalars(select(Area.code).where(
        scope.column_condition(Area.code) | scope.column_condition(Area.code)).limit(5000))
    assert {code for code in rows if len(code) == 15} == own
