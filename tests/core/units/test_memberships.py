"""core/units/memberships.py and the grants they give (core/units/service.py): positions,
执法证, two units at once, the members of a unit by position, the centre of an area."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.units import memberships
from core.units.service import centre_of, grants_of, members_of

pytestmark = pytest.mark.usefixtures("demo_city")

COUNTY, OTHER_COUNTY = "430202", "430203"
OURS, THEIRS = Scope.of_areas([COUNTY]), Scope.of_areas([OTHER_COUNTY])
TODAY = memberships.today()
CARD = {"credential_number": "43020299000001", "credential_issuer": "荷塘区人民政府",
        "credential_expires_on": TODAY + timedelta(days=700)}


def unit_id(session, code: str) -> int:
    return session.scalar(text("SELECT id FROM unit WHERE code = :c"), {"c": code})


def user_id(session, username: str) -> int:
    return session.scalar(text("SELECT id FROM app_user WHERE username = :u"), {"u": username})


def add(session, *, unit: str, user: str, position: str, scope=OURS, **credential):
    return memberships.add_member(session, actor="test", scope=scope,
                                  unit_id=unit_id(session, unit), user_id=user_id(session, user),
                                  position=position, **credential)


@pytest.fixture
def squadron(session) -> str:
    return f"{COUNTY}-squadron-chengguan-1"


def test_a_handler_needs_an_enforcement_credential(session, squadron):
    with pytest.raises(InvalidInput, match="执法证") as refused:
        add(session, unit=squadron, user="demo_county_dispatcher", position="handler")
    assert refused.value.code == "membership_credential_required"
    with pytest.raises(InvalidInput, match="together"):
        add(session, unit=squadron, user="demo_county_dispatcher", position="reviewer",
            credential_number="43020299000001")
    membership = add(session, unit=squadron, user="demo_county_dispatcher", position="handler",
                     **CARD)
    grant = next(g for g in grants_of(session, user_id=membership.user_id)
                 if g.unit_id == membership.unit_id)
    assert (grant.position, grant.department, grant.credential_expires_on) == (
        "handler", "chengguan", CARD["credential_expires_on"])
    assert grant.credential_valid_on(TODAY)


def test_an_inspector_needs_one_too_and_a_reviewer_does_not(session):
    office = f"{COUNTY}001-market_office"
    with pytest.raises(InvalidInput, match="执法证"):
        add(session, unit=office, user="demo_service_clerk", position="inspector")
    reviewer = add(session, unit=office, user="demo_service_clerk", position="reviewer")
    assert reviewer.credential_number is None


@pytest.mark.parametrize(("card", "error"), [
    ({"credential_expires_on": TODAY - timedelta(days=1)}, "membership_credential_expired"),
    ({"credential_number": "4 3"}, "membership_credential_number"),
    ({"credential_issuer": "x"}, "membership_credential_issuer"),
])
def test_a_bad_credential_is_refused(session, squadron, card, error):
    with pytest.raises(InvalidInput) as refused:
        add(session, unit=squadron, user="demo_county_dispatcher", position="handler",
            **(CARD | card))
    assert refused.value.code == error


def test_a_credential_belongs_to_one_person(session, squadron):
    add(session, unit=squadron, user="demo_county_dispatcher", position="handler", **CARD)
    with pytest.raises(Conflict, match="another person"):
        add(session, unit=squadron, user="demo_supervisor", position="handler", **CARD)


def test_an_expired_credential_shows_in_the_grants(session):
    expired = session.scalar(text(
        "SELECT m.user_id FROM membership m JOIN unit u ON u.id = m.unit_id "
        "WHERE u.code = :c AND m.credential_expires_on < :today"),
        {"c": f"{COUNTY}-squadron-chengguan-1", "today": TODAY})
    (grant,) = grants_of(session, user_id=expired)
    assert grant.position == "handler" and grant.credential_expires_on < TODAY
    assert not grant.credential_valid_on(TODAY)
    assert grant.credential_valid_on(grant.credential_expires_on)


def test_a_member_of_two_units_gets_both(session):
    worker = user_id(session, "demo_grid_worker")
    village = session.scalar(text("SELECT scope_code FROM app_user WHERE id = :u"),
                             {"u": worker})
    add(session, unit=f"{village}-service_station", user="demo_grid_worker",
        position="proxy_agent")
    grants = {(g.unit_id, g.position, g.platform) for g in grants_of(session, user_id=worker)}
    assert grants == {(unit_id(session, f"{village}-centre"), "grid_worker", "grid"),
                      (unit_id(session, f"{village}-service_station"), "proxy_agent",
                       "convenience")}


def test_members_of_by_position(session):
    brigade = unit_id(session, f"{COUNTY}-brigade-chengguan")
    handlers = members_of(session, unit_ids=[brigade], positions=["handler"])
    assert user_id(session, "demo_enforcement_officer") in handlers and len(handlers) == 2
    assert members_of(session, unit_ids=[brigade], positions=["dispatcher"]) == []
    reviewer = add(session, unit=f"{COUNTY}-brigade-chengguan", user="demo_supervisor",
                   position="reviewer")
    assert members_of(session, unit_ids=[brigade]) == sorted([*handlers, reviewer.user_id])


def test_centre_of_each_level(session):
    village = session.scalar(text("SELECT scope_code FROM app_user "
                                  "WHERE username = 'demo_village_staff'"))
    for code in ("430200", COUNTY, village[:9], village):
        centre = centre_of(session, area_code=code)
        assert (centre.kind, centre.seat_code, centre.platform) == ("centre", code, "grid")
    with pytest.raises(NotFound):
        centre_of(session, area_code="430202999")


def test_scope_rules_for_members(session, squadron):
    with pytest.raises(NotFound):  # their admin, our unit
        add(session, unit=squadron, user="demo_county_dispatcher", position="reviewer",
            scope=THEIRS)
    outsider = session.scalar(text("SELECT username FROM app_user WHERE role = 'grid_worker' "
                                   "AND scope_code LIKE :c || '%' LIMIT 1"), {"c": OTHER_COUNTY})
    with pytest.raises(NotFound, match="no user"):  # our unit, their user
        add(session, unit=squadron, user=outsider, position="reviewer")


def test_edit_end_and_take_up_again(session, squadron):
    membership = add(session, unit=squadron, user="demo_county_dispatcher",
                     position="reviewer")
    session.info.pop("accounts_changed", None)
    renewed = memberships.update_membership(
        session, actor="t", scope=OURS, membership_id=membership.id, version=1,
        changes={"position": "handler", **CARD})
    assert (renewed.position, renewed.version) == ("handler", 2)
    assert session.info["accounts_changed"] == {membership.user_id}
    with pytest.raises(Conflict, match="changed meanwhile"):
        memberships.update_membership(session, actor="t", scope=OURS,
                                      membership_id=membership.id, version=1,
                                      changes={"credential_issuer": "别的政府"})
    with pytest.raises(NotFound):
        memberships.end_membership(session, actor="t", scope=THEIRS,
                                   membership_id=membership.id)
    memberships.end_membership(session, actor="t", scope=OURS, membership_id=membership.id)
    assert membership.unit_id not in {g.unit_id for g in
                                      grants_of(session, user_id=membership.user_id)}
    again = add(session, unit=squadron, user="demo_county_dispatcher", position="handler",
                **CARD)
    assert again.id == membership.id and again.is_active and again.version == 4
    with pytest.raises(Conflict, match="already"):
        add(session, unit=squadron, user="demo_county_dispatcher", position="handler", **CARD)


def test_members_are_listed_with_their_credentials_validity(session):
    rows = memberships.list_members(session, scope=OURS,
                                    unit_id=unit_id(session, f"{COUNTY}-squadron-chengguan-1"))
    assert sorted(r["credential_valid"] for r in rows) == [False, True]
    assert {r["position_label"] for r in rows} == {"承办人"}
    assert memberships.list_members(session, scope=OURS, unit_id=rows[0]["unit_id"],
                                    position="head") == []
    with pytest.raises(NotFound):
        memberships.list_members(session, scope=THEIRS, unit_id=rows[0]["unit_id"])


def test_two_admins_adding_the_same_membership_at_once_get_one_201_and_one_409(engine):
    """The second one's check passes while the first is uncommitted; its write then waits
    on the unique index and is refused as a conflict, not a 500."""
    def add_in(session):
        return add(session, unit=f"{COUNTY}-brigade-housing", user="demo_supervisor",
                   position="legal_reviewer")

    outcome = {}

    def second():
        with Session(engine) as session:
            try:
                add_in(session)
                session.commit()
                outcome["second"] = "added"
            except Conflict as exc:
                outcome["second"] = exc.code

    first = Session(engine)
    try:
        assert add_in(first).is_active
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1)  # it waits on the first's uncommitted row
        assert thread.is_alive()
        first.commit()
        thread.join(timeout=30)
        assert outcome == {"second": "written_meanwhile"}
    finally:
        first.rollback()
        first.execute(text("DELETE FROM membership WHERE user_id = (SELECT id FROM app_user "
                           "WHERE username = 'demo_supervisor') AND position = 'legal_reviewer'"))
        first.commit()
        first.close()
