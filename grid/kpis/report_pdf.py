"""The KPI report (report.py) laid out as a PDF: A4 across, like the printed page (/kpis
@media print), with the CJK font of the 文书 (core/documents/fonts.py, fpdf2): the
heading (subject, period, when made), the figures with how each is counted, the rates as
bars and the daily series as lines (drawn with the PDF's own lines and rectangles: sharp
at any zoom, no image library), and for an area the three rankings; page numbers on each
page. A pure function of the Report: no database.
"""

from fpdf import FPDF
from fpdf.fonts import FontFace

from core.documents import fonts
from core.settings import Settings
from grid.kpis.report import (
    COUNTS,
    FIGURE_LABELS,
    RATES,
    Report,
    basis_text,
    figure_text,
    period_text,
    subject_kind_text,
)

TITLE = "考核指标报表"
HOURS_NOTE = "平均处置时长按自然时间计：结案时刻减立案时刻，含夜间、周末和节假日（不是工作时长）。"
RANKING_NOTE = "名次按所列指标排名，结案率等越高越好，返工率和处置时长越低越好；无数值者不排名。"
MARGIN = 12  # mm
COLOURS = {"reported": (108, 117, 125), "filed": (29, 53, 87), "closed": (42, 157, 143)}
BAR = (29, 53, 87)
BAR_BAD = (193, 18, 31)  # the rework rate: higher is worse
GRID = (220, 224, 230)
# Text printed whatever the figures: part of what the font must have.
_FIXED = ("第页共生成时间北京指标数值计算口径比率每日上报立案结案名次名称排名按前列仅共行"
          "越高好低无不的件天至（）：；，。、·—%.-0123456789")


class _ReportPdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-10)
        with self.local_context(text_color=(110, 110, 110)):
            self.set_font(fonts.FAMILY, size=8)
            self.cell(0, 5, f"{self.footer_text}　第 {self.page_no()} 页 共 {{nb}} 页",
                      align="C")


def report_pdf(report: Report, *, settings: Settings | None = None) -> bytes:
    pdf = _ReportPdf(orientation="L", format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_creation_date(report.made_at)
    pdf.set_title(f"{TITLE} · {report.subject['name']} · {period_text(report.period)}")
    pdf.set_producer("gridgov")
    pdf.set_lang("zh-CN")
    made = f"生成时间：{report.made_at:%Y-%m-%d %H:%M}（北京时间）"
    pdf.footer_text = f"{TITLE} · {report.subject['name']} · {made}"
    fonts.install(pdf, "".join(_texts(report)) + pdf.footer_text, settings)
    pdf.add_page()
    _heading(pdf, report, made)
    _figures(pdf, report.figures)
    _rate_bars(pdf, report.figures)
    _daily_lines(pdf, report.days)
    for ranked in report.rankings:
        _ranking(pdf, ranked, report.sort)
    if report.rankings:
        _note(pdf, RANKING_NOTE)
    return bytes(pdf.output())


def _texts(report: Report):
    """Every text the PDF prints (so that the font chosen has each character)."""
    yield _FIXED + TITLE + HOURS_NOTE + RANKING_NOTE + "".join(FIGURE_LABELS.values())
    yield report.subject["name"] + subject_kind_text(report.subject)
    yield period_text(report.period)
    yield "".join(basis_text(key, report.figures) for key in (*COUNTS, *RATES))
    for ranked in report.rankings:
        yield ranked.heading + ranked.code_header
        yield "".join(f"{row['name']}{row['code'] or ''}" for _, row in ranked.rows)


def _heading(pdf: FPDF, report: Report, made: str) -> None:
    pdf.set_font(fonts.FAMILY, size=18)
    pdf.cell(0, 10, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.FAMILY, size=12)
    subject = f"{report.subject['name']} · {subject_kind_text(report.subject)}"
    pdf.multi_cell(0, 7, f"{subject} · {period_text(report.period)}", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.FAMILY, size=9)
    pdf.cell(0, 5, made, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _section(pdf: FPDF, text: str, room: float) -> None:
    """A section's heading, on a new page when the section's first `room` mm would not fit."""
    if pdf.get_y() + 8 + room > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(fonts.FAMILY, size=13)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, widths: tuple[float, ...], head: list[str], rows: list[list[str]],
           aligns: tuple[str, ...]) -> None:
    pdf.set_font(fonts.FAMILY, size=9)
    heading = FontFace(emphasis="", fill_color=(226, 233, 243))
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", line_height=5.5,
                   headings_style=heading, repeat_headings=1, padding=1, text_align=aligns,
                   wrapmode="CHAR") as table:  # Chinese breaks between any characters
        table.row(head)
        for cells in rows:
            table.row(cells)
    pdf.ln(3)


