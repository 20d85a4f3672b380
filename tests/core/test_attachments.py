"""Attachments of any subject (core/attachments): checked against their bytes, recorded with
their SHA-256 once per subject, immutable, thumbnailed once by the task."""

import base64
import hashlib
import io
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.errors import STATUS_OF
from core.attachments import service as attachments
from core.attachments.schemas import AttachmentIn
from core.attachments.tasks import make_thumbnails_in
from core.errors import InvalidInput
from core.workflow.clocks import Subject

CASE = Subject("test_case", 41)
OTHER = Subject("test_case", 42)
PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def png(size=(1200, 900), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid 1-bit PNG, all black: 400 megapixels deflated to about 50 kB."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))


def upload(raw: bytes, content_type: str, **facts) -> AttachmentIn:
    return AttachmentIn(content_type=content_type, data=base64.b64encode(raw).decode(), **facts)


@pytest.fixture
def own(settings, tmp_path):
    """The settings with a media directory of the test's own."""
    return settings.model_copy(update={"media_dir": str(tmp_path / "media")})


@pytest.fixture
def uploader(session, demo_city) -> int:
    return session.scalar(text("SELECT min(id) FROM app_user"))


def rows(session, subject: Subject = CASE) -> list:
    return session.execute(text(
        "SELECT id, sha256, path, bytes, content_type FROM attachment "
        "WHERE subject_type = :t AND subject_id = :i ORDER BY id"),
        {"t": subject.type, "i": subject.id}).all()


def files_in(media: str) -> list[str]:
    root = Path(media)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []


def test_a_pdf_and_an_image_are_recorded_with_their_sha256(session, own, uploader):
    image, taken = png(), datetime(2026, 5, 3, 9, 30, tzinfo=UTC)
    stored = attachments.attach(
        session, CASE, [upload(PDF, "application/pdf", file_name="询问笔录.pdf"),
                        upload(image, "image/png", taken_at=taken, lon=113.13, lat=27.83,
                               device="执法记录仪 DSJ-01")],
        kind="evidence", uploaded_by=uploader, settings=own)
    assert [(a.content_type, a.sha256, a.bytes) for a in stored] == [
        ("application/pdf", hashlib.sha256(PDF).hexdigest(), len(PDF)),
        ("image/png", hashlib.sha256(image).hexdigest(), len(image))]
    for attachment, raw in zip(stored, (PDF, image), strict=True):
        assert (Path(own.media_dir) / attachment.path).read_bytes() == raw
    out = attachments.attachment_dict(stored[1], url="/x/2")
    assert out["location"] == pytest.approx([113.13, 27.83])
    assert (out["taken_at"], out["device"], out["kind_label"]) == (
        taken, "执法记录仪 DSJ-01", "证据")
    assert attachments.attachment_dict(stored[0], url="/x/1")["file_name"] == "询问笔录.pdf"
    # Only the image asks for a thumbnail, through the outbox.
    task = session.scalar(text("SELECT payload FROM outbox_message WHERE topic = "
                               "'task:attachments.thumbnails' ORDER BY id DESC LIMIT 1"))
    assert task == {"task": "attachments.thumbnails", "args": [[stored[1].id]]}


REFUSALS = {
    "declared jpeg, really png": (lambda: [upload(png((8, 8)), "image/jpeg")],
                                  "attachment_type_mismatch", "really PNG"),
    "declared pdf, really png": (lambda: [upload(png((8, 8)), "application/pdf")],
                                 "attachment_type_mismatch", "does not start as a PDF"),
    "declared png, really pdf": (lambda: [upload(PDF, "image/png")],
                                 "attachment_type_mismatch", "really PDF"),
    "oversized": (lambda: [upload(PDF + b" " * 200_000, "application/pdf")],
                  "attachment_too_large", "the limit is 200,000"),
    "decompression bomb": (lambda: [upload(bomb(), "image/png")],
                           "image_too_large", "pixels"),
    "unknown type": (lambda: [upload(b"GIF89a....", "image/gif")],
                     "attachment_type_refused", "not 'image/gif'"),
    "executable": (lambda: [upload(b"MZ\x90\x00", "application/x-msdownload")],
                   "attachment_type_refused", "application/pdf"),
    "unreadable image": (lambda: [upload(b"\x89PNG\r\n\x1a\n broken", "image/png")],
                         "image_unreadable", "not a readable image"),
    "empty": (lambda: [upload(b"", "application/pdf")], "attachment_empty", "empty"),
    "not base64": (lambda: [AttachmentIn(content_type="image/png", data="not base64!")],
                   "attachment_not_base64", "base64"),
    "too many": (lambda: [upload(PDF, "application/pdf")] * 4, "too_many_attachments",
                 "at most 3"),
    "half a place": (lambda: [upload(PDF, "application/pdf", lon=113.1)],
                     "attachment_place_partial", "both lon and lat"),
    "off the globe": (lambda: [upload(PDF, "application/pdf", lon=213.1, lat=27.8)],
                      "value_out_of_range", "WGS 84"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_file_is_refused_with_a_stable_code_and_nothing_written(session, own, uploader,
                                                                      case):
    files, code, words = REFUSALS[case]
    small = own.model_copy(update={"photo_max_bytes": 200_000, "photo_max_count": 3})
    # A good file first: a refusal of any file of a submission writes none of them.
    good = upload(png((16, 16)), "image/png")
    with pytest.raises(InvalidInput) as refused:
        attachments.attach(session, CASE, [good, *files()], kind="material",
                           uploaded_by=uploader, settings=small)
    assert (refused.value.code, STATUS_OF[InvalidInput]) == (code, 422)
    assert words in refused.value.detail
    assert rows(session) == [] and files_in(own.media_dir) == []


def test_an_unknown_kind_is_refused_and_nothing_written(session, own, uploader):
    with pytest.raises(InvalidInput) as refused:
        attachments.attach(session, CASE, [upload(PDF, "application/pdf")], kind="selfie",
                           uploaded_by=uploader, settings=own)
    assert refused.value.code == "attachment_kind_unknown"
    assert rows(session) == [] and files_in(own.media_dir) == []


def test_the_same_bytes_twice_are_stored_once(session, own, uploader):
    image = png()
    first = attachments.attach(session, CASE, [upload(image, "image/png")] * 2, kind="report",
                               uploaded_by=uploader, settings=own)
    again = attachments.attach(session, CASE, [upload(image, "image/png")], kind="after",
                               uploaded_by=uploader, settings=own)
    elsewhere = attachments.attach(session, OTHER, [upload(image, "image/png")], kind="report",
                                   uploaded_by=uploader, settings=own)
    assert (len(first), again, len(elsewhere)) == (1, [], 1)
    assert [r.id for r in rows(session)] == [first[0].id]
    # One file for the same bytes, whichever subject holds them.
    assert elsewhere[0].path == first[0].path
    assert files_in(own.media_dir) == [first[0].path]


def test_a_merge_copies_what_the_target_lacks_once(session, own, uploader):
    shared, own_image = png(colour=(1, 2, 3)), png(colour=(4, 5, 6))
    attachments.attach(session, CASE, [upload(shared, "image/png"), upload(PDF, "application/pdf")],
                       kind="evidence", uploaded_by=uploader, settings=own)
    attachments.attach(session, OTHER, [upload(shared, "image/png"),
                                        upload(own_image, "image/png")],
                       kind="evidence", uploaded_by=uploader, settings=own)
    copied = attachments.copy_to(session, CASE, OTHER)
    assert [a.content_type for a in copied] == ["application/pdf"]
    assert attachments.copy_to(session, CASE, OTHER) == []
    assert len(rows(session, OTHER)) == 3 and len(rows(session, CASE)) == 2


def test_the_thumbnail_is_made_once_by_the_task_function(session, own, uploader):
    image, document = attachments.attach(
        session, CASE, [upload(png((1200, 900)), "image/png"), upload(PDF, "application/pdf")],
        kind="evidence", uploaded_by=uploader, settings=own)
    ids = [image.id, document.id]
    assert make_thumbnails_in(session, ids, settings=own) == 1
    assert make_thumbnails_in(session, ids, settings=own) == 0
    thumbnails = dict(session.execute(text(
        "SELECT id, thumbnail_path FROM attachment WHERE id = ANY(:ids)"), {"ids": ids}).all())
    assert thumbnails[document.id] is None
    with Image.open(Path(own.media_dir) / thumbnails[image.id]) as made:
        assert (made.format, made.size) == ("JPEG", (320, 240))
    path, media_type = attachments.file_of(image, media_dir=own.media_dir, thumbnail=True)
    assert (path.name, media_type) == (Path(thumbnails[image.id]).name, "image/jpeg")


@pytest.mark.parametrize("change", ["sha256 = repeat('0', 64)", "path = 'elsewhere.png'",
                                    "bytes = bytes + 1", "subject_id = 7"])
def test_a_recorded_attachment_cannot_be_changed(session, own, uploader, change):
    stored = attachments.attach(session, CASE, [upload(PDF, "application/pdf")],
                                kind="material", uploaded_by=uploader, settings=own)[0]
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text(f"UPDATE attachment SET {change} WHERE id = :id"),
                        {"id": stored.id})
    savepoint.rollback()
    # Its thumbnail is the one thing that may be added.
    session.execute(text("UPDATE attachment SET thumbnail_path = 'ab/x.thumb.jpg' "
                         "WHERE id = :id"), {"id": stored.id})
    assert rows(session)[0].sha256 == hashlib.sha256(PDF).hexdigest()
