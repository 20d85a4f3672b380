"""The entity register (检查对象名录库): one entity registered, read, listed; risk classes.

The code is checked per GB 32100 (core/uscc.py) before anything is written; a code that
fails its check is kept only when the caller says it is a legacy pilot code (试点期间赋码),
and the entity is then flagged. The credit-risk class is internal: readers without
`market:risk-read` never receive it, and no public page or export names it.
"""

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.uscc import expected_check, uscc_problem
from core.users.enums import ROLE_PERMISSIONS
from geo.locate import locate_many, to_wgs84_point
from market_supervision.register.enums import INDUSTRY_PATTERN, EntityType, RiskClass
from market_supervision.register.models import Entity, EntityRisk
from market_supervision.register.permissions import MarketPermission

_INDUSTRY = re.compile(INDUSTRY_PATTERN)


class UsccInvalid(InvalidInput):
    code = "uscc_invalid"


@dataclass(frozen=True)
class CodeCheck:
    uscc: str
    problem: str | None  # None: valid
    expected: str | None  # the check character the first 17 call for


def check_code(raw: str) -> CodeCheck:
    code = raw.strip().upper()
    return CodeCheck(code, uscc_problem(code), expected_check(code))


def code_refusal(check: CodeCheck) -> str:
    """The clerk's message: what is wrong and, where it can be told, the check character
    the code should end in (a typo shows at once)."""
    hint = (f"（按 GB 32100 第 18 位校验码应为 '{check.expected}'）"
            if check.expected and len(check.uscc) == 18 else "")
    return f"统一社会信用代码 {check.uscc} 校验不通过：{check.problem}{hint}"


def accept_code(raw: str, *, legacy: bool) -> tuple[str, bool]:
    """The code to store and whether it is a flagged legacy code; a bad code otherwise is
    refused with the expected check character."""
    check = check_code(raw)
    if check.problem is None:
        return check.uscc, False
    if legacy and len(check.uscc) == 18:
        return check.uscc, True
    raise UsccInvalid(code_refusal(check), uscc=check.uscc, expected_check=check.expected)


def check_industry(value: str) -> str:
    industry = value.strip().upper()
    if not _INDUSTRY.fullmatch(industry):
        raise InvalidInput(f"行业代码 {value!r} 不是 GB/T 4754 代码（如 H62、F5211）",
                           code="industry_invalid")
    return industry


def sees_risk(principal: Principal) -> bool:
    return MarketPermission.risk_read in ROLE_PERMISSIONS[principal.role]


def register_entity(session: Session, *, principal: Principal, uscc: str, name: str,
                    entity_type: str, address: str, lon: float, lat: float, industry: str,
                    legal_representative: str | None = None, licences: list | None = None,
                    legacy_code: bool = False, crs: str | None = None) -> Entity:
    """Register one entity in the caller's territory (the area its point lies in)."""
    code, flagged = accept_code(uscc, legacy=legacy_code)
    if entity_type not in set(EntityType):
        raise InvalidInput(f"未知的主体类型 {entity_type!r}", code="entity_type_unknown")
    x, y = to_wgs84_point(lon, lat, crs)
    area = locate_many(session, points=[(x, y)], scope=Scope.of(principal))[0]
    if area is None:
        raise InvalidInput(f"位置 ({lon}, {lat}) 不在你的辖区内的任何网格中",
                           code="location_outside_scope")
    if session.scalar(select(Entity.id).where(Entity.uscc == code)) is not None:
        raise Conflict(f"统一社会信用代码 {code} 已在名录库中", code="entity_exists")
    entity = Entity(uscc=code, name=name.strip(), type=entity_type, address=address.strip(),
                    legal_representative=legal_representative, industry=check_industry(industry),
                    licences=licences or [], legacy_code=flagged, area_code=area,
                    location=func.ST_SetSRID(func.ST_MakePoint(x, y), 4326), source="api")
    try:
        with session.begin_nested():  # a concurrent registration of the code: 409, not 500
            session.add(entity)
    except IntegrityError as exc:
        raise Conflict(f"统一社会信用代码 {code} 已在名录库中", code="entity_exists") from exc
    return entity


def scoped(principal: Principal):
    """The register's rows the caller may see: those lying in their territory."""
    return Scope.of(principal).column_condition(Entity.area_code)


def get_entity(session: Session, *, principal: Principal, entity_id: int) -> Entity:
    entity = session.scalar(select(Entity).where(Entity.id == entity_id, scoped(principal)))
    if entity is None:
        raise NotFound(f"no entity {entity_id} in your territory")
    return entity


def list_entities(session: Session, *, principal: Principal, q: str | None = None,
                  entity_type: str | None = None, industry: str | None = None,
                  area: str | None = None, flagged: bool | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[int, list[Entity]]:
    query = select(Entity).where(scoped(principal))
    if q:
        query = query.where((Entity.name.contains(q)) | (Entity.uscc == q.strip().upper()))
    if entity_type:
        query = query.where(Entity.type == entity_type)
    if industry:
        query = query.where(Entity.industry.startswith(industry.upper()))
    if area:
        query = query.where(Entity.area_code.startswith(area))
    if flagged is not None:
        query = query.where(Entity.legacy_code.is_(flagged))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Entity.id).limit(limit).offset(offset)).all()
    return total, list(rows)


def coordinates(session: Session, entity: Entity) -> tuple[float, float]:
    row = session.execute(select(func.ST_X(Entity.location), func.ST_Y(Entity.location))
                          .where(Entity.id == entity.id)).one()
    return float(row[0]), float(row[1])


def month_start(day: date) -> date:
    return day.replace(day=1)


def set_risk_class(session: Session, *, principal: Principal, entity_id: int, month: date,
                   risk_class: str, basis: str | None = None) -> EntityRisk:
    """The class of a month (信用风险分类结果, monthly): the newest month's class is the
    entity's current one. Concurrent setters: the entity row is locked first."""
    if risk_class not in set(RiskClass):
        raise InvalidInput(f"信用风险分类只有 A–D，不是 {risk_class!r}", code="risk_class_unknown")
    entity = session.scalar(select(Entity).where(Entity.id == entity_id, scoped(principal))
                            .with_for_update())
    if entity is None:
        raise NotFound(f"no entity {entity_id} in your territory")
    first = month_start(month)
    session.execute(text(
        "INSERT INTO market_entity_risk (entity_id, month, risk_class, basis) "
        "VALUES (:e, :m, :c, :b) ON CONFLICT (entity_id, month) "
        "DO UPDATE SET risk_class = EXCLUDED.risk_class, basis = EXCLUDED.basis"),
        {"e": entity_id, "m": first, "c": risk_class, "b": basis})
    newest = session.scalar(select(func.max(EntityRisk.month))
                            .where(EntityRisk.entity_id == entity_id))
    if newest == first:
        entity.risk_class = risk_class
    session.flush()
    return session.get(EntityRisk, (entity_id, first))
