"""Attachment work on the Celery worker: thumbnails of images (named task, passing ids,
idempotent by database state: an attachment with a thumbnail is skipped)."""

import logging
from pathlib import Path

from sqlalchemy import select

from core.attachments.models import Attachment
from core.attachments.service import IMAGES, THUMBNAIL_TASK, make_thumbnail
from core.celery_app import celery_app
from core.db import session_scope
from core.errors import ImageTooLarge, UnreadableImage
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)


def make_thumbnails_in(session, attachment_ids: list[int], *, settings: Settings) -> int:
    """Thumbnails for these attachments that are images and have none yet; returns how
    many were made. Rows another worker holds are left to it (SKIP LOCKED)."""
    media_dir = Path(settings.media_dir)
    made = 0
    waiting = session.scalars(select(Attachment).where(
        Attachment.id.in_(attachment_ids), Attachment.thumbnail_path.is_(None),
        Attachment.content_type.in_(IMAGES)).order_by(Attachment.id)
        .with_for_update(skip_locked=True)).all()
    for attachment in waiting:
        try:
            attachment.thumbnail_path = make_thumbnail(attachment, media_dir=media_dir,
                                                       max_pixels=settings.photo_max_pixels)
        except (ImageTooLarge, UnreadableImage) as exc:
            # Stored before the pixel cap (or lowered since): no thumbnail, no retry.
            log.warning("no thumbnail for attachment %s: %s", attachment.id, exc.detail)
            continue
        made += 1
    session.flush()
    return made


@celery_app.task(name=THUMBNAIL_TASK, time_limit=120, soft_time_limit=100)
def make_thumbnails(attachment_ids: list[int]) -> int:
    with session_scope() as session:
        return make_thumbnails_in(session, attachment_ids, settings=get_settings())
