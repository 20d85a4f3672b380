"""Open311 (API keys, service requests, their updates, service attributes) and 12345 work
orders (the 派单目录, the rules as data, the orders). Their clocks, timelines and links are
the kernel's (core/workflow/models.py), keyed by ("work_order", id) and
("open311_request", id)."""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit)
from core.db import Base

REQUEST_SUBJECT = "open311_request"
WORK_ORDER_SUBJECT = "work_order"
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
FILING_STATES = ("queued", "filed", "refused")


def _values(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class ApiKey(Base):
    """An app's key (GeoReport v2: POST Service Request "Requires API Key: Yes"). Only the
    SHA-256 of the key is kept; the key is shown once, when it is made."""

    __tablename__ = "open311_api_key"
    __table_args__ = (
        # One live key per app; revoked ones stay (their requests name them).
        Index("uq_open311_api_key_live_app", "app_name", unique=True,
              postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    app_name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(8))  # to tell keys apart in a list
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ServiceRequest(Base):
    """One Open311 service request (or a 随手拍 page report): what the resident sent, and
    the subject it became (an incident, a work order), whose status flows back here."""

    __tablename__ = "open311_request"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint("(lat IS NULL) = (long IS NULL)", name="lat_long_together"),
        # GET requests: a window of requested_datetime, newest first.
        Index("ix_open311_request_requested", "requested_at", "id"),
        Index("ix_open311_request_subject", "subject_type", "subject_id",
              postgresql_where=text("subject_id IS NOT NULL")),
        Index("ix_open311_request_api_key_id", "api_key_id",
              postgresql_where=text("api_key_id IS NOT NULL")),
        CheckConstraint(f"filing IN ({_values(FILING_STATES)})", name="filing_known"),
        # The re-queue job's search: filings still queued, oldest first (migration 0029).
        Index("ix_open311_request_queued", "queued_at",
              postgresql_where=text("filing = 'queued'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    api_key_id: Mapped[int | None] = mapped_column(BigInteger,
                                                   ForeignKey("open311_api_key.id"))
    channel: Mapped[str] = mapped_column(String(16))  # "open311", "page"
    service_code: Mapped[str] = mapped_column(String(32))
    service_name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, server_default="")
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    address_string: Mapped[str] = mapped_column(String(400), server_default="")
    address_id: Mapped[str] = mapped_column(String(100), server_default="")
    # The reporter's contact, never shown by GET (personal data): for the callback only.
    email: Mapped[str | None] = mapped_column(String(254))
    device_id: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    media_url: Mapped[str | None] = mapped_column(String(2000))
    attributes: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(String(8), server_default="open")
    status_notes: Mapped[str | None] = mapped_column(Text)
    agency_responsible: Mapped[str | None] = mapped_column(String(200))
    service_notice: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What it became (also a kernel link, seen on both timelines).
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    # The subject's newest timeline event already turned into an update.
    last_event_id: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # The filing (convenience/open311/filing.py): queued until its task files it (filed)
    # or refuses it (refused: a person takes it from there); queued_at is when it was last
    # sent, requeues how often the re-queue job sent it again.
    filing: Mapped[str] = mapped_column(String(8), server_default="queued")
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requeues: Mapped[int] = mapped_column(SmallInteger, server_default="0")


class RequestUpdate(Base):
    """A status update of a request (FixMyStreet's servicerequestupdates extension), one
    per move of the subject it became."""

    __tablename__ = "open311_request_update"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        UniqueConstraint("request_id", "source_event_id", name="uq_open311_update_event"),
        Index("ix_open311_request_update_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("open311_request.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[int | None] = mapped_column(BigInteger)


class ServiceAttribute(Base):
    """An attribute of a service definition (GeoReport v2 GET Service Definition): data an
    admin edits. `service_code` '' applies to every service."""

    __tablename__ = "open311_attribute"
    __table_args__ = (
        CheckConstraint(f"datatype IN ({_values(DATATYPES)})", name="datatype_known"),
        UniqueConstraint("service_code", "code", name="uq_open311_attribute_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    service_code: Mapped[str] = mapped_column(String(32), server_default="")
    code: Mapped[str] = mapped_column(String(32))
    datatype: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    variable: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    description: Mapped[str] = mapped_column(Text)
    datatype_description: Mapped[str] = mapped_column(Text, server_default="")
    sort_order: Mapped[int] = mapped_column(Integer, server_default="1")
    values: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))


# --- 12345 work orders -------------------------------------------------------------------

class WorkOrderRule(Base):
    """A rule of the 12345 process as data with its citation (limits in working days,
    the objection window, the rounds): admins edit the rows."""

    __tablename__ = "workorder_rule"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100))
    citation: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class DispatchEntry(Base):
    """派单目录: which unit handles a matter (事项) in an area. A work order of the matter is
    dispatched to the entry of the longest area code that contains it."""

    __tablename__ = "workorder_catalogue"
    __table_args__ = (UniqueConstraint("matter_code", "area_code",
                                       name="uq_workorder_catalogue_matter_area"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    matter_code: Mapped[str] = mapped_column(String(32, collation="C"))
    matter: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[str] = mapped_column(String(400), server_default="")
    area_code: Mapped[str] = mapped_column(String(15, collation="C"))
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"), index=True)
    # When an order of this matter is about a place, the grid 小类 it becomes.
    incident_service_code: Mapped[str | None] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(Text, server_default="")  # 职责依据 (三定, 清单)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


WORK_ORDER_STATES = ("registered", "dispatched", "objected", "handling", "transferred",
                     "replied", "closed", "void")
SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")


class WorkOrder(Base):
    """A 12345 work order (工单): taken by an operator, dispatched to a unit by the
    派单目录, handled within 5 (+5) working days, called back."""

    __tablename__ = "work_order"
    __table_args__ = (
        CheckConstraint(f"state IN ({_values(WORK_ORDER_STATES)})", name="state_known"),
        CheckConstraint(f"satisfaction IN ({_values(SATISFACTION)})",
                        name="satisfaction_known"),
        Index("ix_work_order_owner_code_created", "owner_code", "created_at"),
        Index("ix_work_order_handler_open", "handler_unit_id", "state",
              postgresql_where=text("state NOT IN ('closed', 'void')")),
        Index("ix_work_order_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))  # phone, open311, web
    caller_name: Mapped[str] = mapped_column(String(50), server_default="")
    caller_phone: Mapped[str] = mapped_column(String(20))
    matter_code: Mapped[str | None] = mapped_column(String(32, collation="C"))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(400), server_default="")
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    area_code: Mapped[str | None] = mapped_column(String(15, collation="C"))

    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    owner_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), server_default="convenience")
    handler_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    # 首接负责: the unit first dispatched to stays responsible unless the centre upholds
    # its objection.
    first_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    objection_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    objection_reason: Mapped[str | None] = mapped_column(Text)
    refused: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    extended: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The handling clock, mirrored for the lists and the 督办 list.
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[str] = mapped_column(String(8), server_default="green")
    ever_overdue: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    reply: Mapped[str | None] = mapped_column(Text)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    callback_note: Mapped[str | None] = mapped_column(Text)

    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def number(self) -> str:
        return number_of(self.id)


NUMBER_PREFIX = "GD"


def number_of(order_id: int) -> str:
    """工单编号: GD and ten digits."""
    return f"{NUMBER_PREFIX}{order_id:010d}"


def id_of_number(number: str) -> int | None:
    number = number.strip().upper()
    digits = number[len(NUMBER_PREFIX):] if number.startswith(NUMBER_PREFIX) else number
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None
