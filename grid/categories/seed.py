"""The default category tree, as data (`default_tree.csv` beside this file), and
`seed_categories` that loads what is missing.

Three families, told apart by the first letter of the code so their numbers never clash:

- ``B`` 部件 — GB/T 30428.2-2013 (数字化城市管理信息系统 第2部分: 管理部件和事件, which
  superseded CJ/T 214-2007) component classes: 01 公用设施, 02 道路交通, 03 市容环境,
  04 园林绿化, 05 房屋土地, 06 其他设施. An incident on a component is "this component
  is damaged, missing, dirty or out of place".
- ``S`` 事件 — the standard's event classes: 01 市容环境, 02 宣传广告, 03 施工管理,
  04 突发事件, 05 街面秩序, 06 市场监管.
- ``Z`` 综治 — the grid-governance classes of the 综治 platform (矛盾纠纷, 安全隐患, 治安,
  消防, 环境, 特殊人群, 食品药品安全), which the urban-management standard does not cover.

大类 numbers and names are the standard's. The 小类 are a representative selection with
the standard's names, numbered in the standard's order where it is well known (the manhole
covers 0101–0113, the events of classes 01–05) and continuing from there otherwise; a
city loads its own 部件事件手册 through the API (local classes take another letter).

The file has one row per category, each 大类 before its 小类: a 大类 row has a 3-character
code and its `standard` (the source above: `GB/T 30428.2 部件`, `GB/T 30428.2 事件` or
`综治`); a 小类 row has its 大类's code and number, the conditions to file and to close it,
and its normal (一般) limit for each step in working hours (h) or working days (d) (see
core/workflow/durations.py): usually 立案 and 派遣 within 2 working hours, 核查 within half
a working day. `_limits` derives the urgent (紧急) and critical (特急) limits from these, so
each 小类 names one number per step.
"""

import csv
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from grid.incidents.enums import Step, Urgency

DATA = Path(__file__).with_name("default_tree.csv")

# The normal handling limit → (urgent, critical).
_FASTER = {
    "1h": ("1h", "1h"), "2h": ("1h", "1h"), "3h": ("2h", "1h"), "4h": ("2h", "1h"),
    "5h": ("3h", "1h"), "8h": ("4h", "2h"), "1d": ("4h", "2h"), "2d": ("1d", "4h"),
    "3d": ("2d", "1d"), "5d": ("3d", "1d"), "7d": ("3d", "2d"), "10d": ("5d", "2d"),
    "15d": ("10d", "5d"), "20d": ("10d", "5d"), "30d": ("15d", "7d"),
}


def _limits(*, filing: str, dispatch: str, handling: str,
            verification: str) -> dict[str, dict[str, str]]:
    """{urgency: {step: limit}} from the normal limits: 立案 and 派遣 faster when urgent
    (1 working hour when critical), 处理 and 核查 after `_FASTER`."""
    urgent, critical = _FASTER[handling]
    verify_urgent, verify_critical = _FASTER[verification]
    quick = {"2h": "1h", "4h": "2h", "1d": "4h", "1h": "1h"}
    return {
        str(Urgency.normal): {str(Step.filing): filing, str(Step.dispatch): dispatch,
                              str(Step.handling): handling,
                              str(Step.verification): verification},
        str(Urgency.urgent): {str(Step.filing): quick[filing],
                              str(Step.dispatch): quick[dispatch],
                              str(Step.handling): urgent,
                              str(Step.verification): verify_urgent},
        str(Urgency.critical): {str(Step.filing): "1h", str(Step.dispatch): "1h",
                                str(Step.handling): critical,
                                str(Step.verification): verify_critical},
    }


def _minor(row: dict[str, str], major: str) -> dict[str, Any]:
    """A 小类 row of the file as the tree holds it (its number within its 大类)."""
    if not row["code"].startswith(major):
        raise ValueError(f"{DATA.name}: 小类 {row['code']} is not under 大类 {major}")
    return {"number": row["code"][len(major):], "name": row["name"],
            "filing_condition": row["filing_condition"],
            "closing_condition": row["closing_condition"],
            "time_limits": _limits(filing=row["filing"], dispatch=row["dispatch"],
                                   handling=row["handling"],
                                   verification=row["verification"])}


def _read_tree(path: Path) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    """The file as (code, name, standard, minors) per 大类, in the file's order."""
    tree: list[tuple[str, str, str, list[dict[str, Any]]]] = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if len(row["code"]) == 3:
                tree.append((row["code"], row["name"], row["standard"], []))
            elif not tree:
                raise ValueError(f"{path.name}: 小类 {row['code']} before any 大类")
            else:
                tree[-1][3].append(_minor(row, tree[-1][0]))
    return tree


# (code, name, standard, minors); a minor's code is its major's code and its number.
DEFAULT_TREE: list[tuple[str, str, str, list[dict[str, Any]]]] = _read_tree(DATA)


def default_categories() -> list[dict[str, Any]]:
    """The default tree flattened, majors before their minors: one dict per category."""
    rows: list[dict[str, Any]] = []
    for major_sort, (code, name, standard, minors) in enumerate(DEFAULT_TREE, start=1):
        rows.append({"code": code, "name": name, "level": "major", "parent_code": None,
                     "standard": standard, "filing_condition": "",
                     "closing_condition": "", "time_limits": None, "sort": major_sort})
        for minor_sort, minor in enumerate(minors, start=1):
            rows.append({"code": code + minor["number"], "name": minor["name"],
                         "level": "minor", "parent_code": code, "standard": standard,
                         "filing_condition": minor["filing_condition"],
                         "closing_condition": minor["closing_condition"],
                         "time_limits": minor["time_limits"], "sort": minor_sort})
    return rows


# The table as migration 0006 created it, so this seed keeps working when later
# migrations add columns to the mapped model.
_category = sa.table(
    "category",
    sa.column("id", sa.BigInteger), sa.column("code", sa.String),
    sa.column("name", sa.String), sa.column("parent_id", sa.BigInteger),
    sa.column("level", sa.String), sa.column("standard", sa.String),
    sa.column("filing_condition", sa.Text), sa.column("closing_condition", sa.Text),
    sa.column("time_limits", JSONB(none_as_null=True)), sa.column("sort", sa.Integer),
)


def seed_categories(bind: Any) -> int:
    """Insert the default categories whose codes are missing; returns how many.

    `bind` is a Session or a Connection (migration 0006 passes `op.get_bind()`).
    Idempotent: existing categories, edited or not, are left as they are.
    """
    rows = default_categories()
    existing = dict(bind.execute(sa.select(_category.c.code, _category.c.id)).all())
    inserted = 0
    for level in ("major", "minor"):
        missing = [row for row in rows if row["level"] == level and row["code"] not in existing]
        if not missing:
            continue
        values = [{key: value for key, value in row.items() if key != "parent_code"}
                  | {"parent_id": existing.get(row["parent_code"])} for row in missing]
        bind.execute(sa.insert(_category), values)
        inserted += len(values)
        existing = dict(bind.execute(sa.select(_category.c.code, _category.c.id)).all())
    return inserted
