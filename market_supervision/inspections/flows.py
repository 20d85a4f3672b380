"""Moves on an inspection: every one through the kernel's runner (lock, version, the pure
decision of workflow.py, timeline, notices, audit) in the edge's one transaction. Here is
only what needs the database before a move (the photos checked, the fix converted, the
facts the guards read) and after it (the checklist's lines written, the clocks of 公示,
整改 and 撤回 started or stopped, the entity's last result, a re-inspection opened, a
finding referred to 综合执法).

A field submission may carry an Idempotency-Key: replayed (a phone's offline queue sent
twice), it answers with the inspection as it is and applies nothing again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from geoalchemy2.elements import WKTElement
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from core.attachments import service as attachments
from core.errors import InvalidInput
from core.security import Principal
from core.settings import Settings
from core.workflow import clocks, handoffs, idempotency, links, runner
from core.workflow.clocks import Subject
from geo.locate import to_wgs84_point
from market_supervision.inspections import opening, rules, service
from market_supervision.inspections.case_type import (
    INSPECTION,
    REFERRAL,
    REFERRAL_SUBJECT,
    SUBJECT,
)
from market_supervision.inspections.models import (
    Inspection,
    InspectionCheck,
    InspectionSubmission,
    Referral,
)
from market_supervision.inspections.schemas import ActionIn
from market_supervision.inspections.vocabulary import (
    LAST_RESULT_OF_OUTCOME,
    PUBLIC,
    SUBMITTED,
)

# A device's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)
ENFORCEMENT = "enforcement"
SUBMISSION_KEY = "uq_market_inspection_submission"


@dataclass(frozen=True)
class Done:
    inspection: Inspection
    replayed: bool


def act(session: Session, *, inspection_id: int, name: str, data: ActionIn,
        principal: Principal, settings: Settings, idempotency_key: str | None = None,
        now: datetime | None = None) -> Done:
    """One move on an inspection in the caller's territory (see the module doc)."""
    inspection = service.get_inspection(session, inspection_id=inspection_id,
                                        principal=principal)
    if idempotency_key is not None or name == "record":
        first = _claim(session, inspection, name, data, principal, idempotency_key)
        if first is not None:
            return Done(first, replayed=True)
    prepared = PREPARE.get(name, _plain)(session, inspection, data, principal, settings)
    # Photos are checked before anything is written (a bad one refuses the whole record).
    photos = [attachments.check_all(line.photos, limits=_limits(settings),
                                    accept=attachments.PHOTOS, noun="photo")
              for line in data.checks or ()] if name == "record" else []
    day = _local_day(data.inspected_at, settings) if name == "record" else None
    facts = service.facts(session, inspection, name=name, day=day)
    decision = runner.run(session, INSPECTION, inspection, name, principal=principal,
                          data=prepared, expected_version=data.version, settings=settings,
                          facts=facts, now=now)
    context = runner.Context(session, settings, now or runner.now_utc(), principal.username)
    AFTER.get(name, _nothing)(context, inspection, data, decision, principal,
                              photos=photos)
    return Done(inspection, replayed=False)


def _claim(session: Session, inspection: Inspection, name: str, data: ActionIn,
           principal: Principal, key: str | None) -> Inspection | None:
    """The submission's key, claimed before the move: the inspection as it is when the key
    was seen before (a replay), else None. Two copies racing meet at the key's unique
    index; the second waits for the first to commit, then replays it (rather than failing
    the version check). A move refused later rolls the claim back with it."""
    key = idempotency.checked_key(key)
    fingerprint = idempotency.fingerprint(data)
    first = idempotency.replayed(session, InspectionSubmission, submitter_column="user_id",
                                 submitter=principal.user_id, key=key,
                                 request_hash=fingerprint)
    if first is None and idempotency.inserted(session, InspectionSubmission(
            user_id=principal.user_id, idempotency_key=key, request_hash=fingerprint,
            inspection_id=inspection.id, action=name), constraint=SUBMISSION_KEY):
        return None
    first = first or idempotency.replayed(session, InspectionSubmission,
                                          submitter_column="user_id",
                                          submitter=principal.user_id, key=key,
                                          request_hash=fingerprint)
    return session.get(Inspection, first.inspection_id, populate_existing=True)


