"""A platform declared only inside the test suite (tests/plugin_platform) plugs in with no
edit in core or api — its model, workflow, case type, clock rule, route, layer and event
subscriber — and a referral runs the round trip between it and incidents: the incident is
referred to one of its units, the platform receives the event through the outbox, opens
its own ticket linked to the incident, and reports back on the incident's timeline when
the ticket closes. One sweep then handles the clocks of both case types, each by its own
rule.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core import platforms
from core.security import Principal
from core.units.models import Membership, Unit, UnitArea
from core.units.service import grants_of
from core.users.enums import Role
from core.users.models import User
from core.workflow import links, outbox, sweep
from core.workflow.clocks import Subject
from core.workflow.handoffs import handoff_dict
from geo.layers import registry
from grid.incidents import handoffs, service
from grid.incidents.schemas import HandoffIn, ReportIn
from tests.plugin_platform import platform as tickets


@pytest.fixture
def installed(session) -> Iterator[None]:
    """The platform plugged in for this test; its table in the test's transaction."""
    platforms.install(tickets.PLATFORM)
    tickets.TicketBase.metadata.create_all(session.connection())
    try:
        yield
    finally:
        tickets.teardown()
        platforms.uninstall(tickets.NAME)


@pytest.fixture
def desk(session, demo_city) -> dict:
    """A tickets unit covering the first township of the demo city, a member at its desk,
    and a township centre's dispatcher who refers incidents to it."""
    township = session.execute(text(
        "SELECT code FROM area WHERE level = 'township' ORDER BY code LIMIT 1")).scalar_one()
    unit = Unit(code="test-tickets", name="测试工单中心", kind="service_centre",
                platform=tickets.NAME, seat_code=township)
    session.add(unit)
    session.flush()
    session.add(UnitArea(unit_id=unit.id, area_code=township))
    clerk = User(username="ticket-clerk", password_hash="x", role=Role.service_clerk,
                 scope_code=township)
    session.add(clerk)
    session.flush()
    session.add(Membership(user_id=clerk.id, unit_id=unit.id, position="receiver"))
    session.flush()
    staff = session.execute(text("SELECT id, username, scope_code FROM app_user "
                                 "WHERE username = 'demo_township_staff'")).one()
    assert staff.scope_code == township
    return {"township": township, "unit": unit,
            "clerk": Principal(clerk.id, clerk.username, Role.service_clerk, township,
                               grants_of(session, user_id=clerk.id)),
            "dispatcher": Principal(staff.id, staff.username, Role.township_staff, township,
                                    grants_of(session, user_id=staff.id))}


def _report(session, settings, township: str):
    grid = session.execute(text(
        "SELECT code, ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat "
        "FROM area WHERE level = 'grid' AND code LIKE :p ORDER BY code LIMIT 1"),
        {"p": township + "%"}).one()
    staff = session.execute(text("SELECT id FROM app_user "
                                 "WHERE username = 'demo_township_staff'")).scalar_one()
    reporter = Principal(staff, "demo_township_staff", Role.township_staff, township)
    data = ReportIn.model_validate({
        "location": {"type": "Point", "coordinates": [grid.lon, grid.lat]},
        "category": session.execute(text(
            "SELECT code FROM category WHERE level = 'minor' ORDER BY code LIMIT 1")).scalar(),
        "description": "占道经营", "urgency": "normal"})
    return service.report(session, principal=reporter, data=data, idempotency_key="plug-1",
                          settings=settings).incident


def _referred(session, settings, desk):
    """An incident reported in the desk's township and referred (转办) to the platform's unit,
    the outbox delivered: the platform has opened its ticket."""
    incident = _report(session, settings, desk["township"])
    handoffs.hand_off(session, incident_id=incident.id, principal=desk["dispatcher"],
                      settings=settings, data=HandoffIn(kind="refer", version=incident.version,
                                                        to_unit_id=desk["unit"].id,
                                                        reason="转办"))
    _deliver_all(session)
    return incident


def _deliver_all(session, most_batches: int = 100):
    """Every pending message, this test's among them: earlier tests may have committed
    more than one batch (200) of their own ahead of it."""
    for _ in range(most_batches):
        if not outbox.deliver_pending(session, channels=[]):
            return


