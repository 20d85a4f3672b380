"""派遣 names the case's officers (行政处罚法第四十二条: 执法人员不得少于两人): the team sent is
made busy on the case, and its members holding a valid 执法证 for the matter's department
become the case's officers — by default every one who qualifies, or those the dispatcher
chose, each checked (a member of that team, a valid 执法证 not expired, no conflict or
recusal). A team with fewer than the least (the rule row `officers_min`, with its citation)
is refused with 422 and nothing is written. The team's officers then count for the
investigation's two-officer guard and may act on the case themselves."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from core.errors import DomainError, InvalidInput
from core.security import Principal
from core.units.models import Unit, UnitArea
from core.units.service import grants_of
from core.users.enums import Role
from enforcement.cases.models import DeclaredConflict
from tests.conftest import bearer
from tests.enforcement.cases.conftest import CITIZEN_ID, MATTER, _member, move, open_clue

VALID, EXPIRED = date.today() + timedelta(days=3650), date.today() - timedelta(days=1)


class Team:
    def __init__(self, unit: Unit, ids: dict[str, int], people: dict[str, Principal]):
        self.unit, self.id, self.ids, self.people = unit, unit.id, ids, people


def make_team(session, desk, code: str, members: dict, *, department="chengguan") -> Team:
    """A 中队 at the desk's township, qualified for `department`, with `members`:
    name → (positions, 执法证 expiry or None)."""
    unit = Unit(code=f"test-dispatch-{code}", name=f"测试派遣中队{code}", kind="squadron",
                platform="enforcement", department_code=department, seat_code=desk.township)
    session.add(unit)
    session.flush()
    session.add(UnitArea(unit_id=unit.id, area_code=desk.township))
    session.execute(text("INSERT INTO enforcement_team_qualification (team_id, "
                         "department_code) VALUES (:t, :d)"), {"t": unit.id, "d": department})
    ids, people = {}, {}
    for name, (positions, expires) in members.items():
        user = _member(session, unit, desk.township, f"{code}-{name}",
                       Role.enforcement_officer, positions, expires)
        ids[name] = user
        people[name] = Principal(user, f"enf-test-{code}-{name}", Role.enforcement_officer,
                                 desk.township, grants_of(session, user_id=user))
    return Team(unit, ids, people)


@pytest.fixture
def team(session, desk) -> Team:
    return make_team(session, desk, "a", {"lead": (["handler"], VALID),
                                          "second": (["inspector"], VALID),
                                          "lapsed": (["handler"], EXPIRED),
                                          "clerk": (["receiver"], None)})


def filed(session, settings, desk):
    case = open_clue(session, settings, desk, officers=())
    move(session, settings, desk, case, "file", matter_code=MATTER)
    return case


def dispatch(session, settings, desk, case, team, who="dispatcher", version=0, **fields):
    return move(session, settings, desk, case, "dispatch", who, team_id=team.id,
                team_version=version, **fields)


def refused(session, settings, desk, case, team, **fields) -> DomainError:
    """A refused 派遣 writes nothing: the case as it was, the team's availability unset."""
    before = (case.state, case.version, list(case.officer_ids), case.team_id)
    with pytest.raises(DomainError) as error:
        dispatch(session, settings, desk, case, team, **fields)
    session.refresh(case)
    assert (case.state, case.version, list(case.officer_ids), case.team_id) == before
    assert team_state(session, team) is None
    return error.value


def team_state(session, team):
    return session.execute(text("SELECT status, subject_type, subject_id FROM "
                                "enforcement_team_state WHERE team_id = :t"),
                           {"t": team.id}).first()


def test_dispatch_names_the_teams_qualified_members_and_makes_the_team_busy(
        session, settings, desk, team):
    case = filed(session, settings, desk)
    version = case.version
    dispatch(session, settings, desk, case, team)
    assert case.officer_ids == sorted([team.ids["lead"], team.ids["second"]])
    assert (case.team_id, case.state, case.version) == (team.id, "investigating", version + 1)
    assert tuple(team_state(session, team)) == ("busy", "enforcement_case", case.id)
    event = session.execute(text(
        "SELECT action, data FROM timeline_event WHERE subject_type = 'enforcement_case' "
        "AND subject_id = :id ORDER BY id DESC LIMIT 1"), {"id": case.id}).one()
    assert event.action == "dispatch" and event.data["team_id"] == team.id
    assert sorted(event.data["officer_ids"]) == case.officer_ids


