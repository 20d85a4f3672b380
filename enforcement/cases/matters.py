"""The matters catalogue (执法事项): matters with their discretion bands, read, written,
imported and exported as xlsx (one sheet of matters, one of bands).

An import is all or nothing: every row is checked first and the problems are returned
by row and column (422 `matters_import_invalid`); a clean file upserts by code.
"""

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.imports import ImportColumn, ImportRefused, Problem, RowError, check_rows, read_rows
from core.units.models import Department
from enforcement.cases.models import BAND_LEVELS, PENALTY_TYPES, Matter, MatterBand

BAND_LABELS = {"lighter": "从轻", "ordinary": "一般", "heavier": "从重"}
PENALTY_LABELS = {
    "warning": "警告", "criticism": "通报批评", "fine": "罚款", "confiscation": "没收违法所得",
    "confiscation_property": "没收非法财物", "license_suspend": "暂扣许可证件",
    "license_revoke": "吊销许可证件", "qualification_lower": "降低资质等级",
    "production_suspend": "责令停产停业", "business_restrict": "限制开展生产经营活动",
    "closure": "责令关闭", "employment_ban": "限制从业", "detention": "行政拘留"}
# The columns of the matters sheet: (header, attribute).
COLUMNS = (("事项编码", "code"), ("事项名称", "name"), ("实施部门", "department_code"),
           ("违法依据", "violated_basis"), ("处罚依据", "legal_basis"),
           ("处罚种类", "penalty_types"), ("罚款下限（分）", "fine_min_fen"),
           ("罚款上限（分）", "fine_max_fen"), ("首违不罚", "first_offence_exempt"),
           ("轻微免罚", "minor_exempt"), ("赋权乡镇", "devolved_to_township"),
           ("涉及生命健康金融安全", "safety_related"))
BAND_COLUMNS = (("事项编码", "code"), ("裁量档次", "level"), ("适用情形", "circumstances"),
                ("罚款下限（分）", "fine_min_fen"), ("罚款上限（分）", "fine_max_fen"))
FLAGS = ("first_offence_exempt", "minor_exempt", "devolved_to_township", "safety_related")


def matter_dict(matter: Matter, bands: Iterable[MatterBand] = ()) -> dict[str, Any]:
    return {"id": matter.id, "code": matter.code, "name": matter.name,
            "department_code": matter.department_code,
            "violated_basis": matter.violated_basis, "legal_basis": matter.legal_basis,
            "penalty_types": list(matter.penalty_types),
            "fine_min_fen": matter.fine_min_fen, "fine_max_fen": matter.fine_max_fen,
            **{flag: getattr(matter, flag) for flag in FLAGS}, "active": matter.active,
            "version": matter.version,
            "bands": [{"level": b.level, "label": BAND_LABELS[b.level],
                       "circumstances": b.circumstances, "fine_min_fen": b.fine_min_fen,
                       "fine_max_fen": b.fine_max_fen}
                      for b in sorted(bands, key=lambda b: BAND_LEVELS.index(b.level))]}


def get_matter(session: Session, *, code: str) -> Matter:
    matter = session.scalar(select(Matter).where(Matter.code == code))
    if matter is None:
        raise NotFound(f"no matter {code!r}", code="matter_not_found")
    return matter


def bands_of(session: Session, matter_ids: list[int]) -> dict[int, list[MatterBand]]:
    out: dict[int, list[MatterBand]] = {}
    for band in session.scalars(select(MatterBand).where(MatterBand.matter_id.in_(matter_ids))):
        out.setdefault(band.matter_id, []).append(band)
    return out


def list_matters(session: Session, *, department: str | None = None, query: str | None = None,
                 limit: int = 100, offset: int = 0) -> tuple[int, list[dict]]:
    from sqlalchemy import func

    condition = [Matter.active]
    if department:
        condition.append(Matter.department_code == department)
    if query:
        like = f"%{query.replace('%', '').replace('_', '')}%"
        condition.append(Matter.name.like(like) | Matter.code.like(like))
    total = session.scalar(select(func.count()).select_from(Matter).where(*condition))
    rows = list(session.scalars(select(Matter).where(*condition).order_by(Matter.code)
                                .limit(limit).offset(offset)))
    bands = bands_of(session, [m.id for m in rows])
    return total, [matter_dict(m, bands.get(m.id, ())) for m in rows]


