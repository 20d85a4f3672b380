"""Attachments of any subject: checked (declared type against the bytes, size, pixels),
stored content-addressed under `settings.media_dir` with their SHA-256, listed, copied to
another subject, and thumbnailed later by a task (core/attachments/tasks.py).

Every file of a submission is checked before anything is written: a refusal is a 422
with a stable code and leaves neither a row nor a file.
"""

import base64
import binascii
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core import images
from core.attachments.models import KINDS, Attachment
from core.errors import InvalidInput, NotFound, ValueOutOfRange
from core.settings import Settings
from core.workflow import outbox
from core.workflow.clocks import Subject

# Declared type → what the bytes must be: Pillow's format for an image, else a signature.
IMAGES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
PDF = "application/pdf"
PDF_MAGIC = b"%PDF-"
EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF: "pdf"}
# What a caller may accept: photos only (an incident's), or documents as well (materials).
PHOTOS = tuple(IMAGES)
DOCUMENTS = (*IMAGES, PDF)

THUMBNAIL_TASK = "attachments.thumbnails"
THUMBNAIL_SIZE = (320, 320)


@dataclass(frozen=True)
class Limits:
    """How large and how many: the settings' PHOTO_MAX_* apply to every attachment."""

    max_bytes: int
    max_count: int
    max_pixels: int

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(settings.photo_max_bytes, settings.photo_max_count, settings.photo_max_pixels)


@dataclass(frozen=True)
class Checked:
    """One file, its declared type confirmed by its bytes; what the device said of it."""

    raw: bytes
    content_type: str
    file_name: str | None = None
    taken_at: datetime | None = None
    lon: float | None = None
    lat: float | None = None
    device: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


# --- checking ----------------------------------------------------------------------------

