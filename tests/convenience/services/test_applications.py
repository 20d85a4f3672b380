"""Applications on the kernel: 一窗受理 (window takes, department decides, the same window
hands out), 容缺受理 with its deadline computed by hand and the sweep's withdrawal, 帮代办
only with consent, 告知承诺 decided on the spot, every refusal recorded and reviewed.

Times are fixed (Monday 7 December 2026, 10:00 Shanghai; office hours 08:30-12:00,
14:00-17:30): a limit of N working days ends at 17:30 of the Nth working day after the
start day (core/workflow/durations.py).
"""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from convenience.services import applications, desks
from convenience.services.models import Refusal
from core.errors import Conflict, Forbidden, InvalidInput
from core.workflow import clocks, sweep
from tests.convenience.services.conftest import MONDAY, SH, application_data


def _take(session, settings, principal, item, window, *, now=MONDAY, **extra):
    return applications.intake(session, principal=principal, settings=settings, now=now,
                               data=application_data(item, window, **extra))


def _act(session, settings, principal, application, name, *, now, **data):
    return applications.act(session, application, name, principal=principal, settings=settings,
                            now=now, data={"version": application.version, **data})


def test_one_window_takes_the_department_decides_the_window_hands_out(
        session, settings, items, places, clerk, admin):
    application = _take(session, settings, clerk, items["county"], places["centre"])
    county = places["centre"].seat_code[:6]
    owner = session.execute(text("SELECT code FROM unit WHERE id = :id"),
                            {"id": application.owner_unit_id}).scalar_one()
    # 后台分类审批: the county's market department decides a county item taken in a township.
    assert owner == f"{county}-department-market"
    assert application.intake_unit_id == places["centre"].id
    # The 承诺时限 (5 working days) from Monday 10:00: Monday 14 December, 17:30.
    assert application.due_at == datetime(2026, 12, 14, 17, 30, tzinfo=SH)
    # The window clerk is no desk of the department: he may not decide.
    with pytest.raises(Forbidden) as refused:
        _act(session, settings, clerk, application, "review", now=MONDAY)
    assert refused.value.code == "not_your_unit"
    later = MONDAY + timedelta(hours=1)
    _act(session, settings, admin, application, "review", now=later)
    _act(session, settings, admin, application, "decide", now=later, result="approved")
    # 统一窗口出件: the window that took it hands the result out.
    _act(session, settings, clerk, application, "finish", now=later)
    assert application.state == "done" and application.on_time is True
    assert application.result == "approved"


def test_deferred_material_deadline_by_hand_and_withdrawal_by_the_sweep(
        session, settings, items, places, clerk):
    item = items["county"]
    plan = next(m for m in item_materials(session, item.id) if m.may_defer)
    application = _take(session, settings, clerk, item, places["centre"], missing=[plan.id],
                        promise_text="本人承诺5个工作日内补齐场所平面图")
    # 容缺 (svc_setting supplement.default = 5d): Monday 10:00 + 5 working days is the
    # close of office on Monday 14 December (8, 9, 10, 11, 14 December).
    due = datetime(2026, 12, 14, 17, 30, tzinfo=SH)
    assert application.supplement_due_at == due
    assert "场所平面图" in application._notice and "视为撤回" in application._notice
    # A promise is required, and a primary material may not be missing.
    with pytest.raises(InvalidInput) as no_promise:
        _take(session, settings, clerk, item, places["centre"], missing=[plan.id])
    assert no_promise.value.code == "promise_required"
    card = next(m for m in item_materials(session, item.id) if m.is_primary)
    with pytest.raises(InvalidInput) as primary:
        _take(session, settings, clerk, item, places["centre"], missing=[card.id],
              promise_text="承诺")
    assert primary.value.code == "material_not_deferrable"
    # Not finished while the promised material is missing.
    # One minute before the deadline: nothing happens.
    sweep.sweep(session, now=due - timedelta(minutes=1), settings=settings)
    session.refresh(application)
    assert application.state == "accepted"
    # One minute after: withdrawn, on the timeline, its clocks stopped.
    sweep.sweep(session, now=due + timedelta(minutes=1), settings=settings)
    session.refresh(application)
    assert application.state == "withdrawn"
    events = [e["action"] for e in applications.timeline.events_of(
        session, applications.subject(application))]
    assert "lapse" in events
    assert clocks.running(session, applications.subject(application), "step") is None


