"""An entity roster's columns, its rows' refusals and the file read whole (imports.py):
the headers each column may have, the words for a type and for "yes", a row's error with
the check character a bad code should have, and the 422 that names every bad row."""

import re
from dataclasses import dataclass, field

from core.errors import InvalidInput
from core.imports import MAX_LISTED, ImportColumn, ImportRefused, read_columns
from market_supervision.register.enums import (
    ENTITY_TYPE_LABELS,
    INDUSTRY_PATTERN,
    EntityType,
)

MAX_BYTES = 200 * 1024 * 1024

# The roster's columns and the headers each may have (core/imports.py compares them after
# NFKC and case folding).
COLUMNS = (
    ImportColumn("uscc", ("统一社会信用代码", "信用代码", "USCC")),
    ImportColumn("name", ("名称", "企业名称", "主体名称")),
    ImportColumn("type", ("类型", "主体类型")),
    ImportColumn("legal_representative", ("法定代表人", "负责人", "经营者"), required=False),
    ImportColumn("address", ("地址", "住所", "经营场所")),
    ImportColumn("lon", ("经度", "longitude"), required=False),
    ImportColumn("lat", ("纬度", "latitude"), required=False),
    ImportColumn("industry", ("行业", "行业代码")),
    ImportColumn("licences", ("许可证",), required=False),
    ImportColumn("legacy", ("历史试点代码",), required=False),
)
# Which column a row's problem is about (by the problem's code).
COLUMN_OF = {"uscc_missing": "uscc", "uscc_invalid": "uscc", "uscc_duplicate": "uscc",
             "entity_type_unknown": "type", "name_invalid": "name",
             "address_invalid": "address", "industry_invalid": "industry",
             "location_missing": "lon", "location_invalid": "lon",
             "location_outside_scope": "lon", "entity_outside_scope": "uscc"}
TYPE_WORDS = {**{label: str(kind) for kind, label in ENTITY_TYPE_LABELS.items()},
              **{str(kind): str(kind) for kind in EntityType},
              "企业": EntityType.enterprise.value, "有限责任公司": EntityType.company.value,
              "股份有限公司": EntityType.company.value, "个体户": EntityType.individual.value,
              "合作社": EntityType.cooperative.value}
TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "试点"})
_INDUSTRY = re.compile(INDUSTRY_PATTERN)


@dataclass
class RowError:
    row: int  # the file's row number (the header is row 1)
    uscc: str | None
    reason: str
    code: str
    expected_check: str | None = None

    def as_dict(self, names: dict[str, str]) -> dict:
        """core/imports.py's error (row, column as the file names it, reason, code), with
        the row's code and, for a bad code, the check character it should have."""
        key = COLUMN_OF.get(self.code)
        return {"row": self.row, "column": names.get(key, key), "reason": self.reason,
                "code": self.code, "uscc": self.uscc, "expected_check": self.expected_check}


class ImportRejected(ImportRefused):
    """core/imports.py's refusal: 422 import_rows_invalid, nothing written."""

    def __init__(self, errors: list[RowError], *, total: int, names: dict[str, str]) -> None:
        InvalidInput.__init__(
            self, f"{len(errors)} 处错误（{len({e.row for e in errors})} 行），未导入任何数据"
            f"（共 {total} 行）",
            errors=[e.as_dict(names) for e in errors[:MAX_LISTED]], error_count=len(errors),
            rejected_rows=len({e.row for e in errors}), total_rows=total,
            truncated=len(errors) > MAX_LISTED, import_id=None)
        self.errors = errors


@dataclass
class CleanRow:
    row: int
    uscc: str
    name: str
    type: str
    legal_representative: str | None
    address: str
    lon: float
    lat: float
    industry: str
    licences: list[str]
    legacy: bool


@dataclass
class Checked:
    rows: list[CleanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Table:
    """A roster read whole: the file's row numbers and one list of texts per field."""

    numbers: list[int]
    columns: dict[str, list[str]]

    def raw(self, index: int) -> dict:
        return {name: values[index] for name, values in self.columns.items()}


def read_table(data: bytes) -> tuple[Table, dict[str, str]]:
    """The data rows of a CSV or xlsx file (core/imports.py's column reader: no dict per
    row), column by column, and {field: the header as the file wrote it}."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("文件过大（上限 200 MB）", code="file_too_large")
    read = read_columns(data, COLUMNS, empty="")
    return Table(read.numbers, read.columns), read.names
