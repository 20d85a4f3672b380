"""The catalogue of 政务服务事项: items with their codes, type, department, levels, basis,
conditions, materials (trust level, 容缺), fees in fen, 法定/承诺时限 in working days,
visits, online and proxy flags; the search (a trigram index over codes, name and
department); xlsx import (all or nothing) and export.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from convenience.services.models import ITEM_TYPES, LEVELS, TRUST_LEVELS, Item, Material
from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.exports import Column, table_response
from core.imports import ImportColumn, Problem, run_import

# 事项编码 (GB/T 39554.1 style: a 11-15 character code of department, kind and serial, e.g.
# 000105001000) and 实施编码 (the item code followed by the implementing body's 18-character
# 统一社会信用代码 and a serial): letters, digits and hyphens.
ITEM_CODE = re.compile(r"^[0-9A-Z][0-9A-Z-]{5,39}$")
IMPL_CODE = re.compile(r"^[0-9A-Z][0-9A-Z-]{5,59}$")
TYPE_BY_LABEL = {label: code for code, label in ITEM_TYPES.items()}
LEVEL_BY_LABEL = {label: code for code, label in LEVELS.items()}
SEARCH_LIMIT = 50


def search_text(item_code: str, impl_code: str, name: str, department: str) -> str:
    return f"{item_code} {impl_code} {name} {department}".lower()


def _department_name(session: Session, code: str) -> str:
    name = session.scalar(text("SELECT name FROM department WHERE code = :c"), {"c": code})
    if name is None:
        raise InvalidInput(f"no department {code!r}", code="department_unknown")
    return name


def check_item(data: Mapping[str, Any]) -> None:
    """The item's own rules, before anything is written (422 each, stable codes)."""
    if not ITEM_CODE.match(data["item_code"] or ""):
        raise InvalidInput(f"事项编码 {data['item_code']!r} is not a catalogue code",
                           code="item_code_invalid")
    if not IMPL_CODE.match(data["impl_code"] or ""):
        raise InvalidInput(f"实施编码 {data['impl_code']!r} is not a catalogue code",
                           code="impl_code_invalid")
    if data["item_type"] not in ITEM_TYPES:
        raise InvalidInput(f"unknown item type {data['item_type']!r}", code="item_type_unknown")
    if not data["levels"] or set(data["levels"]) - set(LEVELS):
        raise InvalidInput("levels are county, township and/or village",
                           code="levels_unknown")
    if data["promised_days"] > data["legal_days"]:
        raise InvalidInput("承诺时限 may not exceed 法定时限", code="promise_exceeds_law")
    if data["visits"] not in (0, 1):
        raise InvalidInput("最多跑一次: visits is 0 or 1", code="visits_out_of_range")
    for material in data.get("materials") or ():
        if material["trust_level"] not in TRUST_LEVELS:
            raise InvalidInput(f"trust level {material['trust_level']!r} is not A-D",
                               code="trust_level_unknown")
        if material["may_defer"] and material["is_primary"]:
            raise InvalidInput(f"{material['name']}: only a secondary material may be "
                               "missing on a promise (容缺, 条例第二十四条)",
                               code="primary_not_deferrable")


ITEM_FIELDS = ("item_code", "impl_code", "name", "item_type", "department_code", "levels",
               "legal_basis", "conditions", "fee_fen", "legal_days", "promised_days",
               "visits", "online", "proxy", "notify_commit", "commit_check_days",
               "takes_reports")


def create_item(session: Session, data: Mapping[str, Any]) -> Item:
    check_item(data)
    department = _department_name(session, data["department_code"])
    if session.scalar(select(Item.id).where(Item.impl_code == data["impl_code"])):
        raise Conflict(f"实施编码 {data['impl_code']} exists", code="impl_code_taken")
    item = Item(**{k: data[k] for k in ITEM_FIELDS if k in data})
    item.search_text = search_text(item.item_code, item.impl_code, item.name, department)
    session.add(item)
    session.flush()
    _replace_materials(session, item, data.get("materials") or ())
    return item