def test_deferred_material_brought_in_time_stops_its_clock(session, settings, items, places,
                                                          clerk, admin):
    item = items["county"]
    plan = next(m for m in item_materials(session, item.id) if m.may_defer)
    application = _take(session, settings, clerk, item, places["centre"], missing=[plan.id],
                        promise_text="承诺补齐")
    tuesday = MONDAY + timedelta(days=1)
    _act(session, settings, admin, application, "review", now=tuesday)
    _act(session, settings, admin, application, "decide", now=tuesday, result="approved")
    with pytest.raises(InvalidInput) as missing:
        _act(session, settings, clerk, application, "finish", now=tuesday)
    assert missing.value.code == "deferred_materials_missing"
    _act(session, settings, clerk, application, "add_deferred", now=tuesday)
    assert application.deferred == [] and application.state == "decided"
    assert clocks.running(session, applications.subject(application), "supplement") is None
    sweep.sweep(session, now=datetime(2026, 12, 15, 9, 0, tzinfo=SH), settings=settings)
    session.refresh(application)
    assert application.state == "decided"
    _act(session, settings, clerk, application, "finish", now=tuesday)
    assert application.state == "done"


def test_a_proxy_needs_the_residents_consent(session, settings, items, places, agent):
    item, station = items["township"], places["station"]
    with pytest.raises(InvalidInput) as refused:
        _take(session, settings, agent, item, station, channel="proxy")
    assert refused.value.code == "consent_required"
    with pytest.raises(Forbidden) as window:
        _take(session, settings, agent, item, station, channel="window", consent=True)
    assert window.value.code == "proxy_channel_only"
    application = _take(session, settings, agent, item, station, channel="proxy",
                        consent=True, consent_note="申请人张三书面授权")
    assert application.proxy_user_id == agent.user_id
    assert application.consent_at == MONDAY
    # The database holds the rule too: no proxy application without consent.
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="proxy_needs_consent"), session.begin_nested():
        session.execute(text("UPDATE svc_application SET consent_at = NULL "
                             "WHERE id = :id"), {"id": application.id})
    # Another agent may not act on it (the consent was given to the first one).
    from tests.convenience.services.conftest import new_member

    other = new_member(session, username="svc-agent2", role=agent.role, unit=station,
                       position="proxy_agent")
    with pytest.raises(Forbidden) as stranger:
        _act(session, settings, other, application, "withdraw", now=MONDAY, reason="撤回")
    assert stranger.value.code == "consent_required"


def test_every_refusal_is_recorded_reported_and_reviewed(session, settings, items, places,
                                                          clerk, admin):
    item, window = items["county"], places["centre"]
    refused = _take(session, settings, clerk, item, window,
                    refuse={"kind": "not_accepted", "reason": "不属于本机关职权范围"})
    assert refused.state == "not_accepted"
    asked = _take(session, settings, clerk, item, window)
    with pytest.raises(InvalidInput) as silent:
        _act(session, settings, admin, asked, "ask_supplement", now=MONDAY)
    assert silent.value.code == "reason_required"
    _act(session, settings, admin, asked, "ask_supplement", now=MONDAY,
         reason="营业执照复印件不清晰，请补正")
    returned = _take(session, settings, clerk, item, window)
    _act(session, settings, admin, returned, "return", now=MONDAY, reason="申请事项已撤销")
    kinds = sorted(session.scalars(select(Refusal.kind).where(Refusal.application_id.in_(
        [refused.id, asked.id, returned.id]))))
    assert kinds == ["not_accepted", "returned", "supplement"]
    # The week's report to the county's supervising office, then a finding on each.
    reports = desks.make_refusal_reports(session, week=MONDAY.date(), now=MONDAY)
    county = window.seat_code[:6]
    report = next(r for r in reports if r["county_code"] == county)
    assert report["count"] >= 3
    # Made again: nothing new to report, the refusals stay on their report.
    again = desks.make_refusal_reports(session, week=MONDAY.date(), now=MONDAY)
    assert county not in {r["county_code"] for r in again}
    shown = desks.report_dict(session, report["id"], admin)
    first = shown["refusals"][0]
    done = desks.review_refusal(session, first["id"], finding="justified", note="理由充分",
                                version=first["version"], actor="supervisor", now=MONDAY,
                                principal=admin)
    assert done["version"] == first["version"] + 1
    with pytest.raises(Conflict):  # a stale version loses nothing
        desks.review_refusal(session, first["id"], finding="unjustified", note="",
                             version=first["version"], actor="other", now=MONDAY,
                             principal=admin)


