"""An entity roster's rows checked (imports.py): the rules of one row (check_row, whose
verdict is final), the same verdicts column by column for a whole file (check_table), or
row by row for a small one (check_rows); duplicates of a code within the file."""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from core.progress import StageProgress
from market_supervision.register.codes import valid_codes
from market_supervision.register.entities import check_code, code_refusal
from market_supervision.register.import_rows import (
    _INDUSTRY,
    TRUE_WORDS,
    TYPE_WORDS,
    Checked,
    CleanRow,
    RowError,
    Table,
)


def check_row(number: int, raw: dict) -> CleanRow | RowError:
    """One row: the first thing wrong with it, or the row as it will be stored."""
    code = check_code(raw.get("uscc", ""))
    legacy = raw.get("legacy", "").strip().lower() in TRUE_WORDS
    if not code.uscc:
        return RowError(number, None, "缺少统一社会信用代码", "uscc_missing")
    if code.problem is not None and not (legacy and len(code.uscc) == 18):
        return RowError(number, code.uscc, code_refusal(code), "uscc_invalid", code.expected)
    kind = TYPE_WORDS.get(raw.get("type", "").strip())
    if kind is None:
        return RowError(number, code.uscc, f"未知的主体类型 {raw.get('type', '')!r}",
                        "entity_type_unknown")
    name, address = raw.get("name", "").strip(), raw.get("address", "").strip()
    if not name or len(name) > 200:
        return RowError(number, code.uscc, "名称为空或超过 200 字", "name_invalid")
    if not address or len(address) > 300:
        return RowError(number, code.uscc, "地址为空或超过 300 字", "address_invalid")
    industry = raw.get("industry", "").strip().upper()
    if not _INDUSTRY.fullmatch(industry):
        return RowError(number, code.uscc, f"行业代码 {industry!r} 不是 GB/T 4754 代码",
                        "industry_invalid")
    lon_text, lat_text = raw.get("lon", "").strip(), raw.get("lat", "").strip()
    if not lon_text or not lat_text:
        return RowError(number, code.uscc, "缺少位置（经度、纬度）", "location_missing")
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        return RowError(number, code.uscc, "经纬度不是数字", "location_invalid")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return RowError(number, code.uscc, "经纬度超出范围", "location_invalid")
    representative = raw.get("legal_representative", "").strip() or None
    licences = [part.strip() for part in raw.get("licences", "").replace("；", ";").split(";")
                if part.strip()]
    return CleanRow(number, code.uscc, name, kind, representative and representative[:50],
                    address, lon, lat, industry, licences, code.problem is not None)


@dataclass
class Clean:
    """The rows that passed, column by column (what the staging COPY writes)."""

    numbers: list[int]
    uscc: list[str]
    name: list[str]
    type: list[str]
    legal_representative: list[str | None]
    address: list[str]
    lon: list[float]
    lat: list[float]
    industry: list[str]
    licences: list[str]  # JSON arrays
    legacy: list[bool]

    def __len__(self) -> int:
        return len(self.numbers)


def check_table(table: Table, *, stage: StageProgress | None = None) -> tuple[Clean, list]:
    """Every row checked (check_row's rules) column by column: whole columns at once for
    the rows that are fine, check_row itself for each row that is not (its message is
    the reason). Then duplicates of a code in the file."""
    n = len(table.numbers)
    column = table.columns
    empty = [""] * n
    uscc = [v.strip().upper() for v in column["uscc"]]
    legacy = [v.strip().lower() in TRUE_WORDS for v in column.get("legacy", empty)]
    code_ok = valid_codes(uscc)
    kinds = [TYPE_WORDS.get(v.strip()) for v in column["type"]]
    names = [v.strip() for v in column["name"]]
    addresses = [v.strip() for v in column["address"]]
    industries = [v.strip().upper() for v in column["industry"]]
    industry_ok = _memo(lambda code: bool(_INDUSTRY.fullmatch(code)))
    lons, lats = _numbers(column.get("lon", empty)), _numbers(column.get("lat", empty))
    ok = [(code_ok[i] or (legacy[i] and len(uscc[i]) == 18)) and kinds[i] is not None
          and 0 < len(names[i]) <= 200 and 0 < len(addresses[i]) <= 300
          and industry_ok(industries[i]) and -180 <= lons[i] <= 180 and -90 <= lats[i] <= 90
          for i in range(n)]  # NaN (missing, not a number) fails the ranges
    if stage is not None:
        stage("validate", n // 2, n)
    errors: list[RowError] = []
    for i in (i for i in range(n) if not ok[i]):
        verdict = check_row(table.numbers[i], table.raw(i))
        if isinstance(verdict, RowError):
            errors.append(verdict)
        else:  # the row's own rule has the last word
            ok[i], lons[i], lats[i] = True, verdict.lon, verdict.lat
    first_row_of: dict[str, int] = {}
    kept: list[int] = []
    for i in range(n):
        if not ok[i]:
            continue
        first = first_row_of.setdefault(uscc[i], table.numbers[i])
        if first != table.numbers[i]:
            errors.append(RowError(table.numbers[i], uscc[i], f"与第 {first} 行代码重复",
                                   "uscc_duplicate"))
        else:
            kept.append(i)
    errors.sort(key=lambda error: error.row)
    representatives = column.get("legal_representative", empty)
    licences = column.get("licences", empty)
    clean = Clean(
        numbers=[table.numbers[i] for i in kept], uscc=[uscc[i] for i in kept],
        name=[names[i] for i in kept], type=[kinds[i] for i in kept],
        legal_representative=[representatives[i].strip()[:50] or None for i in kept],
        address=[addresses[i] for i in kept], lon=[lons[i] for i in kept],
        lat=[lats[i] for i in kept], industry=[industries[i] for i in kept],
        licences=[_licences(licences[i]) for i in kept],
        legacy=[legacy[i] and not code_ok[i] for i in kept])
    if stage is not None:
        stage("validate", n, n)
    return clean, errors


def _memo(check):
    seen: dict = {}

    def cached(value):
        if value not in seen:
            seen[value] = check(value)
        return seen[value]
    return cached


def _numbers(texts: list[str]) -> list[float]:
    """Floats; NaN for a missing or malformed value (check_row names which)."""
    try:
        return np.asarray(texts, dtype=np.float64).tolist()
    except ValueError:
        def one(text: str) -> float:
            try:
                return float(text)
            except ValueError:
                return math.nan
        return [one(text) for text in texts]


def _licences(text: str) -> str:
    if not text:
        return "[]"
    return json.dumps([part.strip() for part in text.replace("；", ";").split(";")
                       if part.strip()], ensure_ascii=False)


def check_rows(rows: Iterator[tuple[int, dict]]) -> Checked:
    """Row by row (small files, tests): the same verdicts as check_table."""
    checked = Checked()
    first_row_of: dict[str, int] = {}
    for number, raw in rows:
        result = check_row(number, raw)
        if isinstance(result, RowError):
            checked.errors.append(result)
        elif result.uscc in first_row_of:
            checked.errors.append(RowError(number, result.uscc,
                                           f"与第 {first_row_of[result.uscc]} 行代码重复",
                                           "uscc_duplicate"))
        else:
            first_row_of[result.uscc] = number
            checked.rows.append(result)
    return checked