def update_item(session: Session, item_id: int, data: Mapping[str, Any], *,
                version: int) -> Item:
    item = session.get(Item, item_id, with_for_update=True)
    if item is None:
        raise NotFound(f"no item {item_id}", code="item_not_found")
    if item.version != version:
        raise Conflict(f"item {item_id} changed since you read it", code="stale_version",
                       current_version=item.version)
    check_item(data)
    department = _department_name(session, data["department_code"])
    clash = session.scalar(select(Item.id).where(Item.impl_code == data["impl_code"],
                                                 Item.id != item_id))
    if clash:
        raise Conflict(f"实施编码 {data['impl_code']} exists", code="impl_code_taken")
    for key in ITEM_FIELDS:
        if key in data:
            setattr(item, key, data[key])
    item.search_text = search_text(item.item_code, item.impl_code, item.name, department)
    item.version += 1
    item.updated_at = func.now()
    _replace_materials(session, item, data.get("materials") or ())
    session.flush()
    return item


def set_takes_reports(session: Session, item_id: int, *, takes_reports: bool, version: int,
                      actor: str) -> Item:
    """An admin opens an item to residents' reports through Open311 (its 实施编码 becomes a
    service_code) or closes it; the version read guards against a lost update."""
    item = session.get(Item, item_id, with_for_update=True)
    if item is None or not item.is_active:
        raise NotFound(f"no item {item_id}", code="item_not_found")
    if item.version != version:
        raise Conflict(f"item {item_id} changed since you read it", code="stale_version",
                       current_version=item.version)
    before = item.takes_reports
    item.takes_reports, item.version, item.updated_at = takes_reports, item.version + 1, func.now()
    session.flush()
    audit.record(session, actor=actor, action="svc_item.takes_reports", subject_type="svc_item",
                 subject_id=item.id, before={"takes_reports": before},
                 after={"takes_reports": takes_reports})
    return item


def _replace_materials(session: Session, item: Item, materials: Iterable[Mapping]) -> None:
    session.execute(delete(Material).where(Material.item_id == item.id))
    for position, material in enumerate(materials, start=1):
        session.add(Material(item_id=item.id, position=position, name=material["name"],
                             trust_level=material["trust_level"],
                             is_primary=material["is_primary"],
                             may_defer=material["may_defer"],
                             copies=material.get("copies", 1)))
    session.flush()


def get_item(session: Session, *, item_id: int | None = None, impl_code: str | None = None
             ) -> Item:
    item = (session.get(Item, item_id) if item_id is not None else
            session.scalar(select(Item).where(Item.impl_code == impl_code)))
    if item is None or not item.is_active:
        raise NotFound("no such item in the catalogue", code="item_not_found")
    return item


def materials_of(session: Session, item_id: int) -> list[Material]:
    return list(session.scalars(select(Material).where(Material.item_id == item_id)
                                .order_by(Material.position)))


def material_dict(m: Material) -> dict:
    return {"id": m.id, "position": m.position, "name": m.name, "trust_level": m.trust_level,
            "is_primary": m.is_primary, "may_defer": m.may_defer, "copies": m.copies}


def item_dict(session: Session, item: Item, *, with_materials: bool = True) -> dict:
    department = session.scalar(text("SELECT name FROM department WHERE code = :c"),
                                {"c": item.department_code})
    out = {"id": item.id, "item_code": item.item_code, "impl_code": item.impl_code,
           "name": item.name, "item_type": item.item_type,
           "item_type_label": ITEM_TYPES[item.item_type],
           "department_code": item.department_code, "department": department,
           "levels": list(item.levels), "legal_basis": item.legal_basis,
           "conditions": item.conditions, "fee_fen": item.fee_fen,
           "legal_days": item.legal_days, "promised_days": item.promised_days,
           "visits": item.visits, "online": item.online, "proxy": item.proxy,
           "notify_commit": item.notify_commit, "commit_check_days": item.commit_check_days,
           "takes_reports": item.takes_reports, "version": item.version}
    if with_materials:
        out["materials"] = [material_dict(m) for m in materials_of(session, item.id)]
    return out


# --- search ------------------------------------------------------------------------------

