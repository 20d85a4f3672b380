"""The incident category tree: 大类 (major) over 小类 (minor), two levels, coded.

A 大类 is a class of the standard (GB/T 30428.2 部件 or 事件, or a 综治 class); a 小类 is
what an incident is reported as: it says when a report may be filed (立案条件), when the
incident may be closed (结案条件) and how long each step may take at each urgency.
Codes are the path, like area codes: a 小类's code is its 大类's code and two digits
(S01 市容环境 → S0102 暴露垃圾), so with the "C" collation a class is a code prefix.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

MAJOR, MINOR = "major", "minor"  # 大类, 小类
LEVELS = (MAJOR, MINOR)
LEVEL_VALUES = ", ".join(f"'{level}'" for level in LEVELS)
# One capital letter (B 部件, S 事件, Z 综治, others for local extensions) and two digits;
# a 小类 adds two digits to its 大类's code.
MAJOR_CODE = r"^[A-Z][0-9]{2}$"
MINOR_CODE = r"^[A-Z][0-9]{4}$"
CODE_RULE = (f"CASE level WHEN '{MAJOR}' THEN code ~ '{MAJOR_CODE}' "
             f"ELSE code ~ '{MINOR_CODE}' END")


class Category(Base):
    __tablename__ = "category"
    __table_args__ = (
        CheckConstraint(f"level IN ({LEVEL_VALUES})", name="level_known"),
        CheckConstraint(CODE_RULE, name="code_matches_level"),
        # A 大类 is a root, a 小类 hangs under one (that the parent is a 大类 whose code
        # prefixes the child's is checked by the service, which sees both rows).
        CheckConstraint(f"(level = '{MAJOR}') = (parent_id IS NULL)",
                        name="parent_matches_level"),
        # Every 小类 has its limits; a 大类 has none.
        CheckConstraint(f"(level = '{MINOR}') = (time_limits IS NOT NULL)",
                        name="time_limits_on_minors"),
        UniqueConstraint("parent_id", "name", name="uq_category_parent_id_name"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(8, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("category.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    # Where the class comes from: 'GB/T 30428.2 部件', 'GB/T 30428.2 事件', '综治', '本地扩展'.
    standard: Mapped[str] = mapped_column(String(40), server_default="")
    filing_condition: Mapped[str] = mapped_column(Text, server_default="")  # 立案条件
    closing_condition: Mapped[str] = mapped_column(Text, server_default="")  # 结案条件
    # {urgency: {step: "8h" | "3d"}} for every Urgency and Step (grid/incidents/enums.py),
    # in working hours or working days (core/workflow/durations.py). Minors only.
    time_limits: Mapped[dict[str, dict[str, str]] | None] = mapped_column(
        JSONB(none_as_null=True))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    sort: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Optimistic concurrency: an edit names the version it read; a stale one gets 409.
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    parent: Mapped["Category | None"] = relationship(remote_side=[id],
                                                     back_populates="children")
    children: Mapped[list["Category"]] = relationship(
        back_populates="parent", order_by="(Category.sort, Category.code)")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_minor(self) -> bool:
        return self.level == MINOR

    def audit_view(self) -> dict[str, Any]:
        """What the audit log keeps of a category, before and after a change."""
        return {"code": self.code, "name": self.name, "level": self.level,
                "parent_code": self.parent.code if self.parent is not None else None,
                "standard": self.standard, "filing_condition": self.filing_condition,
                "closing_condition": self.closing_condition,
                "time_limits": self.time_limits, "active": self.active, "sort": self.sort}
