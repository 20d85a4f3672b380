"""好差评 (国办发〔2019〕51号; GB/T 39735): five levels, given at 受理 and at 办结 by window
device, QR code, SMS link or app. A bad rating (不满意, 非常不满意) opens a rectification:
contact within 1 working day, rectify within the configured limit (15 working days), call
back; the resident's new rating closes it. Appeals against mistaken or malicious ratings
are decided and recorded. Public figures per unit.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from convenience.services import limits
from convenience.services.case_types import RECTIFICATION_TYPE
from convenience.services.common import SYSTEM, context, move, same_phone
from convenience.services.models import (
    RATING_CHANNELS,
    RATING_LEVELS,
    RATING_STAGES,
    Application,
    Rating,
    Rectification,
)
from convenience.services.workflows import RECTIFICATION
from core.codes import subtree_range
from core.errors import Conflict, InvalidInput, NotFound
from core.settings import Settings
from core.workflow import clocks, runner, timeline
from core.workflow.clocks import Subject

SUBJECT = "svc_rectification"
# A stage may be rated once it is reached: 受理 once accepted, 办结 once finished.
STAGE_REACHED = {"accept": lambda a: a.state not in ("not_accepted",),
                 "finish": lambda a: a.finished_at is not None
                 or a.state in ("done", "returned", "withdrawn", "revoked")}


def is_bad(session: Session, level: int) -> bool:
    return level < int(limits.value(session, "rating.bad_below"))


def rate(session: Session, *, number: str, phone: str | None, data: Mapping[str, Any],
         settings: Settings, now: datetime | None = None, actor: str = "resident",
         trusted: bool = False) -> Rating:
    """A rating of an application found by its number (a resident proves it is his with
    the phone; a window device is `trusted`). A stage already rated is a re-rating: it
    closes the rectification its bad rating opened."""
    now = now or runner.now_utc()
    application = session.scalar(select(Application).where(Application.number == number)
                                 .with_for_update())
    if application is None or (not trusted and not same_phone(application.applicant_phone,
                                                               phone or "")):
        raise NotFound("no application with this number and phone",
                       code="application_not_found")
    stage, level, channel = data["stage"], int(data["level"]), data["channel"]
    if stage not in RATING_STAGES or level not in RATING_LEVELS or channel not in RATING_CHANNELS:
        raise InvalidInput("stage, level (1-5) or channel unknown", code="rating_invalid")
    if not STAGE_REACHED[stage](application):
        raise Conflict(f"the application has not reached {RATING_STAGES[stage]} yet",
                       code="stage_not_reached")
    previous = session.scalar(select(Rating).where(
        Rating.application_id == application.id, Rating.stage == stage)
        .order_by(Rating.id.desc()).limit(1))
    unit_id = application.intake_unit_id if stage == "accept" else application.owner_unit_id
    rating = Rating(application_id=application.id, unit_id=unit_id,
                    item_id=application.item_id, stage=stage, level=level, channel=channel,
                    comment=(data.get("comment") or "")[:500], at=now,
                    rerates_id=previous.id if previous else None)
    session.add(rating)
    session.flush()
    if previous is not None:
        _close_for(session, previous, now=now, settings=settings, level=level)
    if is_bad(session, level):
        open_rectification(session, rating, application, now=now, settings=settings,
                           actor=actor)
    return rating


def open_rectification(session: Session, rating: Rating, application: Application, *,
                       now: datetime, settings: Settings, actor: str) -> Rectification:
    """Two clocks from the rating: 联系核实 (the step clock, 1 working day) and 整改
    (the whole rectification, 15 working days by default), both from svc_setting."""
    row = Rectification(rating_id=rating.id, application_id=application.id, state="contact",
                        version=1, owner_unit_id=rating.unit_id,
                        owner_code=application.owner_code, opened_at=now)
    session.add(row)
    session.flush()
    ctx = context(session, now=now, actor=actor, settings=settings)
    runner.open_case(ctx, RECTIFICATION_TYPE, row,
                     note=f"差评（{RATING_LEVELS[rating.level]}）：{rating.comment}"[:300])
    clocks.start(session, Subject(SUBJECT, row.id),
                 limits.rule(session, "rating.rectify", name="rectify"),
                 case_type=RECTIFICATION_TYPE.code, now=now, calendar=ctx.calendar,
                 warn_share=settings.deadline_warn_share)
    return row


def _close_for(session: Session, previous: Rating, *, now: datetime, settings: Settings,
               level: int) -> None:
    row = session.scalar(select(Rectification).where(Rectification.rating_id == previous.id))
    if row is None or row.state == "closed":
        return
    row = runner.lock(session, Rectification, row.id)
    move(session, RECTIFICATION_TYPE, row, "close", principal=SYSTEM, settings=settings,
         now=now, data={"reason": f"申请人再评价：{RATING_LEVELS[level]}"})


def act(session: Session, row: Rectification, name: str, *, principal, data: Mapping,
        settings: Settings, now: datetime | None = None):
    now = now or runner.now_utc()
    decision = move(session, RECTIFICATION_TYPE, row, name, principal=principal, data=data,
                    expected_version=int(data.get("version", -1)), settings=settings, now=now)
    if name == "rectify":
        clocks.stop(session, Subject(SUBJECT, row.id), "rectify", now=now)
    return decision


def rectification_dict(session: Session, row: Rectification) -> dict:
    sub = Subject(SUBJECT, row.id)
    return {"id": row.id, "rating_id": row.rating_id, "application_id": row.application_id,
            "state": row.state, "state_label": RECTIFICATION.labels[row.state],
            "version": row.version, "opened_at": row.opened_at,
            "contacted_at": row.contacted_at, "rectified_at": row.rectified_at,
            "called_back_at": row.called_back_at, "closed_at": row.closed_at,
            "measures": row.measures, "escalated_at": row.escalated_at,
            "escalated_to_unit_id": row.escalated_to_unit_id,
            "clocks": [clocks.clock_dict(c) for c in clocks.clocks_of(session, sub)],
            "timeline": timeline.events_of(session, sub)}


def rating_dict(rating: Rating) -> dict:
    return {"id": rating.id, "application_id": rating.application_id,
            "unit_id": rating.unit_id, "stage": rating.stage, "level": rating.level,
            "level_label": RATING_LEVELS[rating.level], "channel": rating.channel,
            "comment": rating.comment, "at": rating.at, "rerates_id": rating.rerates_id,
            "appeal_state": rating.appeal_state, "appeal_reason": rating.appeal_reason,
            "appeal_decision": rating.appeal_decision, "version": rating.version}


# --- appeals -----------------------------------------------------------------------------

def _locked_rating(session: Session, rating_id: int, version: int) -> Rating:
    rating = session.get(Rating, rating_id, with_for_update=True)
    if rating is None:
        raise NotFound(f"no rating {rating_id}", code="rating_not_found")
    if rating.version != version:
        raise Conflict("the rating changed since you read it", code="stale_version",
                       current_version=rating.version)
    return rating


def appeal(session: Session, rating_id: int, *, reason: str, version: int, actor: str,
           now: datetime) -> Rating:
    """申诉: the rated unit says the rating is mistaken or malicious."""
    rating = _locked_rating(session, rating_id, version)
    if rating.appeal_state != "none":
        raise Conflict("this rating was appealed already", code="appeal_exists")
    rating.appeal_state, rating.appeal_reason = "pending", reason
    rating.version += 1
    timeline.add(session, Subject("svc_application", rating.application_id), actor=actor,
                 action="rating.appeal", note=reason, at=now, data={"rating": rating.id})
    return rating


def decide_appeal(session: Session, rating_id: int, *, upheld: bool, decision: str,
                  version: int, actor: str, now: datetime, settings: Settings) -> Rating:
    """The hall decides: upheld, the rating leaves the figures and its rectification
    closes; rejected, it stands."""
    rating = _locked_rating(session, rating_id, version)
    if rating.appeal_state != "pending":
        raise Conflict("no pending appeal on this rating", code="no_pending_appeal")
    rating.appeal_state = "upheld" if upheld else "rejected"
    rating.appeal_decision, rating.appeal_decided_by = decision, actor
    rating.appeal_decided_at, rating.version = now, rating.version + 1
    timeline.add(session, Subject("svc_application", rating.application_id), actor=actor,
                 action="rating.appeal_decided", note=decision, at=now,
                 data={"rating": rating.id, "upheld": upheld})
    if upheld:
        row = session.scalar(select(Rectification).where(Rectification.rating_id == rating.id))
        if row is not None and row.state != "closed":
            row = runner.lock(session, Rectification, row.id)
            move(session, RECTIFICATION_TYPE, row, "close", principal=SYSTEM, now=now,
                 settings=settings, data={"reason": f"申诉成立：{decision}"})
    return rating


# --- public figures ----------------------------------------------------------------------

FIGURES_SQL = """
    SELECT u.id AS unit_id, u.name, count(r.id) AS ratings,
           count(r.id) FILTER (WHERE r.level >= :bad) AS good,
           count(r.id) FILTER (WHERE r.level < :bad) AS bad,
           (SELECT count(*) FROM svc_rectification x JOIN svc_rating b ON b.id = x.rating_id
            WHERE b.unit_id = u.id AND b.appeal_state <> 'upheld') AS rectifications,
           (SELECT count(*) FROM svc_rectification x JOIN svc_rating b ON b.id = x.rating_id
            WHERE b.unit_id = u.id AND b.appeal_state <> 'upheld' AND x.state = 'closed')
               AS rectified,
           round(avg(r.level)::numeric, 2) AS average
    FROM svc_rating r JOIN unit u ON u.id = r.unit_id
    WHERE r.appeal_state <> 'upheld' AND u.seat_code >= :low AND u.seat_code < :high
      AND NOT EXISTS (SELECT 1 FROM svc_rating n WHERE n.rerates_id = r.id)
    GROUP BY u.id, u.name ORDER BY count(r.id) DESC, u.id LIMIT :limit OFFSET :offset"""


def public_figures(session: Session, *, area_code: str, limit: int, offset: int) -> list[dict]:
    """Per unit: ratings (the latest of each stage; upheld appeals left out), 好评率,
    差评 and how many of them are rectified (评价和回复应当公开, 条例第五十二条)."""
    bad = int(limits.value(session, "rating.bad_below"))
    rows = session.execute(text(FIGURES_SQL), {"bad": bad, **subtree_range(area_code),
                                               "limit": limit, "offset": offset})
    return [{"unit_id": r.unit_id, "name": r.name, "ratings": r.ratings, "good": r.good,
             "bad": r.bad, "rectifications": r.rectifications, "rectified": r.rectified,
             "good_rate": round(r.good / r.ratings, 4) if r.ratings else None,
             "rectified_rate": (round(r.rectified / r.rectifications, 4)
                                if r.rectifications else None),
             "average": float(r.average) if r.average is not None else None} for r in rows]
