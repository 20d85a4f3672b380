"""`gridgov demo accounts` (issue 12 §9): a concrete login for every role, a grid worker's
among them, each one an account that logs in with the demo password, in a district with
several townships; and the demo district itself (geo/demo.py: townships by people as well
as by area, so an urban district has several 街道)."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.users.enums import Role
from grid.demo import demo_logins
from tests.api.test_cli import cli  # noqa: F401


def test_a_concrete_login_for_every_role(cli, demo_city, engine, settings,  # noqa: F811
                                        anonymous):
    result = cli("demo", "accounts")
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        logins = demo_logins(session)
    by_role: dict[str, list] = {}
    for login in logins:
        by_role.setdefault(login.role, []).append(login)
        assert login.username in result.output and login.name in result.output
    assert set(by_role) == {str(role) for role in Role}
    # Two grid workers: the demo one and a gw<staff code> of the same district.
    workers = [login.username for login in by_role["grid_worker"]]
    assert workers[0] == "demo_grid_worker" and workers[1].startswith("gw")
    assert all(login.name and not login.name.isascii() for login in logins)
    assert "网格员 (grid_worker)" in result.output
    # Each of them logs in with the published password (a few, for time: argon2).
    for username in ("demo_grid_worker", workers[1], by_role["township_staff"][-1].username):
        answer = anonymous.post("/api/v1/auth/token", data={
            "username": username, "password": settings.demo_password})
        assert answer.status_code == 200, (username, answer.text)
    # Desks are named: the village staff's 受理员 at a centre.
    village = by_role["village_staff"][0]
    assert village.username == "demo_village_staff" and "受理员 @ " in village.positions


def test_the_demo_accounts_sit_in_a_district_of_several_streets(demo_city, engine):
    with engine.connect() as connection:
        district = connection.scalar(text(
            "SELECT left(scope_code, 6) FROM app_user WHERE username = 'demo_township_staff'"))
        townships = connection.execute(text(
            "SELECT name FROM area WHERE level = 'township' AND code LIKE :d || '%'"),
            {"d": district}).scalars().all()
        everyone = connection.execute(text(
            "SELECT username FROM app_user WHERE username ~ '^demo_' "
            "AND left(scope_code, 6) <> :d AND scope_code <> '430200'"),
            {"d": district}).scalars().all()
    assert len(townships) >= 4
    assert sum(name.endswith("街道") for name in townships) >= 3
    assert everyone == []  # all in that district (the admin: the city)