def check_matter(data: dict[str, Any], departments: set[str]) -> list[str]:
    """The problems of one matter's fields (empty: fine)."""
    problems = []
    if data["department_code"] not in departments:
        problems.append(f"unknown department {data['department_code']!r}")
    unknown = set(data.get("penalty_types") or ()) - set(PENALTY_TYPES)
    if unknown:
        problems.append(f"unknown penalty types {sorted(unknown)}")
    low, high = data.get("fine_min_fen"), data.get("fine_max_fen")
    if low is not None and high is not None and high < low:
        problems.append("fine_max_fen is below fine_min_fen")
    for band in data.get("bands") or ():
        b_low, b_high = band.get("fine_min_fen"), band.get("fine_max_fen")
        if b_low is not None and b_high is not None and b_high < b_low:
            problems.append(f"band {band['level']}: its maximum is below its minimum")
        if (high is not None and b_high is not None and b_high > high) or \
                (low is not None and b_low is not None and b_low < low):
            problems.append(f"band {band['level']} leaves the matter's fine range")
    return problems


def departments(session: Session) -> set[str]:
    return set(session.scalars(select(Department.code)))


def save_matter(session: Session, data: dict[str, Any], *, version: int | None = None
                ) -> Matter:
    """Create or replace a matter (by code) and its bands. A replacement that names the
    version it read is refused when the matter moved on since (409 `matter_stale`): the
    row is locked first, so two concurrent edits queue and the second sees the first."""
    problems = check_matter(data, departments(session))
    if problems:
        raise InvalidInput("; ".join(problems), code="matter_invalid", problems=problems)
    current = session.scalar(select(Matter.version).where(Matter.code == data["code"])
                             .with_for_update())
    if version is not None and current is not None and current != version:
        raise Conflict(f"matter {data['code']} changed meanwhile (version {current})",
                       code="matter_stale", current_version=current)
    _upsert(session, [{k: v for k, v in data.items() if k != "version"}])
    return get_matter(session, code=data["code"])


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    fields = [attr for _, attr in COLUMNS]
    for data in rows:
        values = {f: data.get(f) for f in fields}
        values["penalty_types"] = list(values["penalty_types"] or [])
        for flag in FLAGS:
            values[flag] = bool(values[flag])
        for text_field in ("violated_basis", "legal_basis"):
            values[text_field] = values[text_field] or ""
        matter_id = session.execute(
            insert(Matter).values(**values).on_conflict_do_update(
                index_elements=[Matter.code],
                set_={**{f: values[f] for f in fields if f != "code"},
                      "version": Matter.version + 1, "active": True})
            .returning(Matter.id)).scalar_one()
        if "bands" in data:
            session.execute(delete(MatterBand).where(MatterBand.matter_id == matter_id))
            for band in data["bands"] or ():
                session.add(MatterBand(matter_id=matter_id, level=band["level"],
                                       circumstances=band.get("circumstances") or "",
                                       fine_min_fen=band.get("fine_min_fen"),
                                       fine_max_fen=band.get("fine_max_fen")))
    session.flush()
    session.expire_all()


# --- xlsx --------------------------------------------------------------------------------

def export_xlsx(session: Session) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "执法事项"
    sheet.append([header for header, _ in COLUMNS])
    matters = list(session.scalars(select(Matter).where(Matter.active).order_by(Matter.code)))
    for matter in matters:
        sheet.append([_cell(getattr(matter, attr)) for _, attr in COLUMNS])
    bands_sheet = book.create_sheet("裁量基准")
    bands_sheet.append([header for header, _ in BAND_COLUMNS])
    bands = bands_of(session, [m.id for m in matters])
    for matter in matters:
        for band in sorted(bands.get(matter.id, ()), key=lambda b: BAND_LEVELS.index(b.level)):
            bands_sheet.append([matter.code, BAND_LABELS[band.level], band.circumstances,
                                band.fine_min_fen, band.fine_max_fen])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(PENALTY_LABELS.get(v, v) for v in value)
    return value


def import_xlsx(session: Session, raw: bytes) -> dict[str, int]:
    """A workbook as export_xlsx writes it (or a CSV of the matters sheet alone), read
    and checked by core/imports (header aliases, GB 18030 CSV, numbers Excel mangled):
    every row of both sheets is checked first; one bad row and nothing is written
    (422 `import_rows_invalid` listing row, column and reason)."""
    known = departments(session)
    rows, names = read_rows(raw, MATTER_COLUMNS, sheet="执法事项" if _is_xlsx(raw) else None)
    errors = check_rows(rows, MATTER_COLUMNS, names=names, unique=("code",),
                        validate=lambda values, number: _matter_problems(values, known))
    by_code = {row.values["code"]: row for row in rows if row.values.get("code")}
    band_rows = _band_rows(raw)
    if band_rows is not None:
        found, band_names = band_rows
        errors += check_rows(found, BAND_IMPORT_COLUMNS, names=band_names,
                             validate=lambda values, number: _band_problems(values, by_code))
        if not errors:
            for band in found:
                by_code[band.values["code"]].values.setdefault("bands", []).append(
                    {k: band.values[k] for k in ("level", "circumstances", "fine_min_fen",
                                                 "fine_max_fen")})
    if not errors:  # the bands against their matter's range, now that both are read
        for row in rows:
            for problem in check_matter(row.values, known):
                errors.append(RowError(row.number, None, problem, "matter_invalid"))
    if errors:
        raise ImportRefused(errors, total=len(rows))
    data = [_defaults(row.values) for row in rows]
    _upsert(session, data)
    return {"matters": len(data), "bands": sum(len(d.get("bands", ())) for d in data)}