SEARCH_SQL = """
    SELECT i.id, i.item_code, i.impl_code, i.name, i.item_type, i.department_code,
           d.name AS department, i.promised_days, i.visits, i.online, i.proxy
    FROM svc_item i JOIN department d ON d.code = i.department_code
    WHERE i.is_active AND i.search_text LIKE :pattern {filters}
    ORDER BY (i.name = :raw) DESC, position(:raw IN i.name) = 0, length(i.name), i.impl_code
    LIMIT :limit OFFSET :offset"""


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, *, q: str = "", item_type: str | None = None,
           department: str | None = None, level: str | None = None, online: bool | None = None,
           limit: int = SEARCH_LIMIT, offset: int = 0) -> list[dict]:
    """Items whose codes, name or department contain `q` (a trigram index answers from
    three characters on; shorter queries read the 3,000 rows, still fast), exact names
    first, then names containing it, shorter first."""
    raw = (q or "").strip().lower()
    filters, params = [], {"pattern": f"%{escape_like(raw)}%", "raw": raw, "limit": limit,
                           "offset": offset}
    if item_type:
        filters.append("AND i.item_type = :item_type")
        params["item_type"] = item_type
    if department:
        filters.append("AND i.department_code = :department")
        params["department"] = department
    if level:
        filters.append("AND :level = ANY(i.levels)")
        params["level"] = level
    if online is not None:
        filters.append("AND i.online = :online")
        params["online"] = online
    rows = session.execute(text(SEARCH_SQL.format(filters=" ".join(filters))), params)
    return [dict(row._mapping) | {"item_type_label": ITEM_TYPES[row.item_type]}
            for row in rows]


# --- xlsx / csv (core/exports.py, core/imports.py) --------------------------------------

YES = {"是", "y", "yes", "true", "1"}


def _yes(text: str) -> bool:
    return str(text).strip().lower() in YES


def _whole(text: str) -> int:
    try:
        value = int(float(str(text).strip()))
    except ValueError:
        raise ValueError(f"不是整数：{text}") from None
    if not 0 <= value < 10**12:
        raise ValueError(f"超出范围：{text}")
    return value


def _item_type(text: str) -> str:
    value = TYPE_BY_LABEL.get(text.strip(), text.strip())
    if value not in ITEM_TYPES:
        raise ValueError(f"事项类型应为{'、'.join(ITEM_TYPES.values())}之一")
    return value


def _levels(text: str) -> list[str]:
    levels = [LEVEL_BY_LABEL.get(p, p) for p in re.split(r"[、,，;；\s]+", text) if p]
    if not levels or set(levels) - set(LEVELS):
        raise ValueError("办理层级应为县级、乡镇（街道）、村（社区）")
    return levels


def _materials(text: str) -> list[dict]:
    """A material per line: 名称|可信等级|主要/次要|容缺."""
    out = []
    for line in str(text).splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")] + ["", "", ""]
            out.append({"name": parts[0][:200], "trust_level": parts[1] or "B",
                        "is_primary": parts[2] != "次要", "may_defer": parts[3] == "容缺"})
    return out


IMPORT_COLUMNS = (
    ImportColumn("item_code", ("事项编码",), parse=lambda t: t.strip().upper()),
    ImportColumn("impl_code", ("实施编码",), parse=lambda t: t.strip().upper()),
    ImportColumn("name", ("事项名称",), parse=lambda t: t.strip()[:200]),
    ImportColumn("item_type", ("事项类型",), parse=_item_type),
    ImportColumn("department_code", ("实施部门",), parse=lambda t: t.split()[0]),
    ImportColumn("levels", ("办理层级",), parse=_levels),
    ImportColumn("legal_basis", ("设定依据",), required=False),
    ImportColumn("conditions", ("受理条件",), required=False),
    ImportColumn("fee_fen", ("收费（分）",), required=False, parse=_whole),
    ImportColumn("legal_days", ("法定时限（工作日）",), parse=_whole),
    ImportColumn("promised_days", ("承诺时限（工作日）",), parse=_whole),
    ImportColumn("visits", ("到现场次数",), parse=_whole),
    ImportColumn("online", ("网上可办",), parse=_yes),
    ImportColumn("proxy", ("可代办",), parse=_yes),
    ImportColumn("notify_commit", ("告知承诺制",), required=False, parse=_yes),
    ImportColumn("commit_check_days", ("核查期限（工作日）",), required=False, parse=_whole),
    ImportColumn("materials", ("申请材料",), required=False, parse=_materials),
    ImportColumn("takes_reports", ("受理反映（Open311）",), required=False, parse=_yes),
)
DEFAULTS = {"legal_basis": "", "conditions": "", "fee_fen": 0, "notify_commit": False,
            "commit_check_days": None, "materials": []}  # takes_reports: kept unless given


