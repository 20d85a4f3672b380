"""What the models of 便民服务 share: the platform's name on its subjects, the CHECK
constraints' value lists, the residents' number sequence, and the limits as data."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

PLATFORM = "convenience"

# Numbers residents see (办件编号 BJ2026120700000123): one sequence (migration 0019).
NUMBER_SEQUENCE = "svc_number_seq"


def values_sql(values) -> str:
    """A CHECK constraint's list: 'a', 'b', …"""
    return ", ".join(f"'{v}'" for v in values)


class ServiceSetting(Base):
    """A limit, threshold or ratio of the platform, with its citation: data an admin
    edits (e.g. `rating.contact` = `1d`, 安阳市政务服务条例第五十二条)."""

    __tablename__ = "svc_setting"

    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[str] = mapped_column(String(48))
    label: Mapped[str] = mapped_column(String(100))
    citation: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
