"""移送综合执法 in one move: a referral subject with the evidence, linked to the inspection,
handed off (kernel, kind refer) into the enforcement unit's queue; once the outbox delivers
the kernel's event, the enforcement platform (when installed) opens a case linked to it."""

from sqlalchemy import select

from core import platforms
from core.attachments import service as attachments
from core.users.enums import Role
from core.workflow import handoffs, links, outbox
from core.workflow.clocks import Subject
from core.workflow.models import Handoff
from market_supervision.inspections import referrals
from market_supervision.inspections.models import Referral
from tests.market_supervision.inspections.conftest import _member
from tests.market_supervision.inspections.helpers import move, record_body


def test_a_serious_finding_is_referred_in_one_move(session, settings, market, inspection):
    first = market.inspectors[0]
    serious = market.checks[2]
    move(session, settings, inspection, "record", first,
         **record_body(market, market.checks, fail=[serious], rectify_days=5))
    version = inspection.version
    move(session, settings, inspection, "refer", first, reason="涉嫌销售过期食品，移送综合执法",
         to_unit_id=market.enforcement.id)
    # The inspection stays with the market office, recorded; one move, one version.
    assert (inspection.state, inspection.version) == ("recorded", version + 1)
    assert inspection.referred_at is not None
    referral = session.scalar(select(Referral).where(Referral.inspection_id == inspection.id))
    assert referral.check_ids == [serious]
    subject = Subject("market_referral", referral.id)
    # In the enforcement unit's queue, awaiting its signature.
    handoff = session.scalar(select(Handoff).where(Handoff.subject_type == "market_referral",
                                                   Handoff.subject_id == referral.id))
    assert (handoff.kind, handoff.status, handoff.to_unit_id, handoff.to_platform) == (
        "refer", "pending", market.enforcement.id, "enforcement")
    assert referral.id in session.scalars(handoffs.pending_to(
        frozenset({market.enforcement.id}), "market_referral")).all()
    # The evidence went with it, and both ends see the link.
    assert len(attachments.of_subject(session, subject)) == 1
    assert links.linked(session, Subject("market_inspection", inspection.id), kind="referred",
                        other_type="market_referral") == [subject]
    # The enforcement unit signs it (签收); the kernel's event, delivered by the outbox,
    # makes the enforcement platform (when installed) open its case, linked to the referral.
    session.flush()
    outbox.deliver_pending(session, channels=[])
    assert _cases(session, subject) == []  # not before the signature
    officer = _member(session, market.enforcement, role=Role.enforcement_officer,
                      position="handler", scope=market.township)
    referrals.answer(session, referral_id=referral.id, handoff_id=handoff.id, sign=True,
                     reason=None, principal=officer, settings=settings)
    assert (referral.state, handoff.status) == ("accepted", "signed")
    session.flush()
    outbox.deliver_pending(session, channels=[])
    cases = _cases(session, subject)
    if "enforcement" in platforms.names():
        assert len(cases) == 1 and cases[0]["direction"] == "to"
    else:  # not built: the signed referral is where the finding stays
        assert cases == []


def _cases(session, subject):
    return [link for link in links.links_of(session, subject)
            if link["kind"] == "referred" and link["type"] != "market_inspection"]


def test_a_finding_is_referred_once(session, settings, market, inspection):
    import pytest

    from core.errors import Conflict

    first = market.inspectors[0]
    move(session, settings, inspection, "record", first, **record_body(
        market, market.checks, fail=[market.checks[0]], rectify_days=5))
    move(session, settings, inspection, "refer", first, reason="移送",
         to_unit_id=market.enforcement.id)
    with pytest.raises(Conflict) as refused:
        move(session, settings, inspection, "refer", first, reason="再次移送")
    assert refused.value.code == "already_referred"


def test_the_enforcement_unit_signs_the_referral(session, settings, market, inspection):
    from core.users.enums import Role
    from core.workflow import timeline
    from market_supervision.inspections import referrals
    from tests.market_supervision.inspections.conftest import _member

    first = market.inspectors[0]
    move(session, settings, inspection, "record", first, **record_body(
        market, market.checks, fail=[market.checks[0]], rectify_days=5))
    move(session, settings, inspection, "refer", first, reason="移送",
         to_unit_id=market.enforcement.id)
    referral = session.scalar(select(Referral).where(Referral.inspection_id == inspection.id))
    handoff = session.scalar(select(Handoff).where(Handoff.subject_type == "market_referral",
                                                   Handoff.subject_id == referral.id))
    officer = _member(session, market.enforcement, role=Role.enforcement_officer,
                      position="handler", scope=market.township)
    import pytest

    from core.errors import Forbidden

    with pytest.raises(Forbidden):  # the market office does not sign its own referral
        referrals.answer(session, referral_id=referral.id, handoff_id=handoff.id, sign=True,
                         reason=None, principal=market.reviewer, settings=settings)
    referrals.answer(session, referral_id=referral.id, handoff_id=handoff.id, sign=True,
                     reason=None, principal=officer, settings=settings)
    assert (referral.state, handoff.status) == ("accepted", "signed")
    actions = [e["action"] for e in timeline.events_of(
        session, Subject("market_inspection", inspection.id))]
    assert "referral.accepted" in actions