def export_columns(departments: Mapping[str, str]) -> tuple[Column, ...]:
    """The export's columns: the import's headers, so an export edited in Excel imports."""
    def materials(row: dict) -> str:
        return "\n".join(f"{m.name}|{m.trust_level}|{'主要' if m.is_primary else '次要'}|"
                         f"{'容缺' if m.may_defer else ''}" for m in row["materials"])
    item = lambda key: (lambda row: getattr(row["item"], key))  # noqa: E731
    return (
        Column("事项编码", item("item_code")), Column("实施编码", item("impl_code")),
        Column("事项名称", item("name")),
        Column("事项类型", lambda row: ITEM_TYPES[row["item"].item_type]),
        Column("实施部门", lambda row: f"{row['item'].department_code} "
               f"{departments.get(row['item'].department_code, '')}".strip()),
        Column("办理层级", lambda row: "、".join(LEVELS[v] for v in row["item"].levels)),
        Column("设定依据", item("legal_basis")), Column("受理条件", item("conditions")),
        Column("收费（分）", item("fee_fen")), Column("法定时限（工作日）", item("legal_days")),
        Column("承诺时限（工作日）", item("promised_days")),
        Column("到现场次数", item("visits")), Column("网上可办", item("online")),
        Column("可代办", item("proxy")), Column("告知承诺制", item("notify_commit")),
        Column("核查期限（工作日）", item("commit_check_days")),
        Column("申请材料", materials),
        Column("受理反映（Open311）", item("takes_reports")))


def export_rows(session: Session) -> list[dict]:
    materials: dict[int, list[Material]] = {}
    for m in session.scalars(select(Material).order_by(Material.item_id, Material.position)):
        materials.setdefault(m.item_id, []).append(m)
    return [{"item": item, "materials": materials.get(item.id, [])}
            for item in session.scalars(select(Item).where(Item.is_active)
                                        .order_by(Item.impl_code))]


def export(session: Session, *, format: str = "xlsx"):
    departments = dict(session.execute(text("SELECT code, name FROM department")).all())
    return table_response(export_rows(session), export_columns(departments),
                          filename="政务服务事项目录", format=format, sheet_title="政务服务事项")


def import_catalogue(session: Session, raw: bytes) -> dict:
    """The catalogue from xlsx or CSV (the export's columns): every row checked first
    (the item's rules, its department), then all written, or nothing (core/imports.py,
    422 import_rows_invalid listing each bad row). An existing 实施编码 is updated."""
    departments = set(session.scalars(text("SELECT code FROM department")))
    counts = {"created": 0, "updated": 0}

    def validate(row: dict, number: int):
        data = {**DEFAULTS, **{k: v for k, v in row.items() if v is not None}}
        if data["department_code"] not in departments:
            yield Problem("department_code", f"没有部门 {data['department_code']}",
                          "department_unknown")
        try:
            check_item(data)
        except InvalidInput as error:
            yield Problem(None, error.detail, error.code)

    def write(session: Session, rows: list[dict]) -> int:
        for row in rows:
            data = {**DEFAULTS, **{k: v for k, v in row.items() if v is not None}}
            existing = session.scalar(select(Item).where(Item.impl_code == data["impl_code"])
                                      .with_for_update())
            if existing is None:
                create_item(session, data)
                counts["created"] += 1
            else:
                update_item(session, existing.id, data, version=existing.version)
                counts["updated"] += 1
        return len(rows)

    result = run_import(session, data=raw, columns=IMPORT_COLUMNS, validate=validate,
                        write=write, unique=("impl_code",))
    return {"total": result.total, "written": result.written, **counts}