def _local_day(moment: datetime, settings: Settings):
    """The day of a moment in the office's time zone (a credential is valid by days)."""
    return moment.astimezone(ZoneInfo(settings.timezone)).date()


# --- before the move: the move's data as the decision reads it (JSON only: the timeline
# keeps it) -----------------------------------------------------------------------------

def _plain(session, inspection, data: ActionIn, principal, settings) -> dict:
    fields = data.model_dump(mode="json", exclude_none=True, exclude={"checks"})
    return fields


def _prepare_record(session: Session, inspection: Inspection, data: ActionIn,
                    principal: Principal, settings: Settings) -> dict:
    """录入: the moment (not in the future), the fix (WGS 84), the photos checked before
    anything is written; the checklist itself is the workflow's guard's."""
    if data.inspected_at is None:
        raise InvalidInput("record needs inspected_at: when the inspection took place",
                           code="inspected_at_required")
    if data.inspected_at > datetime.now(UTC) + CLOCK_SKEW:
        raise InvalidInput("inspected_at is in the future", code="inspected_at_future")
    if data.location is None and data.special != "not_found":
        raise InvalidInput("record needs location: the GPS fix where the inspection took "
                           "place", code="location_required")
    if data.checks is None and data.special is None:
        raise InvalidInput("record needs checks: the answered checklist",
                           code="checks_required")
    fields = data.model_dump(mode="json", exclude_none=True)
    if data.location is not None:
        lon, lat = to_wgs84_point(*data.location.coordinates, data.crs)
        fields["location"] = [lon, lat]
        fields.pop("crs", None)
    # The timeline keeps the record, the photos by count (they are attachments).
    for line, given in zip(fields.get("checks", ()), data.checks or (), strict=True):
        line.pop("photos", None)
        line["photo_count"] = len(given.photos)
    return fields


def _limits(settings: Settings) -> attachments.Limits:
    return attachments.Limits.of(settings)


PREPARE = {"record": _prepare_record}


# --- after the move ----------------------------------------------------------------------

def _nothing(context, inspection, data, decision, principal, **extra) -> None:
    pass


def _recorded(context: runner.Context, inspection: Inspection, data: ActionIn, decision,
              principal: Principal, **extra) -> None:
    """The lines' answers and photos; the fix (the effect set the rest)."""
    session = context.session
    if data.location is not None:
        lon, lat = to_wgs84_point(*data.location.coordinates, data.crs)
        inspection.geom = WKTElement(f"POINT({lon} {lat})", srid=4326)
    inspection.accuracy_m = data.accuracy_m
    session.execute(update(InspectionCheck).where(
        InspectionCheck.inspection_id == inspection.id).values(
        result=None, note=None, rectified_on_site=False, rectify_note=None, photo_ids=[]))
    subject = Subject(SUBJECT, inspection.id)
    for line, photos in zip(data.checks or (), extra["photos"], strict=True):
        attachments.store(session, subject, photos, kind="evidence",
                          uploaded_by=principal.user_id, media_dir=context.settings.media_dir)
        ids = _photo_ids(session, subject, photos)
        session.execute(update(InspectionCheck).where(
            InspectionCheck.inspection_id == inspection.id,
            InspectionCheck.check_id == line.check_id).values(
            result=line.result, note=line.note, rectified_on_site=line.rectified_on_site,
            rectify_note=line.rectify_note, photo_ids=ids))


def _photo_ids(session: Session, subject: Subject, photos) -> list[int]:
    """The line's photos' attachment ids: new ones, and those the inspection had already
    (a corrected record sends them again; an attachment is stored once per subject)."""
    if not photos:
        return []
    return list(session.scalars(text(
        "SELECT id FROM attachment WHERE subject_type = :t AND subject_id = :i "
        "AND sha256 = ANY(:s) ORDER BY id"),
        {"t": subject.type, "i": subject.id, "s": [p.sha256 for p in photos]}))


