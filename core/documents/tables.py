"""A table as a PDF (a weekly ranking, a monthly bulletin, a list to print): A4, portrait
or landscape as the columns need, the CJK font of core/documents/fonts.py, the header
repeated on every page, page numbers. core/exports.py `table_response(format="pdf")`
calls it with the same columns as the xlsx and CSV.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.documents import fonts
from core.documents.render import SHANGHAI, _date_text
from core.errors import InvalidInput
from core.settings import Settings

MAX_ROWS = 5_000  # a longer table is read in a spreadsheet, not printed
PORTRAIT_CHARACTERS = 90  # display columns (a CJK character is 2) that fit across A4


def table_pdf(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
              subtitle: str | None = None, unit_name: str | None = None,
              dated: datetime | None = None, settings: Settings | None = None) -> bytes:
    """The rows (already shown as text: core/exports.py formats them) under their headers;
    422 export_too_large_for_pdf past MAX_ROWS rows."""
    from fpdf.fonts import FontFace

    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"a PDF table holds at most {MAX_ROWS:,} rows: export xlsx instead",
                           code="export_too_large_for_pdf", max_rows=MAX_ROWS)
    cells = [[_text(value) for value in row] for row in rows]
    widths = _widths(headers, cells)
    landscape = sum(widths) > PORTRAIT_CHARACTERS
    pdf = _TablePdf(orientation="L" if landscape else "P", format="A4")
    pdf.set_margins(12, 14, 12)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_creation_date(dated or datetime.now(SHANGHAI))
    pdf.set_title(title)
    footer = " ".join(part for part in (unit_name, _date_text(dated or datetime.now(SHANGHAI)))
                      if part)
    pdf.footer_text = footer
    everything = "".join([title, subtitle or "", footer, "第页共", *headers,
                          *(c for row in cells for c in row)])
    fonts.install(pdf, everything, settings)
    pdf.add_page()
    pdf.set_font(fonts.FAMILY, size=16)
    pdf.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        pdf.set_font(fonts.FAMILY, size=10)
        pdf.multi_cell(0, 6, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(fonts.FAMILY, size=9 if landscape else 10)
    heading = FontFace(emphasis="", fill_color=(226, 233, 243))
    with pdf.table(col_widths=tuple(widths), headings_style=heading, line_height=6,
                   text_align="LEFT", repeat_headings=1, padding=1,
                   wrapmode="CHAR") as table:  # Chinese breaks between any characters
        table.row([str(h) for h in headers])
        for row in cells:
            table.row(row)
    return bytes(pdf.output())


class _TablePdf:
    """FPDF with a footer (made lazily: fpdf is imported only when a PDF is made)."""

    def __new__(cls, **options):
        from fpdf import FPDF

        class TablePdf(FPDF):
            footer_text = ""

            def footer(self) -> None:
                self.set_y(-12)
                self.set_font(fonts.FAMILY, size=8)
                self.cell(0, 5, f"{self.footer_text}　第 {self.page_no()} 页 共 {{nb}} 页",
                          align="C")

        return TablePdf(**options)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value.tzinfo \
            else value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _display(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _widths(headers: Sequence[str], cells: list[list[str]]) -> list[int]:
    """Relative widths: each column's widest text among the header and the first rows,
    between 4 and 40 display columns."""
    sample = cells[:200]
    return [min(40, max(4, _display(str(header)),
                        *(_display(row[i]) for row in sample if i < len(row))))
            for i, header in enumerate(headers)]
