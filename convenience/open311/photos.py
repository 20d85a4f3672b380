"""The 随手拍 page's photos: checked before anything is written, stored with the request
(the kernel's attachments of ("open311_request", id), kind 上报照片, uploaded by the
residents' system account, core/users/system.py), and carried to what the request
becomes when the filing task files it (convenience/open311/filing.py). The POST stores
them and answers; the filing copies the rows by the request's id (the outbox message
carries ids only, never image data).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from convenience.open311.models import REQUEST_SUBJECT
from core.attachments import service as attachments
from core.attachments.models import Attachment
from core.users.system import citizen_reports_account
from core.workflow.clocks import Subject

KIND = "report"  # 上报照片


def check(photos: Sequence[Any], *, settings: Any) -> list[attachments.Checked]:
    """Every photo (objects with `content_type` and base64 `data`) decoded and checked:
    an image of an accepted type, within the size, count and pixel limits; else 422."""
    if not photos:
        return []
    return attachments.check_all(photos, limits=attachments.Limits.of(settings),
                                 accept=attachments.PHOTOS, noun="photo")


def store(session: Session, request_id: int, photos: Sequence[attachments.Checked], *,
          settings: Any) -> list[Attachment]:
    """The checked photos recorded as the request's (a photo sent twice, once)."""
    if not photos:
        return []
    return attachments.store(session, Subject(REQUEST_SUBJECT, request_id), photos, kind=KIND,
                             uploaded_by=citizen_reports_account(session),
                             media_dir=settings.media_dir)


def carry(session: Session, request_id: int, subject: Subject) -> list[Attachment]:
    """What the request became gets its photos (new rows naming the same files; a repeat
    copies nothing)."""
    return attachments.copy_to(session, Subject(REQUEST_SUBJECT, request_id), subject)


def of_request(session: Session, request_id: int) -> list[Attachment]:
    return attachments.of_subject(session, Subject(REQUEST_SUBJECT, request_id))
