"""Citizen reports (市民随手拍, Open311, a 12345 call about a place) taken in by whichever
platform handles their kind.

A platform declares here, when it plugs in, "I take citizen reports of these service
codes": an `Intake` with the services it offers (code, name, group, description) and a
`take(session, report, settings) -> Subject` that files one report on its normal path
(the grid: an incident of the 小类, on its workflow). The front doors (convenience's
Open311 API, its 随手拍 page, its 12345 desk) ask this registry and never import the
platform: platforms do not import one another (docs/architecture.md).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.errors import NotFound
from core.workflow.clocks import Subject


@dataclass(frozen=True)
class OfferedService:
    """One kind of report a platform takes (an Open311 service)."""

    code: str
    name: str
    group: str = ""
    description: str = ""
    keywords: str = ""
    # Shown to the reporter before sending (e.g. a 小类's 立案条件): informational only.
    notice: str = ""


@dataclass(frozen=True)
class CitizenReport:
    """What a resident (or an operator for one) reports; WGS84 lon/lat."""

    service_code: str
    description: str
    lon: float
    lat: float
    key: str  # one subject per key: a replayed report finds the first one
    address: str = ""
    source: str = "citizen_app"  # 市民随手拍; "hotline" for 12345
    photos: tuple[tuple[str, str], ...] = ()  # (content type, base64 data)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Intake:
    platform: str
    subject_type: str
    services: Callable[[Session], list[OfferedService]]
    service: Callable[[Session, str], OfferedService | None]
    take: Callable[[Session, CitizenReport, Any], Subject]


_INTAKES: dict[str, Intake] = {}


def register(intake: Intake) -> Intake:
    """Declare a platform's intake (idempotent: one per platform)."""
    _INTAKES[intake.platform] = intake
    return intake


def unregister(platform: str) -> None:
    _INTAKES.pop(platform, None)


def registered() -> list[Intake]:
    from core import platforms

    platforms.load()
    return list(_INTAKES.values())


def services(session: Session) -> list[OfferedService]:
    """Every service any platform takes, in registration order."""
    return [service for intake in registered() for service in intake.services(session)]


def find(session: Session, code: str) -> tuple[Intake, OfferedService] | None:
    """The platform that takes reports of `code`, and the service; None: nobody does."""
    for intake in registered():
        service = intake.service(session, code)
        if service is not None:
            return intake, service
    return None


def take(session: Session, report: CitizenReport, *, settings: Any) -> Subject:
    """File a report with the platform that takes its service code (404 when none)."""
    found = find(session, report.service_code)
    if found is None:
        raise NotFound(f"no platform takes reports of service {report.service_code!r}",
                       code="service_unknown")
    return found[0].take(session, report, settings)