def decode(data: str, *, noun: str = "file") -> bytes:
    """A base64 payload's bytes; else 422 attachment_not_base64."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"a {noun}'s data is not valid base64",
                           code="attachment_not_base64") from None


def check(raw: bytes, content_type: str, *, limits: Limits, accept: Sequence[str] = DOCUMENTS,
          noun: str = "file") -> None:
    """Refuse (422) a file of a type not accepted, empty, over the byte limit, or whose
    bytes are not what its declared type says (an image also over the pixel limit)."""
    if content_type not in accept:
        raise InvalidInput(f"{noun}s must be one of {', '.join(accept)}, not {content_type!r}",
                           code="attachment_type_refused", accepted=list(accept))
    if not raw:
        raise InvalidInput(f"a {noun} is empty", code="attachment_empty")
    if len(raw) > limits.max_bytes:
        raise InvalidInput(f"a {noun} is {len(raw):,} bytes; the limit is {limits.max_bytes:,}",
                           code="attachment_too_large", max_bytes=limits.max_bytes)
    found = _found_type(raw, content_type, limits=limits, noun=noun)
    if found != content_type:
        name = "PDF" if found == PDF else IMAGES.get(found, found)  # "really PNG"
        raise InvalidInput(f"a {noun} declared {content_type} is really {name}",
                           code="attachment_type_mismatch", declared=content_type)


def _found_type(raw: bytes, declared: str, *, limits: Limits, noun: str) -> str:
    """What the bytes are, as a content type (or, for an image of a format not accepted,
    Pillow's name of it)."""
    if raw.startswith(PDF_MAGIC):
        return PDF
    if declared == PDF:
        raise InvalidInput(f"a {noun} declared {PDF} does not start as a PDF does",
                           code="attachment_type_mismatch", declared=declared)
    # Only now is the file opened as an image: the header's pixel count first (a bomb is
    # refused undecoded), then its structure.
    found = images.identify(raw, max_pixels=limits.max_pixels,
                            label=f"a {noun} declared {declared}")
    return next((t for t, f in IMAGES.items() if f == found), found)


def check_all(files: Sequence, *, limits: Limits, accept: Sequence[str] = DOCUMENTS,
              noun: str = "file") -> list[Checked]:
    """Every file of a submission decoded and checked before anything is written; each
    has `content_type` and base64 `data` (and may have file_name, taken_at, lon, lat,
    device). Else 422."""
    if len(files) > limits.max_count:
        raise InvalidInput(f"at most {limits.max_count} {noun}s per submission",
                           code="too_many_attachments", max_count=limits.max_count)
    checked = []
    for file in files:
        raw = decode(file.data, noun=noun)
        check(raw, file.content_type, limits=limits, accept=accept, noun=noun)
        checked.append(Checked(raw, file.content_type, **_described(file)))
    return checked


def _described(file) -> dict:
    """The optional facts an uploader gives (evidence's place, moment and device)."""
    facts = {name: getattr(file, name, None)
             for name in ("file_name", "taken_at", "lon", "lat", "device")}
    lon, lat = facts["lon"], facts["lat"]
    if (lon is None) != (lat is None):
        raise InvalidInput("a place needs both lon and lat", code="attachment_place_partial")
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueOutOfRange(f"({lon}, {lat}) is not a WGS 84 longitude and latitude")
    return facts


# --- storing -----------------------------------------------------------------------------

def attach(session: Session, subject: Subject, files: Sequence, *, kind: str, uploaded_by: int,
           settings: Settings, accept: Sequence[str] = DOCUMENTS, noun: str = "file"
           ) -> list[Attachment]:
    """Check every file (core/attachments/schemas.py AttachmentIn), then record them: an
    upload route's one call. A refusal (422) writes nothing."""
    checked = check_all(files, limits=Limits.of(settings), accept=accept, noun=noun)
    return store(session, subject, checked, kind=kind, uploaded_by=uploaded_by,
                 media_dir=settings.media_dir)


def store(session: Session, subject: Subject, files: Iterable[Checked], *, kind: str,
          uploaded_by: int, media_dir: str | Path) -> list[Attachment]:
    """Record checked files for a subject and ask for the images' thumbnails; a file the
    subject has already (same SHA-256) is not recorded again. Returns the new ones."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown attachment kind {kind!r}", code="attachment_kind_unknown")
    ids = [new_id for file in files
           if (new_id := _record(session, subject, file, kind=kind, uploaded_by=uploaded_by,
                                 media_dir=Path(media_dir))) is not None]
    stored = _loaded(session, ids)
    request_thumbnails(session, stored)
    return stored


def _record(session: Session, subject: Subject, file: Checked, *, kind: str,
            uploaded_by: int, media_dir: Path) -> int | None:
    digest = file.sha256
    relative = save_file(file.raw, file.content_type, media_dir=media_dir)
    location = (f"SRID=4326;POINT({file.lon} {file.lat})" if file.lon is not None else None)
    # ON CONFLICT: a repeat, even one racing in another transaction, is recorded once.
    return session.scalar(pg_insert(Attachment).values(
        subject_type=subject.type, subject_id=subject.id, kind=kind,
        file_name=file.file_name, content_type=file.content_type, bytes=len(file.raw),
        sha256=digest, path=relative, uploaded_by=uploaded_by, location=location,
        taken_at=file.taken_at, device=file.device,
    ).on_conflict_do_nothing(constraint="uq_attachment_subject_sha256")
        .returning(Attachment.id))


def save_file(raw: bytes, content_type: str, *, media_dir: str | Path) -> str:
    """The file under the media folder, content-addressed (the same bytes: one file, made
    once); its path relative to the folder, as `attachment.path` names it. For writers
    of many rows at once (the demo history's COPY), which record the rows themselves."""
    digest = hashlib.sha256(raw).hexdigest()
    relative = f"{digest[:2]}/{digest}.{EXTENSION[content_type]}"
    _write_once(Path(media_dir) / relative, raw)
    return relative


def _write_once(target: Path, raw: bytes) -> None:
    """Content-addressed: the same bytes are one file, written whole or not at all."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: two requests writing the same bytes at once never share one.
    partial = target.with_name(f"{target.name}.{secrets.token_hex(4)}.part")
    partial.write_bytes(raw)
    partial.replace(target)


def _loaded(session: Session, ids: list[int]) -> list[Attachment]:
    if not ids:
        return []
    return list(session.scalars(select(Attachment).where(Attachment.id.in_(ids))
                                .order_by(Attachment.id)))


def request_thumbnails(session: Session, attachments: Iterable[Attachment]) -> None:
    """Queue the thumbnail task (after commit, through the outbox) for the images."""
    ids = [a.id for a in attachments if a.content_type in IMAGES and not a.thumbnail_path]
    if ids:
        outbox.enqueue_task(session, name=THUMBNAIL_TASK, args=[ids])


def copy_to(session: Session, source: Subject, target: Subject) -> list[Attachment]:
    """The target gets every attachment of the source it has not already (by SHA-256):
    new rows naming the same files (a merge keeps the merged incident's evidence too).
    Returns the new ones; those of an image still without a thumbnail ask for it."""
    columns = ("kind", "file_name", "content_type", "bytes", "sha256", "path",
               "thumbnail_path", "uploaded_by", "location", "taken_at", "device")
    rows = select(literal(target.type), literal(target.id),
                  *(getattr(Attachment, c) for c in columns)).where(
        Attachment.subject_type == source.type, Attachment.subject_id == source.id)
    statement = pg_insert(Attachment).from_select(["subject_type", "subject_id", *columns],
                                                   rows)
    copied = _loaded(session, list(session.scalars(statement.on_conflict_do_nothing(
        constraint="uq_attachment_subject_sha256").returning(Attachment.id))))
    request_thumbnails(session, copied)
    return copied


# --- reading -----------------------------------------------------------------------------

def of_subject(session: Session, subject: Subject) -> list[Attachment]:
    """A subject's attachments, in the order they were recorded."""
    return list(session.scalars(select(Attachment).where(
        Attachment.subject_type == subject.type, Attachment.subject_id == subject.id)
        .order_by(Attachment.id)))


def get(session: Session, subject: Subject, attachment_id: int, *, noun: str = "attachment"
        ) -> Attachment:
    """One attachment of this subject (an id of another subject's is not found)."""
    found = session.scalar(select(Attachment).where(
        Attachment.id == attachment_id, Attachment.subject_type == subject.type,
        Attachment.subject_id == subject.id))
    if found is None:
        raise NotFound(f"no {noun} {attachment_id} of {subject.type} {subject.id}")
    return found


def file_of(attachment: Attachment, *, media_dir: str | Path, thumbnail: bool = False
            ) -> tuple[Path, str]:
    """The file to serve and its media type; NotFound for a thumbnail not made (yet)."""
    if thumbnail:
        if not attachment.thumbnail_path:
            raise NotFound(f"no thumbnail of attachment {attachment.id} (yet)")
        return Path(media_dir) / attachment.thumbnail_path, "image/jpeg"
    return Path(media_dir) / attachment.path, attachment.content_type


def attachment_dict(attachment: Attachment, *, url: str) -> dict:
    """An attachment as the API returns it; `url` is where its platform serves it."""
    return {"id": attachment.id, "kind": attachment.kind, "kind_label": KINDS[attachment.kind],
            "file_name": attachment.file_name, "content_type": attachment.content_type,
            "bytes": attachment.bytes, "sha256": attachment.sha256,
            "uploaded_by": attachment.uploaded_by, "created_at": attachment.created_at,
            "taken_at": attachment.taken_at, "device": attachment.device,
            "location": _lon_lat(attachment.location), "url": url,
            "thumbnail_url": f"{url}?thumbnail=1" if attachment.thumbnail_path else None}


def _lon_lat(location) -> list[float] | None:
    if location is None:
        return None
    from geoalchemy2.shape import to_shape

    point = to_shape(location)
    return [point.x, point.y]


# --- thumbnails --------------------------------------------------------------------------

def make_thumbnail(attachment: Attachment, *, media_dir: Path, max_pixels: int) -> str:
    """A JPEG of at most 320×320 beside the image; returns its path under media_dir. The
    same bytes have one thumbnail, whichever subject they are attached to."""
    relative = f"{attachment.path.rsplit('.', 1)[0]}.thumb.jpg"
    if not (media_dir / relative).exists():
        images.write_thumbnail(media_dir / attachment.path, media_dir / relative,
                               size=THUMBNAIL_SIZE, max_pixels=max_pixels)
    return relative