def test_notify_commit_is_decided_on_the_spot_and_checked_later(session, settings, items,
                                                               places, clerk, admin):
    application = _take(session, settings, clerk, items["commit"], places["centre"],
                        commitment=True)
    assert application.state == "done" and application.result == "approved"
    # 核查 due 10 working days (the item's) after Monday 7 December: 8-11, 14-18 and 21
    # December, at the close of office.
    check = clocks.running(session, applications.subject(application), "commit_check")
    assert check.due_at == datetime(2026, 12, 21, 17, 30, tzinfo=SH)
    assert application.commit_check_due.isoformat() == "2026-12-21"
    with pytest.raises(InvalidInput):
        _take(session, settings, clerk, items["county"], places["centre"], commitment=True)
    _act(session, settings, admin, application, "commit_check", now=MONDAY,
         check_result="现场核查符合承诺")
    assert application.commit_checked_at == MONDAY
    assert clocks.running(session, applications.subject(application), "commit_check") is None


def test_a_stale_version_is_refused(session, settings, items, places, clerk, admin):
    application = _take(session, settings, clerk, items["county"], places["centre"])
    stale = application.version
    _act(session, settings, admin, application, "review", now=MONDAY)
    with pytest.raises(Conflict) as conflict:
        applications.act(session, application, "decide", principal=admin, settings=settings,
                         now=MONDAY, data={"version": stale, "result": "approved"})
    assert conflict.value.code == "stale_version"


def test_public_status_needs_the_phone(session, settings, items, places, clerk):
    application = _take(session, settings, clerk, items["county"], places["centre"])
    from core.errors import NotFound

    with pytest.raises(NotFound):
        applications.public_status(session, number=application.number, phone="13900000000")
    shown = applications.public_status(session, number=application.number,
                                       phone="138-0013-8000")
    assert shown["applicant"] == "张*" and "applicant_phone" not in shown
    assert shown["state_label"] == "已受理"


def item_materials(session, item_id):
    from convenience.services.catalogue import materials_of

    return materials_of(session, item_id)





def test_a_desk_assigns_proxy_work_to_an_agent_whose_queue_shows_it(
        session, settings, items, places, clerk, agent):
    from convenience.services.desks import agents, register_agent

    item, station = items["township"], places["station"]
    with pytest.raises(InvalidInput) as unknown:
        _take(session, settings, clerk, item, places["centre"], channel="proxy", consent=True,
              proxy_user_id=agent.user_id)
    assert unknown.value.code == "proxy_agent_unknown"
    register_agent(session, user_id=agent.user_id, unit_id=station.id, tier="village",
                   name="红马甲一号")
    assigned = _take(session, settings, clerk, item, places["centre"], channel="proxy",
                     consent=True, proxy_user_id=agent.user_id)
    queue = applications.queue(session, principal=agent, state=None, mine="proxy", limit=50,
                               offset=0)
    assert [a["id"] for a in queue] == [assigned.id]
    shown = next(a for a in agents(session, area_code=station.seat_code, limit=50, offset=0)
                 if a["user_id"] == agent.user_id)
    assert shown["open"] == 1 and shown["tier_label"] == "村级代办员"
