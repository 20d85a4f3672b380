"""便民服务's periodic work: the weekly report of refusals (否定事项) to each county's
supervising office, made every Monday for the week before (idempotent: a refusal already
on a report stays there)."""

from datetime import UTC, datetime, timedelta

from convenience.services.part import REFUSAL_REPORT_TASK
from core.celery_app import celery_app
from core.db import session_scope


@celery_app.task(name=REFUSAL_REPORT_TASK, time_limit=300, soft_time_limit=240)
def weekly_refusal_reports() -> int:
    from convenience.services.desks import make_refusal_reports

    now = datetime.now(UTC)
    with session_scope() as session:
        return len(make_refusal_reports(session, week=(now - timedelta(days=7)).date(),
                                        now=now))