def _figures(pdf: FPDF, figures: dict) -> None:
    _section(pdf, "指标", room=30)
    rows = [[FIGURE_LABELS[key], figure_text(key, figures[key]), basis_text(key, figures)]
            for key in (*COUNTS, *RATES)]
    _table(pdf, (55, 30, 185), ["指标", "数值", "计算口径"], rows, ("LEFT", "RIGHT", "LEFT"))
    _note(pdf, HOURS_NOTE)


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font(fonts.FAMILY, size=8)
    pdf.multi_cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _rate_bars(pdf: FPDF, figures: dict) -> None:
    """The five rates as horizontal bars on 0–100 %."""
    row, label_w, bar_w = 7.0, 45.0, 170.0
    _section(pdf, "比率", room=row * len(RATES) + 8)
    left, top = pdf.l_margin + label_w, pdf.get_y() + 1
    pdf.set_font(fonts.FAMILY, size=8)
    with pdf.local_context(draw_color=GRID, line_width=0.2, text_color=(110, 110, 110)):
        for tick in (0, 25, 50, 75, 100):
            x = left + bar_w * tick / 100
            pdf.line(x, top, x, top + row * len(RATES))
            pdf.text(x - 3, top + row * len(RATES) + 4, f"{tick}%")
    pdf.set_font(fonts.FAMILY, size=9)
    for index, key in enumerate(RATES):
        y, value = top + index * row, figures[key]
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w - 2, row, FIGURE_LABELS[key], align="R")
        width = bar_w * (value or 0)
        if width:
            colour = BAR_BAD if key == "rework_rate" else BAR
            with pdf.local_context(fill_color=colour):
                pdf.rect(left, y + 1.2, width, row - 2.4, style="F")
        pdf.set_xy(left + width + 1, y)
        pdf.cell(20, row, figure_text(key, value))
    pdf.set_y(top + row * len(RATES) + 7)


def _daily_lines(pdf: FPDF, days: list[dict]) -> None:
    """Reported, filed and closed per day as three lines over the period's days."""
    height, width, axis_w = 55.0, 240.0, 12.0
    _section(pdf, "每日上报、立案、结案", room=height + 14)
    left, top = pdf.l_margin + axis_w, pdf.get_y() + 2
    peak = _nice_ceiling(max((day[key] for day in days for key in COLOURS), default=0))
    step = width / max(len(days) - 1, 1)

    def point(index: int, value: int) -> tuple[float, float]:
        return left + index * step, top + height - height * value / peak

    pdf.set_font(fonts.FAMILY, size=7)
    with pdf.local_context(draw_color=GRID, line_width=0.2, text_color=(110, 110, 110)):
        for share in (0, 0.5, 1):
            y = top + height - height * share
            pdf.line(left, y, left + width, y)
            pdf.text(pdf.l_margin, y + 1, f"{peak * share:g}")
        for index in _date_ticks(len(days)):
            pdf.text(left + index * step - 3, top + height + 4, f"{days[index]['date']:%m-%d}")
    for key, colour in COLOURS.items():
        points = [point(i, day[key]) for i, day in enumerate(days)]
        with pdf.local_context(draw_color=colour, fill_color=colour, line_width=0.5):
            if len(points) > 1:
                pdf.polyline(points)
            for x, y in points if len(points) <= 62 else ():  # a dot per day, if few
                pdf.circle(x, y, 0.6, style="F")
    _legend(pdf, left, top + height + 7)


def _legend(pdf: FPDF, x: float, y: float) -> None:
    pdf.set_font(fonts.FAMILY, size=8)
    for key, colour in COLOURS.items():
        with pdf.local_context(fill_color=colour):
            pdf.rect(x, y - 2.2, 4, 2.5, style="F")
        pdf.text(x + 5, y, FIGURE_LABELS[key])
        x += 25
    pdf.set_y(y + 4)


def _nice_ceiling(value: float) -> float:
    """The axis' top: 1, 2 or 5 × a power of ten, at least the value (1 for nothing)."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if value <= factor * magnitude:
                return factor * magnitude
        magnitude *= 10


def _date_ticks(count: int, most: int = 10) -> list[int]:
    if count <= 1:
        return [0] if count else []
    every = max(1, -(-(count - 1) // (most - 1)))
    ticks = list(range(0, count, every))
    return ticks if ticks[-1] == count - 1 else [*ticks, count - 1]


def _ranking(pdf: FPDF, ranked, sort: str) -> None:
    shown = len(ranked.rows)
    more = f"（共 {ranked.total} 行，仅列前 {shown} 行）" if ranked.total > shown else ""
    _section(pdf, f"{ranked.heading}排名（按{FIGURE_LABELS[sort]}）{more}", room=20)
    if not ranked.rows:
        pdf.set_font(fonts.FAMILY, size=9)
        pdf.cell(0, 6, "本期没有数据", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        return
    keys = (*COUNTS, *RATES)
    head = ["名次", ranked.heading, ranked.code_header, *(FIGURE_LABELS[k] for k in keys)]
    rows = [[str(rank) if rank else "—", str(row["name"]), str(row["code"] or "—"),
             *(figure_text(k, row["figures"][k]) for k in keys)] for rank, row in ranked.rows]
    widths = (12, 44, 32, *(20,) * len(keys))
    _table(pdf, widths, head, rows, ("CENTER", "LEFT", "LEFT", *("RIGHT",) * len(keys)))
