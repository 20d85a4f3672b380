"""Incident work on the Celery worker: photo thumbnails (the deadline sweep is the
kernel's: core/workflow/tasks.py).

Named tasks with time limits, passing ids; each is idempotent by database state.
"""

import logging
from pathlib import Path

from sqlalchemy import select

from core.celery_app import celery_app
from core.db import session_scope
from core.errors import ImageTooLarge, UnreadableImage
from core.settings import get_settings
from grid.incidents.models import IncidentPhoto
from grid.incidents.photos import THUMBNAIL_TASK, make_thumbnail

log = logging.getLogger(__name__)


@celery_app.task(name=THUMBNAIL_TASK, time_limit=120, soft_time_limit=100)
def make_thumbnails(photo_ids: list[int]) -> int:
    """Thumbnails for these photos; those that have one already are skipped."""
    settings = get_settings()
    media_dir = Path(settings.media_dir)
    made = 0
    with session_scope() as session:
        photos = session.scalars(select(IncidentPhoto).where(
            IncidentPhoto.id.in_(photo_ids), IncidentPhoto.thumbnail_path.is_(None))).all()
        for photo in photos:
            try:
                photo.thumbnail_path = make_thumbnail(photo, media_dir=media_dir,
                                                      max_pixels=settings.photo_max_pixels)
            except (ImageTooLarge, UnreadableImage) as exc:
                # Stored before the pixel cap (or lowered since): no thumbnail, no retry.
                log.warning("no thumbnail for photo %s: %s", photo.id, exc.detail)
                continue
            made += 1
    return made
