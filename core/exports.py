"""One way to export any table as xlsx, CSV or PDF, for every platform's lists and KPIs.

    COLUMNS = (Column("统一社会信用代码", "uscc"),
               Column("罚款（元）", "fine_fen", yuan),
               Column("立案日期", lambda case: case.opened_at, date_text))
    return table_response(rows, COLUMNS, filename="执法案件.xlsx", format=format)

A column has a Chinese header and a key (a dict key, an attribute name, or a function of
the row) and an optional formatter of the value. xlsx is written by openpyxl in write-only
mode (rows streamed to a temporary file, not held as cells: a list of 100,000 rows takes
a few MB), with a bold header row, the first row frozen and column widths from the header
and the first rows; CSV is UTF-8 with a byte-order mark, which Excel needs to read
Chinese; PDF (a bulletin or a ranking to print, at most 5,000 rows) is A4 with the CJK
font of the 文书 (core/documents/tables.py), the header repeated on each page. A cell
whose text starts like a formula (=, +, -, @) is written as text, never
as a formula (CSV injection, OWASP). The file name is sent as RFC 6266 / RFC 5987
`filename*=UTF-8''…`, with an ASCII fallback.
"""

import csv
import io
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi.responses import StreamingResponse
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.errors import InvalidInput

FORMATS = ("xlsx", "csv", "pdf")
ExportFormat = Literal["xlsx", "csv", "pdf"]
# What a list of any length exports as: streamed, row by row. A PDF is laid out whole in
# memory (a report, a bulletin), so a list route offers these only.
LIST_FORMATS = ("xlsx", "csv")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
SHANGHAI = ZoneInfo("Asia/Shanghai")
WIDTH_SAMPLE = 200  # rows read ahead to size the columns
MIN_WIDTH, MAX_WIDTH = 6, 60
CHUNK = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A column of an export: its header (Chinese), how to read the value from a row (a
    dict key, an attribute name, or a function of the row), and how to show it."""

    header: str
    key: str | Callable[[Any], Any]
    format: Callable[[Any], Any] | None = None
    width: float | None = None  # in characters; None: from the header and first rows
    number_format: str | None = None  # xlsx only, e.g. "0.00" (yuan) or "yyyy-mm-dd"

    def value(self, row: Any) -> Any:
        if callable(self.key):
            value = self.key(row)
        elif isinstance(row, dict):
            value = row.get(self.key)
        else:
            value = getattr(row, self.key, None)
        return self.format(value) if self.format is not None and value is not None else value


# --- formatters ----------------------------------------------------------------------------

def yuan(fen: int) -> Decimal:
    """Money stored in fen, shown in yuan (a number with two decimals, not a float)."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def date_text(value: date | datetime) -> str:
    """YYYY-MM-DD; a moment as its day in Asia/Shanghai."""
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI) if value.tzinfo else value
        return value.date().isoformat()
    return value.isoformat()


def moment_text(value: datetime) -> str:
    """YYYY-MM-DD HH:MM in Asia/Shanghai."""
    return (value.astimezone(SHANGHAI) if value.tzinfo else value).strftime("%Y-%m-%d %H:%M")


def labelled(labels: dict) -> Callable[[Any], Any]:
    """A code shown by its label (a state's 中文名); an unknown code as it is."""
    return lambda value: labels.get(value, value)


def yes_no(value: bool) -> str:
    return "是" if value else "否"


# --- the response --------------------------------------------------------------------------

def check_format(format: str) -> str:
    if format not in FORMATS:
        raise InvalidInput(f"an export is xlsx or csv, not {format!r}",
                           code="export_format_unknown", allowed=list(FORMATS))
    return format


