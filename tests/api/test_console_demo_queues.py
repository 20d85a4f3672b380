"""The demo's desks (issue 12 §9, 13 §11): after the platforms' demos, the demo officer's,
dispatcher's and inspector's "mine" queues of their consoles are not empty, through the
same list functions the consoles' endpoints call (their memberships make them so)."""

from datetime import UTC, datetime

from sqlalchemy import text

from core import platforms
from core.security import Principal
from core.units.service import grants_of
from core.users.enums import Role


def _principal(session, username: str) -> Principal:
    row = session.execute(text("SELECT id, role, scope_code FROM app_user WHERE username = :u"),
                          {"u": username}).one()
    return Principal(row.id, username, Role(row.role), row.scope_code,
                     grants_of(session, user_id=row.id))


def _enforcement_mine(session, username: str) -> int:
    from enforcement.cases import lists

    total, _ = lists.list_cases(session, principal=_principal(session, username),
                                filters=lists.CaseFilter(mine=True), limit=5, offset=0)
    return total


def test_the_demo_desks_have_work_in_their_own_queues(session, settings, demo_city):
    from market_supervision.inspections import service as inspections

    platforms.load_demos(session, names=["enforcement", "market_supervision"],
                         city_code="430200", seed=7, settings=settings, cases=60,
                         entities=3000, now=datetime.now(UTC))
    for username in ("demo_enforcement_officer", "demo_county_dispatcher"):
        assert _enforcement_mine(session, username) > 0, username
    total, _ = inspections.list_inspections(
        session, principal=_principal(session, "demo_market_inspector"), states=(),
        task_id=None, entity_id=None, queue="mine", area=None, limit=5, offset=0)
    assert total > 0


# --- what the move forms draw (the workflow's field kinds, the consoles' pickers) ---------

def test_handle_describes_its_photos_field(client):
    """处理反馈 takes 处理后 photos: described, so that the console draws a photo picker."""
    incident = client.get("/api/v1/workflows/incident").json()
    moves = {move["name"]: move for move in incident["moves"]}
    assert moves["handle"]["fields"] == [{"name": "photos", "label": "处理后照片",
                                          "kind": "photos"}]
    assert {f["name"]: f["kind"] for f in moves["dispatch"]["fields"]} == {
        "handler_unit_id": "unit", "handler_user_id": "member"}


def test_people_and_units_are_picked_and_platform_modules_are_served(anonymous):
    from api.console_pages import find

    enforcement, market, orders = find("enforcement"), find("market"), find("workorders")
    kinds = {field.key: (field.kind, field.platform) for field in enforcement.move_fields}
    assert kinds["officer_ids"] == ("members", None) and kinds["officer_id"] == ("member", None)
    assert kinds["instalments"] == ("instalments", None)
    assert [(f.kind, f.platform) for f in market.move_fields] == [("unit", "enforcement")]
    assert [f.kind for f in orders.move_fields if f.key == "handler_unit_id"] == ["unit"]
    for console in (enforcement, market):
        served = anonymous.get(f"/static/{console.extra_module}")
        assert served.status_code == 200, console.extra_module
        assert "export {section}" in served.text
    for module in ("enforcement/console/teams.js", "enforcement/console/records.js",
                   "console/pickers.js"):
        assert anonymous.get(f"/static/{module}").status_code == 200, module
