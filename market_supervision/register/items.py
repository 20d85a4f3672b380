"""The inspection-item list (随机抽查事项清单) and each item's checklist: data an admin
edits, each with its legal basis."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.units.models import Department
from market_supervision.register.enums import ItemLevel
from market_supervision.register.models import ChecklistItem, Item


def create_item(session: Session, *, code: str, name: str, department_code: str, level: str,
                legal_basis: str, checklist: list[dict]) -> Item:
    if session.get(Department, department_code) is None:
        raise InvalidInput(f"没有部门 {department_code!r}", code="department_unknown")
    if session.scalar(select(Item.id).where(Item.code == code)) is not None:
        raise Conflict(f"抽查事项 {code} 已存在", code="item_exists")
    item = Item(code=code, name=name, department_code=department_code,
                level=ItemLevel(level).value, legal_basis=legal_basis)
    session.add(item)
    session.flush()
    for ordinal, line in enumerate(checklist, start=1):
        session.add(ChecklistItem(item_id=item.id, ordinal=ordinal, text=line["text"],
                                  weight=ItemLevel(line.get("weight", "general")).value,
                                  basis=line.get("basis")))
    session.flush()
    return item


def list_items(session: Session) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.is_active).order_by(Item.code)))


def checklist_of(session: Session, item_id: int) -> list[ChecklistItem]:
    return list(session.scalars(select(ChecklistItem).where(ChecklistItem.item_id == item_id)
                                .order_by(ChecklistItem.ordinal)))


def items_by_code(session: Session, codes: list[str]) -> list[Item]:
    """The named active items, every one of them (an unknown code: 422)."""
    found = {item.code: item for item in session.scalars(
        select(Item).where(Item.code.in_(codes), Item.is_active))}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise InvalidInput(f"没有抽查事项 {', '.join(unknown)}", code="item_unknown")
    return [found[code] for code in dict.fromkeys(codes)]


def get_item(session: Session, *, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    return item