def _confirmed(context: runner.Context, inspection: Inspection, data, decision,
               principal, **extra) -> None:
    """Submitted for review: the 公示 clock runs from the inspection's moment (the law counts
    from when the result formed), and an order's 整改 clock from its day."""
    if decision.to_state != SUBMITTED:
        return
    start_publish_clock(context, inspection)
    start_rectify_clock(context, inspection)


def start_publish_clock(context: runner.Context, inspection: Inspection) -> None:
    rule = rules.clock_rule(context.session, "publish")
    clock = clocks.start(context.session, Subject(SUBJECT, inspection.id), rule,
                         case_type=INSPECTION.code, now=inspection.inspected_at,
                         calendar=context.calendar,
                         warn_share=context.settings.deadline_warn_share)
    clock.colour = clocks.colour_at(clock, context.now)
    inspection.publish_due_at = clock.due_at


def start_rectify_clock(context: runner.Context, inspection: Inspection) -> None:
    subject = Subject(SUBJECT, inspection.id)
    if not inspection.ordered_count:
        clocks.stop(context.session, subject, "rectify", now=context.now)
        inspection.rectify_due_at = None
        return
    rule = rules.rectify_rule(context.session, inspection.rectify_days)
    clock = clocks.start(context.session, subject, rule, case_type=INSPECTION.code,
                         now=inspection.inspected_at, calendar=context.calendar,
                         warn_share=context.settings.deadline_warn_share)
    clock.colour = clocks.colour_at(clock, context.now)
    inspection.rectify_due_at = clock.due_at


def _approved(context: runner.Context, inspection: Inspection, data, decision,
              principal, **extra) -> None:
    """A re-inspection accepted settles its parent's order: 整改完成 when nothing it
    checked failed again; the parent's 整改 clock stops (late, if after its due day)."""
    if inspection.parent_id is None:
        return
    parent = runner.lock(context.session, Inspection, inspection.parent_id)
    parent.rectification = "failed" if inspection.failed_count else "done"
    parent.rectified_at = None if inspection.failed_count else inspection.inspected_at
    clocks.stop(context.session, Subject(SUBJECT, parent.id), "rectify",
                now=inspection.inspected_at)
    links.report_back(context.session, Subject(SUBJECT, inspection.id), actor=context.actor,
                      action="reinspection.approved",
                      note="整改完成" if parent.rectification == "done" else "未整改")


def _rejected(context: runner.Context, inspection: Inspection, data, decision,
              principal, **extra) -> None:
    """不通过: the record does not stand; no result forms until it is done again."""
    subject = Subject(SUBJECT, inspection.id)
    clocks.stop(context.session, subject, "publish", now=context.now)
    clocks.stop(context.session, subject, "rectify", now=context.now)
    inspection.publish_due_at = inspection.rectify_due_at = None


def _reopened(context: runner.Context, inspection: Inspection, data, decision,
              principal, **extra) -> None:
    context.session.execute(update(InspectionCheck).where(
        InspectionCheck.inspection_id == inspection.id).values(
        result=None, note=None, rectified_on_site=False, rectify_note=None, photo_ids=[]))
    inspection.geom = inspection.accuracy_m = None


def _published(context: runner.Context, inspection: Inspection, data, decision,
               principal, **extra) -> None:
    clocks.stop(context.session, Subject(SUBJECT, inspection.id), "publish", now=context.now)
    refresh_last_result(context.session, inspection.entity_id)


def _overturned(context: runner.Context, inspection: Inspection, data, decision,
                principal, **extra) -> None:
    """撤销: the published result must be withdrawn within 3 working days (a clock)."""
    rule = rules.clock_rule(context.session, "withdraw")
    clock = clocks.start(context.session, Subject(SUBJECT, inspection.id), rule,
                         case_type=INSPECTION.code, now=context.now, calendar=context.calendar,
                         warn_share=context.settings.deadline_warn_share)
    inspection.withdraw_due_at = clock.due_at


def _withdrawn(context: runner.Context, inspection: Inspection, data, decision,
               principal, **extra) -> None:
    refresh_last_result(context.session, inspection.entity_id)


