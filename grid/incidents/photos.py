"""Incident photos: attachments (core/attachments) of ("incident", id), images only, in the
shapes the incident routes have always returned (PhotoOut)."""

from sqlalchemy.orm import Session

from core.attachments import service as attachments
from core.attachments.models import Attachment
from core.settings import Settings
from core.workflow.clocks import Subject
from grid.incidents.case_type import SUBJECT

# Moves that take photos, and the kind they are stored as: 处理反馈 with 处理后 photos.
PHOTO_KINDS = {"handle": "after"}


def _of(incident_id: int) -> Subject:
    return Subject(SUBJECT, incident_id)


def check_photos(photos: list, *, settings: Settings) -> list[attachments.Checked]:
    """Every photo decoded and checked, before anything is written; else 422."""
    return attachments.check_all(photos, limits=attachments.Limits.of(settings),
                                 accept=attachments.PHOTOS, noun="photo")


def store_photos(session: Session, *, incident_id: int, photos: list[attachments.Checked],
                 kind: str, user_id: int, settings: Settings) -> list[Attachment]:
    """Store checked photos (a repeat is stored once) and ask for their thumbnails."""
    return attachments.store(session, _of(incident_id), photos, kind=kind,
                             uploaded_by=user_id, media_dir=settings.media_dir)


def photos_of(session: Session, incident_id: int) -> list[Attachment]:
    return attachments.of_subject(session, _of(incident_id))


def photo_of(session: Session, incident_id: int, photo_id: int) -> Attachment:
    return attachments.get(session, _of(incident_id), photo_id, noun="photo")


def merge_photos(session: Session, *, from_id: int, into_id: int) -> list[Attachment]:
    """并单: the target gets every photo of the merged incident it has not already."""
    return attachments.copy_to(session, _of(from_id), _of(into_id))


def photo_dict(photo: Attachment) -> dict:
    base = f"/api/v1/incidents/{photo.subject_id}/photos/{photo.id}"
    return {"id": photo.id, "kind": photo.kind, "content_type": photo.content_type,
            "bytes": photo.bytes, "url": base,
            "thumbnail_url": f"{base}?thumbnail=1" if photo.thumbnail_path else None}
