"""Incident work on the Celery worker: the deadline sweep and photo thumbnails.

Named tasks with time limits, passing ids; each is idempotent by database state.
"""

import logging
from pathlib import Path

from sqlalchemy import select

from core.celery_app import celery_app
from core.db import session_scope
from core.settings import get_settings
from grid.incidents.models import IncidentPhoto
from grid.incidents.photos import THUMBNAIL_TASK, make_thumbnail
from grid.incidents.service import now_utc
from grid.incidents.sweep import sweep

log = logging.getLogger(__name__)


@celery_app.task(name="incidents.sweep", time_limit=300, soft_time_limit=240)
def sweep_deadlines() -> dict[str, int]:
    """Mark yellow and red, escalate what is overdue (beat runs it every minute)."""
    with session_scope() as session:
        result = sweep(session, now=now_utc(), settings=get_settings())
    log.info("deadline sweep: %s", result.as_dict())
    return result.as_dict()


@celery_app.task(name=THUMBNAIL_TASK, time_limit=120, soft_time_limit=100)
def make_thumbnails(photo_ids: list[int]) -> int:
    """Thumbnails for these photos; those that have one already are skipped."""
    media_dir = Path(get_settings().media_dir)
    made = 0
    with session_scope() as session:
        photos = session.scalars(select(IncidentPhoto).where(
            IncidentPhoto.id.in_(photo_ids), IncidentPhoto.thumbnail_path.is_(None))).all()
        for photo in photos:
            photo.thumbnail_path = make_thumbnail(photo, media_dir=media_dir)
            made += 1
    return made
