"""Checking an import's rows (core/imports.py): every problem of every row, before
anything is written: the columns' `parse`, required cells, the caller's `validate`,
`unique` keys within the file."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from core.import_reading import _Mangled
from core.import_types import ImportColumn, ParsedRow, Problem, RowError

PROGRESS_EVERY = 1_000  # rows between progress reports


Validate = Callable[[dict[str, Any], int], Iterable[Problem] | None]


def check_rows(rows: Sequence[ParsedRow], columns: Sequence[ImportColumn], *,
               names: dict[str, str], validate: Validate | None = None,
               unique: Sequence[str] = (), report: Callable[[int], None] | None = None
               ) -> list[RowError]:
    """Every problem of every row (module docstring); each row's values parsed in place."""
    errors: list[RowError] = []
    seen: dict[str, dict[Any, int]] = {key: {} for key in unique}
    by_key = {c.key: c for c in columns}
    for done, row in enumerate(rows, start=1):
        cell_errors = _parse_cells(row, columns, names)
        errors.extend(cell_errors)
        if not cell_errors and validate is not None:
            for problem in validate(row.values, row.number) or ():
                column = by_key.get(problem.column) if problem.column else None
                errors.append(RowError(row.number, _name(problem.column, column, names),
                                       problem.reason, problem.code))
        for key in unique:
            value = row.values.get(key)
            if value is None:
                continue
            first = seen[key].setdefault(value, row.number)
            if first != row.number:
                errors.append(RowError(row.number, _name(key, by_key.get(key), names),
                                       f"与第 {first} 行重复", "duplicate_in_file"))
        if report is not None and done % PROGRESS_EVERY == 0:
            report(done)
    return errors


def _name(key: str | None, column: ImportColumn | None, names: dict[str, str]) -> str | None:
    if key is None:
        return None
    return names.get(key) or (column.label if column else key)


def _parse_cells(row: ParsedRow, columns: Sequence[ImportColumn], names: dict[str, str]
                 ) -> list[RowError]:
    errors = []
    for column in columns:
        value = row.values.get(column.key)
        name = _name(column.key, column, names)
        if isinstance(value, _Mangled):
            errors.append(RowError(row.number, name, "数字过长，已被 Excel 改写（精度丢失）；"
                                   "请将该列设为文本格式后重新填写", "number_mangled_by_excel"))
            continue
        if value is None:
            if column.required:
                errors.append(RowError(row.number, name, "必填项为空", "required"))
            continue
        if column.parse is not None:
            try:
                row.values[column.key] = column.parse(value)
            except (ValueError, TypeError, ArithmeticError) as exc:
                errors.append(RowError(row.number, name, str(exc) or "格式不正确",
                                       "bad_value"))
    return errors
