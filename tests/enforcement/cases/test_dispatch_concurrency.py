"""派遣 at once (the live server, its own sessions, committed rows): eight dispatchers send
one team to two cases, all from the same versions read. One wins — the team busy on its
case, the case's officers named — and seven get 409; the other case is as it was. What the
test committed is removed after it."""

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.users import accounts
from tests.api.console_platforms_support import (
    Made,
    cleanup,
    enforcement_dispatchable,
    principal,
    user_id,
)
from tests.concurrency import all_at_once
from tests.conftest import bearer

DISPATCHER = "demo_county_dispatcher"


def _second_case(session, settings, made: Made) -> Made:
    """Another 线索 of the same team (the first case's unit), at the same grid."""
    from enforcement.cases import service
    from enforcement.cases.models import Case
    from enforcement.cases.schemas import CaseIn

    first = session.get(Case, made.id)
    data = CaseIn(procedure="ordinary", unit_id=first.owner_unit_id, source="patrol",
                  title="占道经营（并发派遣）", facts="在人行道上摆摊",
                  area_code=first.area_code)
    officer = principal(session, user_id(session, "demo_enforcement_officer"))
    case, _ = service.open_case(session, principal=officer, data=data, settings=settings)
    session.flush()
    return Made(case.id, case.version, "enforcement_case", "enforcement_case", case.state)


@pytest.fixture
def two_cases(engine, settings, demo_city):
    with Session(engine) as session:
        first = enforcement_dispatchable(session, settings,
                                         username="demo_enforcement_officer")
        second = _second_case(session, settings, first)
        session.commit()
        members = list(session.scalars(text(
            "SELECT user_id FROM membership WHERE id = ANY(:m)"), {"m": first.memberships}))
    accounts.forget(members)
    yield first, second
    with Session(engine) as session:
        cleanup(session, second)
        cleanup(session, first)
        session.commit()
    accounts.forget(members)


def test_one_dispatch_wins_the_others_get_409(live_server, settings, engine, two_cases):
    first, second = two_cases
    team = first.rows[0][1]
    with Session(engine) as session:
        dispatcher = user_id(session, DISPATCHER)
    headers = bearer(settings, user_id=dispatcher, username=DISPATCHER)
    cases = [first, second]
    turn = iter(range(1000))

    with httpx.Client(base_url=live_server.url, timeout=120) as client:
        def send():
            case = cases[next(turn) % 2]
            answer = client.post(f"/api/v1/enforcement/cases/{case.id}/actions/dispatch",
                                 headers=headers,
                                 json={"version": case.version, "team_id": team,
                                       "team_version": 0})
            return case.id, answer.status_code, answer.json().get("code")
        answers = all_at_once(send)
    won = [case for case, status, _ in answers if status == 200]
    assert len(won) == 1, answers
    assert sorted(status for _, status, _ in answers) == [200] + [409] * 7
    assert {code for _, status, code in answers if status == 409} <= {"stale_version"}
    with Session(engine) as session:
        state = session.execute(text(
            "SELECT status, subject_id, version FROM enforcement_team_state "
            "WHERE team_id = :t"), {"t": team}).one()
        rows = dict(session.execute(text(
            "SELECT id, cardinality(officer_ids) FROM enforcement_case WHERE id = ANY(:ids)"),
            {"ids": [first.id, second.id]}).all())
    assert tuple(state) == ("busy", won[0], 1)
    loser = second.id if won[0] == first.id else first.id
    assert (rows[won[0]], rows[loser]) == (2, 0)
