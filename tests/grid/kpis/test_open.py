"""/api/v1/kpis/open: open, overdue and warned incidents per child area, in scope.

The demo city's history is committed underneath: each test reads the counts before and
after adding its own incidents and checks the difference, which it counted by hand.
"""

import pytest
from sqlalchemy import text

from core.errors import NotFound
from core.scope import Scope
from core.security import Principal
from core.users.enums import Role
from grid.incidents.service import scope_sql
from grid.kpis import open as open_incidents
from grid.kpis.service import area_subject
from tests.conftest import bearer
from tests.grid.kpis.conftest import add_incident, at


def _open(session, parent: str, code: str = "430200", role: Role = Role.admin) -> dict:
    return open_incidents.open_by_child(session, parent=parent,
                                        scope=Scope.of(Principal(1, "t", role, code)))


def _by_code(result: dict) -> dict[str, tuple[int, int, int]]:
    rows = [result["parent"], *result["children"]]
    return {row["code"]: (row["open"], row["overdue"], row["warned"]) for row in rows}


def _minus(after: dict, before: dict) -> dict:
    return {code: tuple(a - b for a, b in zip(after[code], before.get(code, (0, 0, 0)),
                                              strict=True))
            for code in after}


def _add(session, grid, *, state: str, deadline: str = "green") -> int:
    incident = add_incident(session, grid, reported=at("03-02 09:00"), state=state)
    session.execute(text("UPDATE incident SET deadline = :d WHERE id = :id"),
                    {"d": deadline, "id": incident})
    return incident


def _add_the_example(session, places) -> None:
    """Grid a: 2 open (one red, one yellow) + a closed red one and a void one; grid b: one
    open green, one suspended red; grid y (another county): one open red."""
    a, b, y = places.a, places.b, places.y
    _add(session, a, state="filed", deadline="red")
    _add(session, a, state="handling", deadline="yellow")
    _add(session, a, state="closed", deadline="red")
    _add(session, a, state="void")
    _add(session, b, state="reported")
    _add(session, b, state="suspended", deadline="red")
    _add(session, y, state="dispatched", deadline="red")


def test_each_child_village_and_the_township(session, places):
    before = _by_code(_open(session, places.a.township))
    _add_the_example(session, places)
    result = _open(session, places.a.township)
    assert result["parent"]["code"] == places.a.township
    assert result["parent"]["level"] == "township" and result["parent"]["name"]
    children = result["children"]
    assert [c["code"] for c in children] == sorted(c["code"] for c in children)
    assert {c["level"] for c in children} == {"village"}
    assert all(c["code"][:9] == places.a.township and c["name"] for c in children)
    delta = _minus(_by_code(result), before)
    assert delta[places.a.village] == (2, 1, 1)
    assert delta[places.b.village] == (2, 1, 0)
    assert delta[places.a.township] == (4, 2, 1)
    assert all(counts == (0, 0, 0) for code, counts in delta.items()
               if code not in (places.a.village, places.b.village, places.a.township))
    # The parent's totals are its children's sums.
    for column in ("open", "overdue", "warned"):
        assert result["parent"][column] == sum(c[column] for c in children), column


def test_a_grid_and_the_city(session, places):
    before_grid = _by_code(_open(session, places.a.code))
    before_city = _by_code(_open(session, "430200"))
    _add_the_example(session, places)
    grid = _open(session, places.a.code)
    assert grid["children"] == [] and grid["parent"]["level"] == "grid"
    assert _minus(_by_code(grid), before_grid) == {places.a.code: (2, 1, 1)}
    city = _minus(_by_code(_open(session, "430200")), before_city)
    assert city["430200"] == (5, 3, 1)
    assert city[places.a.county] == (4, 2, 1) and city[places.y.county] == (1, 1, 0)
    assert len(city) == 10  # the city and its nine districts


def test_only_the_callers_territory_counts(session, places):
    before = _by_code(_open(session, places.a.county, code=places.a.county,
                            role=Role.county_dispatcher))
    _add_the_example(session, places)
    county = _open(session, places.a.county, code=places.a.county, role=Role.county_dispatcher)
    assert all(c["code"].startswith(places.a.county) for c in county["children"])
    # y's red incident lies in another county: not his, not counted.
    assert _minus(_by_code(county), before)[places.a.county] == (4, 2, 1)
    # A village clerk sees his village's grids; his township is not his to see.
    village = _open(session, places.a.village, code=places.a.village, role=Role.village_staff)
    assert village["children"] and all(c["code"].startswith(places.a.village)
                                       and c["level"] == "grid" for c in village["children"])
    with pytest.raises(NotFound):
        _open(session, places.a.township, code=places.a.village, role=Role.village_staff)


def test_the_api_answer_and_its_refusals(client, settings, session, places):
    _add_the_example(session, places)
    response = client.get("/api/v1/kpis/open", params={"parent": places.a.township})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"parent", "children"}
    assert set(body["parent"]) == {"code", "name", "level", "open", "overdue", "warned"}

    county = bearer(settings, role="county_dispatcher", scope_code=places.a.county)
    for parent in ("430200", places.y.county, places.y.code):  # above or beside his county
        refused = client.get("/api/v1/kpis/open", params={"parent": parent}, headers=county)
        assert refused.status_code == 404, (parent, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    township = bearer(settings, role="township_staff", scope_code=places.a.township)
    mine = client.get("/api/v1/kpis/open", params={"parent": places.a.township},
                      headers=township)
    assert mine.status_code == 200 and mine.json() == body

    for params in ({}, {"parent": "43021x"}, {"parent": "4302"}):
        bad = client.get("/api/v1/kpis/open", params=params)
        assert bad.status_code == 422, params
        assert bad.headers["content-type"] == "application/problem+json"
    worker = bearer(settings, role="grid_worker", scope_code=places.a.village)
    assert client.get("/api/v1/kpis/open", params={"parent": places.a.village},
                      headers=worker).status_code == 403


def test_the_subtree_is_read_through_an_index(session, places):
    """The parent's subtree is a grid_code range the btree serves, or the open incidents'
    partial index (the planner's choice by the data): never a scan of the whole table."""
    session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: force the choice
    scope = Scope.of(Principal(1, "t", Role.county_dispatcher, places.a.county))
    subject = area_subject(session, code=places.a.township, scope=scope)
    scope_where, scope_params = scope_sql(scope)
    plan = "\n".join(row[0] for row in session.connection().exec_driver_sql(
        "EXPLAIN " + open_incidents.OPEN_SQL.format(subject=subject.condition,
                                                    scope=scope_where, child_length=12),
        {**subject.params, **scope_params}))
    assert "ix_incident_grid_code_reported" in plan or "ix_incident_owner_open" in plan, plan
    assert "Seq Scan on incident" not in plan, plan
