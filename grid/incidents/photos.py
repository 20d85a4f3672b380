"""Incident photos: checked (type, size, really an image), stored content-addressed under
`settings.media_dir`, thumbnailed later by a Celery task (grid/incidents/tasks.py)."""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import images
from core.errors import InvalidInput
from core.settings import Settings
from core.workflow import outbox
from grid.incidents.models import Incident, IncidentPhoto

# Declared type → the format Pillow must find in the bytes.
ACCEPTED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def decode(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("a photo's data is not valid base64") from None


def checked_image(raw: bytes, content_type: str, *, settings: Settings) -> str:
    """The image format, after checking size, declared type and content; else 422."""
    if content_type not in ACCEPTED:
        raise InvalidInput(f"photos must be one of {', '.join(ACCEPTED)}, not {content_type!r}")
    if not raw:
        raise InvalidInput("a photo is empty")
    if len(raw) > settings.photo_max_bytes:
        raise InvalidInput(f"a photo is {len(raw):,} bytes; the limit is "
                           f"{settings.photo_max_bytes:,}")
    found = images.identify(raw, max_pixels=settings.photo_max_pixels,
                            label=f"a photo declared {content_type}")
    if found != ACCEPTED[content_type]:
        raise InvalidInput(f"a photo declared {content_type} is really {found}")
    return found


@dataclass(frozen=True)
class CheckedPhoto:
    raw: bytes
    content_type: str
    format: str


def check_photos(photos: list, *, settings: Settings) -> list[CheckedPhoto]:
    """Every photo decoded and checked, before anything is written; else 422."""
    if len(photos) > settings.photo_max_count:
        raise InvalidInput(f"at most {settings.photo_max_count} photos per submission")
    checked = []
    for photo in photos:
        raw = decode(photo.data)
        checked.append(CheckedPhoto(raw, photo.content_type,
                                    checked_image(raw, photo.content_type, settings=settings)))
    return checked


def store_photos(session: Session, *, incident: Incident, photos: list[CheckedPhoto],
                 kind: str, user_id: int, settings: Settings) -> list[IncidentPhoto]:
    """Store checked photos (a repeat is stored once) and ask for their thumbnails."""
    stored = [p for photo in photos
              if (p := _store_one(session, incident=incident, photo=photo, kind=kind,
                                  user_id=user_id, settings=settings))]
    if stored:
        outbox.enqueue_task(session, name=THUMBNAIL_TASK, args=[[p.id for p in stored]])
    return stored


def _store_one(session: Session, *, incident: Incident, photo: CheckedPhoto, kind: str,
               user_id: int, settings: Settings) -> IncidentPhoto | None:
    digest = hashlib.sha256(photo.raw).hexdigest()
    if session.scalar(select(IncidentPhoto.id).where(IncidentPhoto.incident_id == incident.id,
                                                     IncidentPhoto.sha256 == digest)):
        return None
    relative = f"{digest[:2]}/{digest}.{EXTENSION[photo.format]}"
    target = Path(settings.media_dir) / relative
    if not target.exists():  # content-addressed: the same bytes are one file
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(photo.raw)
        partial.replace(target)
    stored = IncidentPhoto(incident_id=incident.id, kind=kind, content_type=photo.content_type,
                           bytes=len(photo.raw), sha256=digest, path=relative,
                           uploaded_by=user_id)
    session.add(stored)
    session.flush()
    return stored


THUMBNAIL_TASK = "incidents.thumbnails"
THUMBNAIL_SIZE = (320, 320)


def make_thumbnail(photo: IncidentPhoto, *, media_dir: Path, max_pixels: int) -> str:
    """A JPEG of at most 320×320 beside the photo; returns its path under media_dir."""
    relative = f"{photo.path.rsplit('.', 1)[0]}.thumb.jpg"
    images.write_thumbnail(media_dir / photo.path, media_dir / relative, size=THUMBNAIL_SIZE,
                           max_pixels=max_pixels)
    return relative