def test_the_teams_officers_count_and_act_on_the_investigation(session, settings, desk, team):
    """Their 执法证 are the team's, not the case unit's: they count for 第四十二条, and one of
    them concludes the investigation himself; the head of the case's unit still decides."""
    case = filed(session, settings, desk)
    dispatch(session, settings, desk, case, team)
    desk.people["team_lead"] = team.people["lead"]
    move(session, settings, desk, case, "conclude", "team_lead")
    assert case.state == "investigated"
    with pytest.raises(DomainError) as error:
        move(session, settings, desk, case, "discuss", "team_lead")
    assert error.value.code == "position_required"


def test_the_dispatchers_choice_is_checked(session, settings, desk, team):
    case = filed(session, settings, desk)
    lapsed = refused(session, settings, desk, case, team,
                     officer_ids=[team.ids["lead"], team.ids["lapsed"]])
    assert (lapsed.code, lapsed.extra["cause"]) == ("officer_credential_invalid",
                                                    "credential_expired")
    no_card = refused(session, settings, desk, case, team,
                      officer_ids=[team.ids["lead"], team.ids["clerk"]])
    assert (no_card.code, no_card.extra["cause"]) == ("officer_credential_invalid",
                                                      "credential_missing")
    stranger = refused(session, settings, desk, case, team,
                       officer_ids=[team.ids["lead"], desk.ids["officer_a"]])
    assert stranger.code == "officer_not_in_team"
    assert stranger.extra["officer_ids"] == [desk.ids["officer_a"]]
    alone = refused(session, settings, desk, case, team, officer_ids=[team.ids["lead"]])
    assert (alone.code, alone.extra["least"]) == ("two_officers_required", 2)
    chosen = [team.ids["second"], team.ids["lead"]]
    dispatch(session, settings, desk, case, team, officer_ids=chosen)
    assert case.officer_ids == sorted(chosen)


def test_a_team_with_fewer_than_two_qualified_members_is_refused(session, settings, desk):
    thin = make_team(session, desk, "b", {"only": (["handler"], VALID),
                                          "lapsed": (["handler"], EXPIRED)})
    case = filed(session, settings, desk)
    error = refused(session, settings, desk, case, thin)
    assert error.code == "team_too_few_officers" and isinstance(error, InvalidInput)
    assert error.extra["qualified"] == [thin.ids["only"]] and error.extra["least"] == 2
    assert "第四十二条" in error.extra["citation"]


def test_the_least_number_is_the_rule_rows(session, settings, desk, team):
    """The limit is data with its citation: a province that asks for three refuses a team
    of two qualified members."""
    row = session.execute(text("SELECT value, citation FROM enforcement_rule "
                               "WHERE key = 'officers_min'")).one()
    assert row.value == "2" and "执法人员不得少于两人" in row.citation
    session.execute(text("UPDATE enforcement_rule SET value = '3' WHERE key = 'officers_min'"))
    case = filed(session, settings, desk)
    error = refused(session, settings, desk, case, team)
    assert (error.code, error.extra["least"]) == ("team_too_few_officers", 3)


def test_recusal_and_qualification_are_honoured(session, settings, desk, team):
    session.add(DeclaredConflict(user_id=team.ids["second"], party_key=CITIZEN_ID,
                                 reason="当事人系其表弟"))
    session.flush()
    case = filed(session, settings, desk)
    # The conflicted member is left out of the default: one left, refused.
    assert refused(session, settings, desk, case, team).code == "team_too_few_officers"
    chosen = refused(session, settings, desk, case, team,
                     officer_ids=[team.ids["lead"], team.ids["second"]])
    assert (chosen.code, chosen.extra["officer_id"]) == ("officer_recused", team.ids["second"])
    market = make_team(session, desk, "c", {"x": (["handler"], VALID),
                                            "y": (["handler"], VALID)}, department="market")
    assert refused(session, settings, desk, case, market).code == "team_not_qualified"


