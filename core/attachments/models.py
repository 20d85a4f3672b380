"""The `attachment` table: a file recorded for a subject of any platform, keyed like the
kernel's rows by (subject_type, subject_id), without a foreign key to the subject.

Immutable once recorded: no route updates one, and a trigger (migration 0014) refuses an
UPDATE of anything but `thumbnail_path`, which the thumbnail task fills in later.
"""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

import core.users.models  # noqa: F401  (app_user, who uploaded it)
from core.db import Base

# What an attachment is to its subject, in the domain's words.
KINDS = {
    "report": "上报照片",
    "before": "处理前",
    "after": "处理后",
    "evidence": "证据",
    "material": "申请材料",
    "document": "文书",
}


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in KINDS)),
                        name="kind_known"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint("bytes > 0", name="bytes_positive"),
        # The same file sent twice (a retry) is recorded once per subject. The constraint's
        # index, led by the subject, is also how a subject's attachments are found.
        UniqueConstraint("subject_type", "subject_id", "sha256",
                         name="uq_attachment_subject_sha256"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str | None] = mapped_column(String(255))  # as the uploader named it
    content_type: Mapped[str] = mapped_column(String(64))  # checked against the bytes
    bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))  # under settings.media_dir
    thumbnail_path: Mapped[str | None] = mapped_column(String(300))  # made by a task
    uploaded_by: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    # Evidence (证据): where and when it was taken, and with what, as the device says.
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    device: Mapped[str | None] = mapped_column(String(128))