def _reinspect(context: runner.Context, inspection: Inspection, data, decision,
               principal, **extra) -> None:
    opening.open_reinspection(context, inspection)


def _refer(context: runner.Context, inspection: Inspection, data: ActionIn, decision,
           principal: Principal, **extra) -> None:
    refer(context, inspection, reason=data.reason or "", to_unit_id=data.to_unit_id,
          check_ids=data.check_ids, principal=principal)


AFTER = {"record": _recorded, "confirm": _confirmed, "approve": _approved,
         "reject": _rejected, "reopen": _reopened, "publish": _published,
         "overturn": _overturned, "withdraw": _withdrawn, "reinspect": _reinspect,
         "refer": _refer}


# --- referral to 综合执法 -----------------------------------------------------------------

def refer(context: runner.Context, inspection: Inspection, *, reason: str,
          to_unit_id: int | None, check_ids: list[int] | None,
          principal: Principal) -> Referral:
    """移送: a referral subject, carrying copies of the inspection's evidence and linked to
    it, handed off (core/workflow/handoffs.py, kind refer) to the enforcement unit named or
    the most local one covering the entity; the kernel publishes the hand-off's event, from
    which the enforcement platform opens its linked case."""
    session = context.session
    lines = check_ids or list(session.scalars(select(InspectionCheck.check_id).where(
        InspectionCheck.inspection_id == inspection.id, InspectionCheck.result == "fail")))
    known = set(service.check_ids(session, inspection.id))
    if not set(lines) <= known:
        raise InvalidInput("check_ids must be lines of this inspection",
                           code="check_not_on_list", unknown=sorted(set(lines) - known))
    geom = inspection.geom if inspection.geom is not None else session.scalar(text(
        "SELECT location FROM market_entity WHERE id = :id"), {"id": inspection.entity_id})
    referral = Referral(state="referred", version=1, inspection_id=inspection.id,
                        entity_id=inspection.entity_id, area_code=inspection.area_code,
                        owner_unit_id=inspection.owner_unit_id, owner_code=inspection.owner_code,
                        owner_platform=inspection.owner_platform, geom=geom, reason=reason,
                        check_ids=sorted(lines), created_by=principal.user_id)
    session.add(referral)
    session.flush()
    session.refresh(referral)
    subject = Subject(REFERRAL_SUBJECT, referral.id)
    attachments.copy_to(session, Subject(SUBJECT, inspection.id), subject)
    links.link(session, Subject(SUBJECT, inspection.id), subject, kind="referred",
               actor=principal.username, note=reason)
    runner.open_case(context, REFERRAL, referral, note=reason)
    handoffs.hand_off(context, REFERRAL, referral, kind="refer", principal=principal,
                      expected_version=referral.version, reason=reason,
                      to_unit_id=to_unit_id,
                      to_platform=None if to_unit_id else ENFORCEMENT)
    return referral


# --- the entity's last result (the register's entity layer colours by it) ----------------

LAST_RESULT_SQL = """
    UPDATE market_entity e SET last_result = latest.result, last_result_at = latest.at
    FROM (SELECT :entity AS entity_id,
                 (SELECT CASE WHEN i.kind = 'reinspection'
                              THEN CASE WHEN i.failed_count = 0 THEN 'rectified' ELSE 'fail' END
                              ELSE (:mapping ::jsonb) ->> i.outcome END
                  FROM market_inspection i
                  WHERE i.entity_id = :entity AND i.state = ANY(:public)
                  ORDER BY i.inspected_at DESC, i.id DESC LIMIT 1) AS result,
                 (SELECT max(i.inspected_at) FROM market_inspection i
                  WHERE i.entity_id = :entity AND i.state = ANY(:public)) AS at) latest
    WHERE e.id = latest.entity_id"""


def refresh_last_result(session: Session, entity_id: int) -> None:
    """market_entity.last_result: what the entity's last published (not withdrawn)
    inspection says of it (vocabulary.LAST_RESULTS), NULL when none."""
    import json

    session.execute(text(LAST_RESULT_SQL), {"entity": entity_id, "public": list(PUBLIC),
                                            "mapping": json.dumps(LAST_RESULT_OF_OUTCOME)})
