"""The tables of 文书: the documents, each unit's numbering rules and the counters.

A document belongs to a subject of any platform, keyed like the kernel's rows by
(subject_type, subject_id) without a foreign key. It is a draft until it is locked: then
it gets its number, its PDF and the PDF's SHA-256, and a trigger (migration 0015) refuses
any later change of its content; only service (送达) and revocation (撤销) are recorded on
it after that, each once.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

import core.units.models  # noqa: F401  (unit, which issues documents)
from core.db import Base

# A document's states, in the domain's words.
STATES = {"draft": "草稿", "locked": "已定稿", "served": "已送达", "revoked": "已撤销"}

# How a document reached its addressee (行政处罚法第六十一条; 民事诉讼法 on service).
SERVICE_METHODS = {
    "direct": "直接送达",
    "lodged": "留置送达",
    "electronic": "电子送达",
    "post": "邮寄送达",
    "entrusted": "委托送达",
    "announcement": "公告送达",
}

# Any kind a rule may apply to: the unit's 机关代字 for every kind without a rule of its own.
ANY_KIND = "*"


def _values(names) -> str:
    return ", ".join(f"'{name}'" for name in names)


class NumberingRule(Base):
    """How a unit numbers one kind of 文书: its 机关代字 (株荷综执), the kind's 类别字 (罚决)
    and the pattern of the number. Data, because every unit has its own; kind '*' gives a
    unit's 机关代字 to every kind without a rule (the template then gives the 类别字)."""

    __tablename__ = "document_numbering"
    __table_args__ = (
        UniqueConstraint("unit_id", "kind", name="uq_document_numbering_unit_kind"),
        CheckConstraint("digits BETWEEN 1 AND 9", name="digits_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    agency: Mapped[str] = mapped_column(String(32))  # 机关代字
    category: Mapped[str | None] = mapped_column(String(16))  # 类别字; None: the template's
    # {agency} {category} {year} {serial}: the serial zero-padded to `digits`.
    pattern: Mapped[str] = mapped_column(
        String(100), server_default="{agency}{category}字〔{year}〕第{serial}号")
    digits: Mapped[int] = mapped_column(Integer, server_default="4")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class DocumentCounter(Base):
    """The last serial given per (unit, kind, year). Taken inside the locking transaction
    (INSERT … ON CONFLICT DO UPDATE … RETURNING), so its row lock serialises concurrent
    locks and a rolled-back lock gives its serial back: no gap, no duplicate."""

    __tablename__ = "document_counter"

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(f"state IN ({_values(STATES)})", name="state_known"),
        CheckConstraint(f"service_method IN ({_values(SERVICE_METHODS)})",
                        name="service_method_known"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        # A draft has no number; anything else has its number, PDF and hash.
        CheckConstraint("(state = 'draft') = (serial IS NULL)", name="numbered_once_locked"),
        CheckConstraint("state = 'draft' OR (number IS NOT NULL AND sha256 IS NOT NULL "
                        "AND pdf IS NOT NULL AND locked_at IS NOT NULL)",
                        name="locked_complete"),
        # The database's own guard of the counter's promise: never two alike.
        UniqueConstraint("unit_id", "kind", "year", "serial", name="uq_document_serial"),
        UniqueConstraint("verify_token", name="uq_document_verify_token"),
        Index("ix_document_subject", "subject_type", "subject_id"),
        Index("ix_document_unit_created", "unit_id", text("created_at DESC")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(48))  # a registered template's kind
    title: Mapped[str] = mapped_column(String(100))  # the template's: no personal data
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    state: Mapped[str] = mapped_column(String(16), server_default="draft")
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    year: Mapped[int | None] = mapped_column(Integer)
    serial: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(100))  # 株荷综执罚决字〔2026〕第0001号
    body: Mapped[dict] = mapped_column(JSONB)  # the template's fields, as filled in
    sha256: Mapped[str | None] = mapped_column(String(64))  # of `pdf`
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # Public, random, URL-safe: the QR code's link (/verify/{token}). Not the id, which
    # can be guessed.
    verify_token: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    service_method: Mapped[str | None] = mapped_column(String(16))
    served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    served_by: Mapped[str | None] = mapped_column(String(64))
    service_note: Mapped[str | None] = mapped_column(Text)  # 留置: witnesses; 公告: where
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