def test_who_may_dispatch_and_the_teams_availability(session, settings, desk, team):
    case = filed(session, settings, desk)
    assert refused(session, settings, desk, case, team,
                   who="officer_a").code == "position_required"
    assert refused(session, settings, desk, case, team, version=3).code == "stale_version"
    session.execute(text("INSERT INTO enforcement_team_state (team_id, status, subject_type, "
                         "subject_id, version) VALUES (:t, 'busy', 'whistle_call', 1, 1)"),
                    {"t": team.id})
    with pytest.raises(DomainError) as error:
        dispatch(session, settings, desk, case, team, version=1)
    assert error.value.code == "team_busy"


def test_a_second_dispatch_frees_the_first_team(session, settings, desk, team):
    other = make_team(session, desk, "d", {"x": (["handler"], VALID),
                                           "y": (["inspector"], VALID)})
    case = filed(session, settings, desk)
    dispatch(session, settings, desk, case, team)
    dispatch(session, settings, desk, case, other)
    assert case.team_id == other.id
    assert case.officer_ids == sorted(other.ids.values())
    assert team_state(session, team).status == "free"
    assert tuple(team_state(session, other)) == ("busy", "enforcement_case", case.id)


def test_through_http_the_crew_the_refusal_and_the_detail(session, settings, desk, team,
                                                          anonymous):
    client = anonymous
    client.headers.update(bearer(settings, role="enforcement_officer",
                                 scope_code=desk.township, user_id=desk.ids["dispatcher"],
                                 username="enf-test-dispatcher"))
    case = filed(session, settings, desk)
    crew = client.get(f"/api/v1/enforcement/teams/{team.id}/crew", params={"case": case.id})
    assert crew.status_code == 200, crew.text
    body = crew.json()
    assert body["default"] == sorted([team.ids["lead"], team.ids["second"]])
    assert body["least"] == 2 and body["team_qualified"] is True
    why = {m["user_id"]: m["why_not"] for m in body["members"]}
    assert why[team.ids["lapsed"]] == "credential_expired"
    assert why[team.ids["clerk"]] == "credential_missing"
    thin = make_team(session, desk, "e", {"only": (["handler"], VALID)})
    url = f"/api/v1/enforcement/cases/{case.id}/actions/dispatch"
    refused_ = client.post(url, json={"version": case.version, "team_id": thin.id,
                                      "team_version": 0})
    assert refused_.status_code == 422
    assert refused_.headers["content-type"].startswith("application/problem+json")
    assert refused_.json()["code"] == "team_too_few_officers"
    assert team_state(session, thin) is None
    sent = client.post(url, json={"version": case.version, "team_id": team.id,
                                  "team_version": 0})
    assert sent.status_code == 200, sent.text
    detail = client.get(f"/api/v1/enforcement/cases/{case.id}").json()
    assert detail["team_id"] == team.id
    assert sorted(detail["valid_officers"]) == body["default"]
    assert "dispatch" in [m["name"] for m in detail["actions"]]
    # The team's members find the case among their units' cases.
    client.headers.update(bearer(settings, role="enforcement_officer",
                                 scope_code=desk.township, user_id=team.ids["lead"],
                                 username="enf-test-a-lead"))
    mine = client.get("/api/v1/enforcement/cases", params={"mine": "true", "limit": 500})
    assert case.id in [item["id"] for item in mine.json()["items"]]
    # Every clock says what stops it (issue 13 §9): the decision's, hearings and 公告.
    decision = next(c for c in detail["clocks"] if c["name"] == "decision")
    assert "听证" in decision["stops"] and "公告" in decision["stops"]


def test_the_team_is_free_again_when_the_case_ends(session, settings, desk, team):
    case = open_clue(session, settings, desk, officers=())
    dispatch(session, settings, desk, case, team)  # a 线索 sent to be verified on the spot
    assert team_state(session, team).status == "busy"
    move(session, settings, desk, case, "decline", decline_reason="no_fault",
         reason="当事人有证据证明没有主观过错")
    assert (case.state, team_state(session, team).status) == ("not_filed", "free")