def _band_rows(raw: bytes):
    if not _is_xlsx(raw):
        return None
    try:
        return read_rows(raw, BAND_IMPORT_COLUMNS, sheet="裁量基准")
    except InvalidInput as missing:
        if missing.code == "import_unreadable":
            return None  # no band sheet: the matters' bands stay as they are
        raise


def _matter_problems(values: dict, known: set[str]):
    if values["department_code"] not in known:
        yield Problem("department_code", f"未知的实施部门 {values['department_code']}",
                      "department_unknown")
    low, high = values.get("fine_min_fen"), values.get("fine_max_fen")
    if low is not None and high is not None and high < low:
        yield Problem("fine_max_fen", "罚款上限低于下限（fine_max_fen is below fine_min_fen）",
                      "fine_range_inverted")


def _band_problems(values: dict, by_code: dict):
    if values["code"] not in by_code:
        yield Problem("code", f"裁量基准所属事项 {values['code']} 不在事项表中",
                      "matter_unknown")


def _defaults(values: dict) -> dict:
    out = dict(values)
    out["penalty_types"] = out.get("penalty_types") or []
    for flag in FLAGS:
        out[flag] = bool(out.get(flag))
    return out


def _is_xlsx(raw: bytes) -> bool:
    return raw[:4] == b"PK\x03\x04"  # a zip: xlsx; anything else is read as CSV


def _fen(text: str) -> int:
    cleaned = str(text).replace(",", "").strip()
    if not cleaned.isdigit() or len(cleaned) > 13:
        raise ValueError(f"{text} 不是以分计的非负整数")
    return int(cleaned)


def _flag(text: str) -> bool:
    return str(text).strip() in ("是", "1", "true", "True", "Y", "y")


def _types(text: str) -> list[str]:
    names = [v.strip() for v in str(text).replace(",", "、").split("、") if v.strip()]
    types = [_FROM_LABEL.get(name, name) for name in names]
    unknown = [t for t in types if t not in PENALTY_TYPES]
    if unknown:
        raise ValueError(f"未知的处罚种类 {'、'.join(unknown)}")
    return types


def _level(text: str) -> str:
    level = _LEVEL_FROM_LABEL.get(str(text).strip(), str(text).strip())
    if level not in BAND_LEVELS:
        raise ValueError(f"裁量档次应为 从轻、一般 或 从重，不是 {text}")
    return level


def _limited(size: int):
    def parse(text: str) -> str:
        if len(text) > size:
            raise ValueError(f"超过 {size} 个字符")
        return text
    return parse


_FROM_LABEL = {label: key for key, label in PENALTY_LABELS.items()}
_LEVEL_FROM_LABEL = {label: key for key, label in BAND_LABELS.items()}
MATTER_COLUMNS = (
    ImportColumn("code", ("事项编码", "编码"), parse=_limited(40)),
    ImportColumn("name", ("事项名称", "名称"), parse=_limited(200)),
    ImportColumn("department_code", ("实施部门", "部门"), parse=_limited(32)),
    ImportColumn("violated_basis", ("违法依据",), required=False),
    ImportColumn("legal_basis", ("处罚依据",), required=False),
    ImportColumn("penalty_types", ("处罚种类",), required=False, parse=_types),
    ImportColumn("fine_min_fen", ("罚款下限（分）", "罚款下限"), required=False, parse=_fen),
    ImportColumn("fine_max_fen", ("罚款上限（分）", "罚款上限"), required=False, parse=_fen),
    *(ImportColumn(attr, (header,), required=False, parse=_flag)
      for header, attr in COLUMNS if attr in FLAGS),
)
BAND_IMPORT_COLUMNS = (
    ImportColumn("code", ("事项编码", "编码")),
    ImportColumn("level", ("裁量档次", "档次"), parse=_level),
    ImportColumn("circumstances", ("适用情形",), required=False),
    ImportColumn("fine_min_fen", ("罚款下限（分）", "罚款下限"), required=False, parse=_fen),
    ImportColumn("fine_max_fen", ("罚款上限（分）", "罚款上限"), required=False, parse=_fen),
)


def band_for(session: Session, matter: Matter, fine_fen: int) -> str | None:
    """Which band a fine falls in (for the decision's 裁量说明)."""
    for band in bands_of(session, [matter.id]).get(matter.id, ()):
        low, high = band.fine_min_fen or 0, band.fine_max_fen
        if fine_fen >= low and (high is None or fine_fen <= high):
            return band.level
    return None