def test_a_referral_round_trip_through_a_platform_core_never_heard_of(
        session, settings, installed, desk):
    incident = _report(session, settings, desk["township"])
    handoff = handoffs.hand_off(session, incident_id=incident.id, principal=desk["dispatcher"],
                                settings=settings, data=HandoffIn(
                                    kind="refer", version=incident.version,
                                    to_unit_id=desk["unit"].id, reason="请工单中心答复"))
    assert handoff_dict(handoff)["to_platform"] == tickets.NAME
    session.flush()
    # The outbox delivers the kernel's event to the platform's subscriber.
    _deliver_all(session)
    opened = links.linked(session, Subject("incident", incident.id), kind="referred",
                          other_type="ticket")
    assert len(opened) == 1
    ticket = session.get(tickets.Ticket, opened[0].id)
    assert (ticket.state, ticket.owner_unit_id, ticket.grid_code) == (
        "open", desk["unit"].id, incident.grid_code)
    # Delivered again (a retried message): still one ticket.
    tickets.open_from_referral(session, {"to_platform": tickets.NAME, "subject_type": "incident",
                                         "subject_id": incident.id,
                                         "to_unit_id": desk["unit"].id,
                                         "area_code": incident.grid_code, "reason": "again"})
    assert len(links.linked(session, Subject("incident", incident.id), kind="referred",
                            other_type="ticket")) == 1

    # Its route, in an app the platform plugged into; the clerk closes the ticket.
    from api.app import create_app
    from core.deps import get_session
    from tests.conftest import bearer

    app = create_app(settings)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        client.headers.update(bearer(settings, role="service_clerk",
                                     scope_code=desk["township"], username="ticket-reader"))
        got = client.get(f"/api/v1/tickets/{ticket.id}").json()
        assert got["links"][0]["type"] == "incident" and got["links"][0]["id"] == incident.id
    app.state.engine.dispose()
    from core.workflow import runner

    runner.run(session, tickets.TICKET, ticket, "close", principal=desk["clerk"],
               data={"reason": "已答复并办结"}, expected_version=ticket.version,
               settings=settings)
    links.report_back(session, Subject("ticket", ticket.id), actor="ticket-clerk",
                      action="ticket.closed", note="已答复并办结")
    session.flush()
    detail = service.incident_detail(session, incident, desk["dispatcher"])
    assert any(event["action"] == "ticket.closed" for event in detail["timeline"])
    assert {"type": "ticket", "id": ticket.id} in [
        {"type": link["type"], "id": link["id"]} for link in detail["links"]]


def test_one_sweep_runs_the_clocks_of_two_case_types_by_their_own_rules(
        session, settings, installed, desk):
    incident = _referred(session, settings, desk)
    ticket_clock = session.execute(text(
        "SELECT due_at FROM case_clock WHERE case_type = 'ticket' AND stopped_at IS NULL")
    ).scalar_one()
    step_clock = session.execute(text(
        "SELECT due_at FROM case_clock WHERE case_type = 'incident' AND stopped_at IS NULL "
        "AND subject_id = :id"), {"id": incident.id}).scalar_one()
    # 5 natural days for the ticket; the incident's filing step is hours: far apart.
    assert ticket_clock - step_clock > timedelta(days=2)
    # Between the two: the incident's clock is red, the ticket's is not yet.
    result = sweep.sweep(session, now=step_clock + timedelta(minutes=1), settings=settings)
    colours = dict(session.execute(text(
        "SELECT case_type, colour FROM case_clock WHERE stopped_at IS NULL AND "
        "((case_type = 'incident' AND subject_id = :id) OR case_type = 'ticket')"),
        {"id": incident.id}).all())
    assert colours["incident"] == "red" and colours["ticket"] in ("green", "yellow")
    assert result.by_case_type["incident"]["red"] >= 1
    # After both: the ticket's turns red too, its case type having no escalation.
    result = sweep.sweep(session, now=ticket_clock + timedelta(minutes=1), settings=settings)
    assert result.by_case_type["ticket"]["red"] == 1
    again = sweep.sweep(session, now=ticket_clock + timedelta(minutes=2), settings=settings)
    assert again.by_case_type["ticket"] == {"yellow": 0, "red": 0, "escalated": 0}


def test_its_layer_is_served_with_the_others(session, installed, desk, client):
    assert "tickets" in {layer["name"] for layer in client.get("/api/v1/layers").json()}
    assert "tickets" in {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert registry.get("tickets").source == "test_ticket t"


def test_an_expired_credential_cannot_make_a_move_that_needs_one(session, settings, installed,
                                                                 desk):
    """The guard reads the memberships the request carries: an 执法证 valid today in the
    unit that holds the ticket, or 403 `credential_required`."""
    from datetime import date, timedelta

    from core.errors import Forbidden
    from core.workflow import runner

    incident = _referred(session, settings, desk)
    ticket = session.get(tickets.Ticket, links.linked(
        session, Subject("incident", incident.id), kind="referred", other_type="ticket")[0].id)
    officers = {}
    for name, expires in (("expired", date.today() - timedelta(days=1)),
                          ("valid", date.today() + timedelta(days=365))):
        user = User(username=f"ticket-officer-{name}", password_hash="x",
                    role=Role.enforcement_officer, scope_code=desk["township"])
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, unit_id=desk["unit"].id, position="handler",
                               credential_number=f"43-{name}", credential_issuer="株洲市人民政府",
                               credential_expires_on=expires))
        session.flush()
        officers[name] = Principal(user.id, user.username, Role.enforcement_officer,
                                   desk["township"], grants_of(session, user_id=user.id))
    with pytest.raises(Forbidden) as refused:
        runner.run(session, tickets.TICKET, ticket, "inspect", principal=officers["expired"],
                   data={}, expected_version=ticket.version, settings=settings)
    assert refused.value.code == "credential_required"
    # The clerk holds no 执法证 at all: refused the same way.
    with pytest.raises(Forbidden):
        runner.run(session, tickets.TICKET, ticket, "inspect", principal=desk["clerk"],
                   data={}, expected_version=ticket.version, settings=settings)
    done = runner.run(session, tickets.TICKET, ticket, "inspect", principal=officers["valid"],
                      data={}, expected_version=ticket.version, settings=settings)
    assert done.move.name == "inspect" and ticket.version == 2
