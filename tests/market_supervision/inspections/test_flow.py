"""An inspection's life through the kernel: 录入 with both inspectors' confirmations (each
holding a valid 执法证), 审核 by the unit's 审核人, 公示 on its clock, 责令限期改正 and a
re-inspection of the failed lines only, 撤销 and 撤回 within 3 working days."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text

from core.errors import Conflict, Forbidden, InvalidInput
from core.workflow import clocks
from core.workflow.clocks import Subject
from market_supervision.inspections import opening, service
from market_supervision.inspections.models import (
    Inspection,
    InspectionCheck,
    InspectionSubmission,
)
from tests.market_supervision.inspections.helpers import move, record_body

SHANGHAI = "Asia/Shanghai"


def _clock(session, inspection, name):
    return clocks.running(session, Subject("market_inspection", inspection.id), name)


def test_a_draw_opens_one_inspection_per_target_once(session, settings, market, inspection):
    assert (inspection.state, inspection.owner_unit_id) == ("pending", market.office.id)
    assert service.check_ids(session, inspection.id) == sorted(market.checks)
    assert service.inspector_ids(session, inspection.id) == [p.user_id for p in market.inspectors]
    opened, existing = opening.open_for_draw(session, draw_id=market.draw.id, actor="test",
                                             settings=settings)
    assert (opened, existing) == ([], [inspection.id])


def test_record_confirm_review_publish(session, settings, market, inspection):
    first, second = market.inspectors
    fail, on_site = market.checks[1], market.checks[0]
    move(session, settings, inspection, "record", first,
         **record_body(market, market.checks, fail=[fail], on_site=[on_site], rectify_days=10))
    assert (inspection.state, inspection.outcome) == ("recorded", "ordered")
    assert (inspection.failed_count, inspection.ordered_count) == (2, 1)
    assert inspection.geom is not None and inspection.confirmed_by == [first.user_id]
    lines = {c.check_id: c for c in session.scalars(select(InspectionCheck).where(
        InspectionCheck.inspection_id == inspection.id))}
    assert lines[on_site].rectified_on_site and len(lines[fail].photo_ids) == 1
    # The recorder does not confirm twice; the reviewer is no inspector of it.
    with pytest.raises(Conflict) as refused:
        move(session, settings, inspection, "confirm", first)
    assert refused.value.code == "already_confirmed"
    with pytest.raises(Forbidden) as refused:
        move(session, settings, inspection, "confirm", market.reviewer)
    assert refused.value.code in ("move_not_for_role", "not_an_assigned_inspector")
    move(session, settings, inspection, "confirm", second)
    assert inspection.state == "submitted"
    told = session.scalar(text("SELECT payload FROM outbox_message WHERE topic = "
                               "'market_inspection.submitted' ORDER BY id DESC LIMIT 1"))
    assert told["subject_id"] == inspection.id
    assert told["audience"] == {"unit_ids": [market.office.id],
                                "positions": ["head", "reviewer"]}
    # 公示 runs from the inspection's moment; 整改 10 natural days from its day.
    publish, rectify = _clock(session, inspection, "publish"), _clock(session, inspection,
                                                                     "rectify")
    assert publish.started_at == inspection.inspected_at and publish.limit == "20d"
    assert inspection.publish_due_at == publish.due_at
    assert rectify.limit == "10cd" and inspection.rectify_due_at == rectify.due_at
    with pytest.raises(Forbidden) as refused:
        move(session, settings, inspection, "approve", first)
    assert refused.value.code == "not_the_reviewer"
    move(session, settings, inspection, "approve", market.reviewer)
    move(session, settings, inspection, "publish", market.reviewer)
    assert inspection.state == "published" and inspection.published_on_time is True
    assert _clock(session, inspection, "publish") is None
    session.refresh(market.entity)
    assert market.entity.last_result == "fail"


def test_a_stale_version_is_refused_and_changes_nothing(session, settings, market, inspection):
    first = market.inspectors[0]
    move(session, settings, inspection, "record", first, **record_body(market, market.checks))
    stale = {"version": inspection.version - 1}
    from market_supervision.inspections import flows
    from market_supervision.inspections.schemas import ActionIn

    with pytest.raises(Conflict) as refused:
        flows.act(session, inspection_id=inspection.id, name="confirm",
                  data=ActionIn.model_validate(stale), principal=market.inspectors[1],
                  settings=settings)
    assert refused.value.code == "stale_version"
    assert (inspection.state, inspection.confirmed_by) == ("recorded", [first.user_id])


def test_a_failed_line_needs_on_site_correction_or_a_deadline(session, settings, market,
                                                               inspection):
    with pytest.raises(InvalidInput) as refused:
        move(session, settings, inspection, "record", market.inspectors[0],
             **record_body(market, market.checks, fail=[market.checks[2]]))
    assert refused.value.code == "rectify_deadline_required"
    with pytest.raises(InvalidInput) as refused:
        move(session, settings, inspection, "record", market.inspectors[0],
             **record_body(market, market.checks[:2]))
    assert refused.value.code == "checklist_incomplete"
    assert inspection.state == "pending"


def test_an_inspector_with_an_expired_credential_neither_records_nor_confirms(
        session, settings, market):
    """≥ 2 inspectors with a valid 执法证: the one whose 执法证 expired yesterday is refused
    (行政处罚法第四十二条), so the record never reaches review with his confirmation."""
    market.task.mode = "directed"
    session.flush()
    first = market.inspectors[0]
    inspection = opening.open_directed(
        session, task_id=market.task.id, entity_id=market.entity.id,
        inspector_ids=[first.user_id, market.expired.user_id], actor="test",
        settings=settings, scope=service.Scope.of(first))
    with pytest.raises(Forbidden) as refused:
        move(session, settings, inspection, "record", market.expired,
             **record_body(market, market.checks))
    assert refused.value.code == "credential_required"
    move(session, settings, inspection, "record", first, **record_body(market, market.checks))
    with pytest.raises(Forbidden) as refused:
        move(session, settings, inspection, "confirm", market.expired)
    assert refused.value.code == "credential_required"
    assert inspection.state == "recorded"


def test_reinspection_covers_the_ordered_lines_only(session, settings, market, inspection):
    first, second = market.inspectors
    ordered, on_site = market.checks[2], market.checks[0]
    move(session, settings, inspection, "record", first,
         **record_body(market, market.checks, fail=[ordered], on_site=[on_site],
                       rectify_days=15))
    move(session, settings, inspection, "confirm", second)
    move(session, settings, inspection, "approve", market.reviewer)
    move(session, settings, inspection, "publish", market.reviewer)
    move(session, settings, inspection, "reinspect", first)
    assert inspection.state == "published"
    child = session.scalar(select(Inspection).where(Inspection.parent_id == inspection.id))
    # The one line ordered corrected: not the line corrected on the spot, not the passed.
    assert service.check_ids(session, child.id) == [ordered]
    assert (child.kind, child.state) == ("reinspection", "pending")
    with pytest.raises(Conflict) as refused:
        move(session, settings, inspection, "reinspect", first)
    assert refused.value.code == "reinspection_open"
    move(session, settings, child, "record", second, **record_body(market, [ordered]))
    move(session, settings, child, "confirm", first)
    move(session, settings, child, "approve", market.reviewer)
    session.refresh(inspection)
    assert inspection.rectification == "done"
    assert _clock(session, inspection, "rectify") is None
    move(session, settings, child, "publish", market.reviewer)
    session.refresh(market.entity)
    assert market.entity.last_result == "rectified"


def test_overturned_then_withdrawn_within_three_working_days(session, settings, market,
                                                             inspection):
    first, second = market.inspectors
    move(session, settings, inspection, "record", first, **record_body(market, market.checks))
    move(session, settings, inspection, "confirm", second)
    move(session, settings, inspection, "approve", market.reviewer)
    move(session, settings, inspection, "publish", market.reviewer)
    with pytest.raises(InvalidInput):
        move(session, settings, inspection, "overturn", market.reviewer)
    move(session, settings, inspection, "overturn", market.reviewer, reason="行政复议决定撤销")
    withdraw = _clock(session, inspection, "withdraw")
    assert withdraw.limit == "3d" and inspection.withdraw_due_at == withdraw.due_at
    move(session, settings, inspection, "withdraw", market.reviewer)
    assert inspection.state == "withdrawn" and inspection.withdrawn_on_time is True
    session.refresh(market.entity)
    assert market.entity.last_result is None


def test_a_replayed_record_is_applied_once(session, settings, market, inspection):
    body = record_body(market, market.checks)
    first = move(session, settings, inspection, "record", market.inspectors[0], key="k-1",
                 **body)
    version = inspection.version
    again = move(session, settings, inspection, "record", market.inspectors[0], key="k-1",
                 **{**body, "version": version - 1})
    assert (first.replayed, again.replayed, inspection.version) == (False, True, version)
    assert session.scalar(select(InspectionSubmission.id).where(
        InspectionSubmission.idempotency_key == "k-1")) is not None
    with pytest.raises(InvalidInput) as refused:
        move(session, settings, inspection, "record", market.inspectors[0], key="k-1",
             **{**body, "summary": "另一份"})
    assert refused.value.code == "idempotency_key_reused"


def test_the_publication_clock_counted_by_hand_across_national_day(session, settings, market,
                                                                  inspection):
    """An inspection on Friday 2026-09-25 (中秋节, a holiday): 20 working days after that
    day (the day itself not counted; 企业信息公示暂行条例第六条), on the 2026 schedule —
    中秋 9-25..27 off, 国庆 10-01..07 off, Saturday 10-10 a 调休 working day:

        09-28 1, 09-29 2, 09-30 3, 10-08 4, 10-09 5, 10-10 6 (Sat, 调休), 10-12 7,
        10-13 8, 10-14 9, 10-15 10, 10-16 11, 10-19 12, 10-20 13, 10-21 14, 10-22 15,
        10-23 16, 10-26 17, 10-27 18, 10-28 19, 10-29 20

    so it is due at the close of office on Thursday 2026-10-29."""
    from zoneinfo import ZoneInfo

    from core.workflow.calendar_store import load_calendar

    zone = ZoneInfo(SHANGHAI)
    moment = datetime(2026, 9, 25, 10, 0, tzinfo=zone)
    move(session, settings, inspection, "record", market.inspectors[0],
         **record_body(market, market.checks, inspected_at=moment))
    move(session, settings, inspection, "confirm", market.inspectors[1])
    due = _clock(session, inspection, "publish").due_at.astimezone(zone)
    closing = load_calendar(session, settings=settings).closing
    assert due == datetime.combine(date(2026, 10, 29), closing, zone)
    assert due.time() == closing and closing > time(12)
    # Past that moment, unpublished: on the unit's overdue list (the clock it sees).
    total, page = service.list_inspections(
        session, principal=market.reviewer, states=(), task_id=None, entity_id=None,
        queue=None, area=None, limit=10, offset=0, overdue="publish")
    assert [i.id for i in page] == [inspection.id]


def test_the_sweep_turns_an_unwithdrawn_overturn_red(session, settings, market, inspection):
    """The kernel's one sweep colours the inspection's named clocks by their own rules: an
    overturned result not withdrawn within its 3 working days turns red, and lists as
    overdue for 撤回."""
    from core.workflow import sweep

    first, second = market.inspectors
    move(session, settings, inspection, "record", first, **record_body(market, market.checks))
    move(session, settings, inspection, "confirm", second)
    move(session, settings, inspection, "approve", market.reviewer)
    move(session, settings, inspection, "publish", market.reviewer)
    move(session, settings, inspection, "overturn", market.reviewer, reason="复议撤销")
    withdraw = _clock(session, inspection, "withdraw")
    assert withdraw.colour == "green"
    result = sweep.sweep(session, now=withdraw.due_at + timedelta(minutes=1), settings=settings)
    assert result.by_case_type["market.inspection"]["red"] >= 1
    session.refresh(withdraw)
    assert withdraw.colour == "red"