def table_response(rows: Iterable[Any], columns: Sequence[Column], *, filename: str,
                   format: str = "xlsx", sheet_title: str | None = None,
                   subtitle: str | None = None, unit_name: str | None = None
                   ) -> StreamingResponse:
    """The rows as an xlsx, CSV or PDF download (422 export_format_unknown otherwise; a
    PDF of more than 5,000 rows: 422 export_too_large_for_pdf). `sheet_title`: the xlsx
    sheet's name and the PDF's title (default: the file name); `subtitle`, `unit_name`:
    the PDF's line under the title and its footer.
    `filename` without its extension or with the right one; the rows may be a generator
    (a server-side cursor), read once. The xlsx is complete before the first byte is sent,
    so a failure mid-way is an error answer, not a truncated file."""
    check_format(format)
    stem = filename[: -len(format) - 1] if filename.lower().endswith(f".{format}") else filename
    name = f"{stem}.{format}"
    if format == "csv":
        body: Iterator[bytes] = _chunks(csv_bytes(rows, columns))
    elif format == "pdf":
        body = iter((pdf_bytes(rows, columns, title=sheet_title or stem, subtitle=subtitle,
                               unit_name=unit_name),))
    else:
        body = _file_chunks(write_xlsx(rows, columns, sheet_title=sheet_title or stem))
    return StreamingResponse(body, media_type=MEDIA_TYPES[format],
                             headers={"Content-Disposition": content_disposition(name),
                                      "Cache-Control": "private, no-store"})


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266 with RFC 5987's UTF-8 form, and an ASCII fallback for old clients."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_"
                       for c in filename)
    if fallback != filename:  # a name that does not survive in ASCII: a neutral one
        fallback = f"export.{extension}" if extension.isascii() and extension else "export"
    return (f"{disposition}; filename=\"{fallback}\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}")


# --- CSV -------------------------------------------------------------------------------------

def csv_bytes(rows: Iterable[Any], columns: Sequence[Column]) -> Iterator[bytes]:
    """The CSV, UTF-8 with a BOM, a line at a time (RFC 4180: CRLF)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_cell(c.value(row)) for c in columns])
        yield buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text by Excel, never evaluated
    return value


# --- PDF (a bulletin, a ranking to print) ---------------------------------------------------

def pdf_bytes(rows: Iterable[Any], columns: Sequence[Column], *, title: str,
              subtitle: str | None = None, unit_name: str | None = None) -> bytes:
    """The table as a PDF (core/documents/tables.py), cells shown as in the CSV."""
    from core.documents.tables import MAX_ROWS, table_pdf

    shown = []
    for row in rows:
        if len(shown) == MAX_ROWS:  # one more than fits: refused by table_pdf
            shown.append(())
            break
        shown.append([_pdf_cell(column.value(row)) for column in columns])
    return table_pdf(title, [c.header for c in columns], shown, subtitle=subtitle,
                     unit_name=unit_name)


def _pdf_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return _csv_cell(value).lstrip("'") if isinstance(value, str) else _csv_cell(value)


def _chunks(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Lines gathered into chunks of ~64 KB (one write per line is slow to send)."""
    pending, size = [], 0
    for line in lines:
        pending.append(line)
        size += len(line)
        if size >= CHUNK:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


# --- xlsx ------------------------------------------------------------------------------------

def write_xlsx(rows: Iterable[Any], columns: Sequence[Column], *,
               sheet_title: str = "Sheet1", target=None):
    """Write the xlsx to `target` (a binary file; default a temporary file) and return it,
    positioned at its start."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    if target is None:  # closed by whoever reads it (table_response: once sent)
        target = tempfile.SpooledTemporaryFile(8 * 1024 * 1024)  # noqa: SIM115
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    rows = iter(rows)
    head = list(islice(rows, WIDTH_SAMPLE))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = (
            column.width or _width(column, head))
    sheet.freeze_panes = "A2"
    bold, centred = Font(bold=True), Alignment(horizontal="center", vertical="center")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.alignment = bold, centred
        header.append(cell)
    sheet.append(header)
    for row in chain(head, rows):
        sheet.append([_xlsx_cell(sheet, column, column.value(row), WriteOnlyCell)
                      for column in columns])
    workbook.save(target)
    target.seek(0)
    return target


def _xlsx_cell(sheet, column: Column, value: Any, cell_type) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(SHANGHAI).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, bool):
        value = yes_no(value)
    if isinstance(value, str):
        # Control characters an xlsx cannot hold (openpyxl would refuse the whole file).
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("="):
            return value  # openpyxl writes any other text as text
        cell = cell_type(sheet, value=value)
        cell.data_type = "s"  # text stays text: never a formula
        return cell
    if column.number_format or isinstance(value, (date, datetime)):
        cell = cell_type(sheet, value=value)
        cell.number_format = column.number_format or (
            "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd")
        return cell
    return value


def _sheet_title(title: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in title).strip("'")
    return cleaned[:31] or "Sheet1"


def _display_width(value: Any) -> int:
    text = value if isinstance(value, str) else _csv_cell(value)
    text = str(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _width(column: Column, head: list[Any]) -> float:
    widest = max([_display_width(column.header)]
                 + [_display_width(column.value(row)) for row in head])
    return float(min(MAX_WIDTH, max(MIN_WIDTH, widest + 2)))


def _file_chunks(handle) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()
