"""One console for every platform (issue 12 §1, 13 §9, 14, 15 §7): each platform part
declares its console as data (core/consoles.py), the app serves it at /console/{key} as a
public shell drawn by the shared modules, and GET /api/v1/consoles tells each user which
consoles his role and memberships may use (the headers' links)."""

import pytest

from api.console_pages import declared, find
from tests.api.console_platforms_support import work_order
from tests.api.pages_support import module_graph, start_call
from tests.api.test_console_platforms_browser import seeded
from tests.conftest import bearer
from tests.enforcement.cases.conftest import desk

__all__ = ["desk", "seeded"]  # fixtures, imported for this module's tests

KEYS = {"enforcement": ("enforcement.case", "执法案件受理台", "/enforcement/cases"),
        "market": ("market.inspection", "市场监管检查受理台", "/market/inspections"),
        "workorders": ("work_order", "12345工单受理台", "/convenience/workorders")}
# The console's own modules (written once, for every platform) and the shared ones.
MODULES = {"/static/console/platform.js", "/static/console/list.js",
           "/static/console/subject.js", "/static/console/forms.js",
           "/static/console/values.js", "/static/console/nav.js", "/static/moves.js",
           "/static/workflow.js", "/static/session.js", "/static/i18n.js"}


def test_every_platform_declares_its_console(anonymous):  # the app installs them
    assert {console.key for console in declared()} >= set(KEYS)
    for key, (case_type, title, list_url) in KEYS.items():
        console = find(key)
        assert (console.case_type, console.title, console.list_url) == (
            case_type, title, list_url)
        assert console.columns and console.queues and console.detail
        assert "{id}" in console.detail_url and "{move}" in console.move_url


@pytest.mark.parametrize("key", sorted(KEYS))
def test_each_console_page_is_served_configured(anonymous, key):
    response = anonymous.get(f"/console/{key}")
    assert response.status_code == 200
    html = response.text
    case_type, title, list_url = KEYS[key]
    assert f"<title>{title}</title>" in html
    entry, options = start_call(html)
    assert entry == "/static/console/platform.js"
    assert options["caseType"] == case_type
    config = options["console"]
    assert (config["key"], config["list_url"], config["url"]) == (key, list_url,
                                                                  f"/console/{key}")
    assert [c["key"] for c in config["columns"]][0] in ("id", "number")
    # One set of modules for every platform: no copy of the console per platform.
    assert set(module_graph(anonymous, [entry])) >= MODULES


def test_the_consoles_share_one_entry_and_the_grid_keeps_its_own(anonymous):
    entries = {start_call(anonymous.get(f"/console/{key}").text)[0] for key in KEYS}
    assert entries == {"/static/console/platform.js"}
    assert start_call(anonymous.get("/console").text)[0] == "/static/console/console.js"


def test_an_unknown_console_is_a_404_problem(anonymous):
    response = anonymous.get("/console/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_console"
    assert anonymous.get("/console/Bad%20Key").status_code == 422


def test_the_workflow_each_console_draws_is_described(client):
    for key, (case_type, _, _) in KEYS.items():
        body = client.get(f"/api/v1/workflows/{case_type}").json()
        assert body["code"] == case_type and body["moves"], key


@pytest.mark.parametrize("role, expected", [
    ("enforcement_officer", {"incident", "enforcement"}),
    ("market_inspector", {"incident", "market"}),
    ("county_dispatcher", {"incident", "enforcement", "workorders"}),
    ("village_staff", {"incident", "workorders"}),
    ("grid_worker", set()),  # the field app is his
    ("service_clerk", {"incident", "workorders"}),
])
def test_each_role_is_offered_the_consoles_it_may_use(anonymous, settings, demo_city, role,
                                                      expected):
    anonymous.headers.update(bearer(settings, role=role, scope_code="430202"))
    consoles = anonymous.get("/api/v1/consoles").json()
    assert {one["key"] for one in consoles} == expected
    for one in consoles:
        assert one["url"] == ("/console" if one["key"] == "incident"
                              else f"/console/{one['key']}")
        assert one["title"]


def test_the_consoles_list_needs_a_login(anonymous):
    assert anonymous.get("/api/v1/consoles").status_code == 401


def test_a_membership_in_a_platform_unit_opens_its_console(anonymous):
    """A role the console does not name (a supervisor) that holds a position in one of the
    platform's units is offered it; without the membership, not."""
    from api.console_pages import consoles_for
    from core.security import MembershipGrant, Principal
    from core.users.enums import Role

    lead = MembershipGrant(unit_id=1, position="head", platform="enforcement",
                           department="chengguan", area_codes=("430202",))
    bare = Principal(1, "lead", Role.supervisor, "430202")
    member = Principal(1, "lead", Role.supervisor, "430202", (lead,))
    assert "enforcement" not in {one["key"] for one in consoles_for(bare)}
    assert "enforcement" in {one["key"] for one in consoles_for(member)}


@pytest.mark.parametrize("path", ["/api/v1/enforcement/cases", "/api/v1/market/inspections"])
def test_the_lists_sort_by_the_consoles_columns(client, path):
    """The consoles' column headers: `sort` with `order` (added for them), checked."""
    for sort in ("id", "state"):
        for order in ("asc", "desc"):
            response = client.get(f"{path}?sort={sort}&order={order}&limit=5")
            assert response.status_code == 200, response.text
    assert client.get(f"{path}?sort=nonsense").status_code == 422
    assert client.get(f"{path}?sort=id&order=sideways").status_code == 422


def test_enforcement_cases_sort_either_way(session, settings, desk):
    from enforcement.cases import lists
    from tests.enforcement.cases.conftest import open_clue

    made = [open_clue(session, settings, desk).id for _ in range(3)]
    who = desk.people["head"]
    for order, expected in (("asc", sorted(made)), ("desc", sorted(made, reverse=True))):
        _, rows = lists.list_cases(session, principal=who, filters=lists.CaseFilter(mine=True),
                                   limit=10, offset=0, sort="id", order=order)
        assert [row.id for row in rows] == expected


def test_a_work_order_says_which_moves_the_caller_may_make(anonymous, settings, seeded):
    """The console's buttons come from the detail's `actions` (added for the console), with
    its timeline: an operator may dispatch, transfer or void a registered order."""
    order = seeded(work_order, username="demo_county_dispatcher")
    anonymous.headers.update(bearer(settings, role="county_dispatcher",
                                    scope_code=order.owner_code))
    body = anonymous.get(f"/api/v1/convenience/workorders/{order.id}").json()
    assert set(body["actions"]) == {"dispatch", "transfer", "void"}
    assert [event["action"] for event in body["timeline"]] == ["open"]
    anonymous.headers.update(bearer(settings, role="admin", scope_code="430200"))
    assert anonymous.get(f"/api/v1/convenience/workorders/{order.id}").json()["actions"] == []
