"""KPIs (日统计、周排名、月通报): 办件量, 按期办结率, 一次办成率 (no second visit), 跑动次数,
好评率, 差评整改率, 代办量 — per service point, department or item, over a period; JSON and
xlsx; the weekly ranking and the monthly bulletin as xlsx workbooks."""

import io
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.services import limits
from core.codes import subtree_range
from core.exports import Column, table_response

GROUPS = {
    "point": ("a.intake_unit_id", "u.name", "JOIN unit u ON u.id = a.intake_unit_id"),
    "department": ("a.department_code", "d.name",
                   "JOIN department d ON d.code = a.department_code"),
    "item": ("a.item_id", "i.name", ""),
}
GROUP_LABELS = {"point": "服务点", "department": "部门", "item": "事项"}
FINAL = "('done', 'returned', 'not_accepted', 'withdrawn', 'revoked')"

KPI_SQL = """
    WITH apps AS (
        SELECT a.* FROM svc_application a
        WHERE a.received_at >= :since AND a.received_at < :until
          AND a.owner_code >= :low AND a.owner_code < :high
    ), rated AS (
        SELECT r.application_id, r.level, r.id FROM svc_rating r
        WHERE r.appeal_state <> 'upheld'
          AND NOT EXISTS (SELECT 1 FROM svc_rating n WHERE n.rerates_id = r.id)
    )
    SELECT {key} AS key, {name} AS name,
           count(*) AS volume,
           count(*) FILTER (WHERE a.state = 'done') AS done,
           count(*) FILTER (WHERE a.state = 'done' AND a.on_time) AS on_time,
           count(*) FILTER (WHERE a.state = 'done' AND a.visits <= 1) AS one_visit,
           coalesce(sum(a.visits), 0) AS visits,
           count(*) FILTER (WHERE a.channel = 'proxy') AS proxy,
           (SELECT count(*) FROM svc_refusal f JOIN apps b ON b.id = f.application_id
            WHERE {inner_key} = {key}) AS refusals,
           (SELECT count(*) FROM rated r JOIN apps b ON b.id = r.application_id
            WHERE {inner_key} = {key}) AS ratings,
           (SELECT count(*) FROM rated r JOIN apps b ON b.id = r.application_id
            WHERE {inner_key} = {key} AND r.level >= :bad) AS good,
           (SELECT count(*) FROM svc_rectification x JOIN apps b ON b.id = x.application_id
            WHERE {inner_key} = {key}) AS rectifications,
           (SELECT count(*) FROM svc_rectification x JOIN apps b ON b.id = x.application_id
            WHERE {inner_key} = {key} AND x.state = 'closed') AS rectified
    FROM apps a JOIN svc_item i ON i.id = a.item_id {join}
    GROUP BY {key}, {name}
    ORDER BY count(*) DESC, {key}
    LIMIT :limit"""


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(session: Session, *, group: str, area_code: str, since: datetime,
            until: datetime, limit: int = 500) -> list[dict]:
    key, name, join = GROUPS[group]
    inner_key = key.replace("a.", "b.")
    sql = KPI_SQL.format(key=key, name=name, join=join, inner_key=inner_key)
    bad = int(limits.value(session, "rating.bad_below"))
    rows = session.execute(text(sql), {"since": since, "until": until,
                                       **subtree_range(area_code), "bad": bad, "limit": limit})
    return [{"key": str(r.key), "name": r.name, "volume": r.volume, "done": r.done,
             "on_time_rate": _ratio(r.on_time, r.done),
             "one_visit_rate": _ratio(r.one_visit, r.done),
             "visits_per_application": _ratio(r.visits, r.volume),
             "good_rate": _ratio(r.good, r.ratings), "ratings": r.ratings,
             "rectified_rate": _ratio(r.rectified, r.rectifications),
             "proxy": r.proxy, "refusals": r.refusals} for r in rows]


COLUMNS = (("name", "名称"), ("volume", "办件量"), ("done", "办结量"),
           ("on_time_rate", "按期办结率"), ("one_visit_rate", "一次办成率"),
           ("visits_per_application", "平均跑动次数"), ("good_rate", "好评率"),
           ("rectified_rate", "差评整改率"), ("proxy", "代办量"), ("refusals", "否定事项"))


def _sheet(book: Workbook, title: str, rows: list[dict], *, rank: bool = False) -> None:
    sheet = book.create_sheet(title[:31])
    header = (["排名"] if rank else []) + [label for _, label in COLUMNS]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, row in enumerate(rows, start=1):
        values = [row[key] for key, _ in COLUMNS]
        sheet.append(([position] if rank else []) + values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a name is text, never a formula
    for index, (key, _) in enumerate(COLUMNS, start=2 if rank else 1):
        if key.endswith("_rate"):
            for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cells[0].number_format = "0.00%"


def export(session: Session, *, group: str, area_code: str, since: datetime,
           until: datetime, format: str):
    """The figures as one table, xlsx or CSV (core/exports.py)."""
    rows = figures(session, group=group, area_code=area_code, since=since, until=until)
    columns = [Column(label, key, number_format="0.00%" if key.endswith("_rate") else None)
               for key, label in COLUMNS]
    return table_response(rows, columns, filename=f"便民服务指标-按{GROUP_LABELS[group]}",
                          format=format)


def ranking_score(row: dict) -> float:
    """The weekly ranking: 按期办结率, 一次办成率 and 好评率 weighed equally (a missing
    figure counts as zero)."""
    return sum((row[k] or 0.0) for k in ("on_time_rate", "one_visit_rate", "good_rate")) / 3


def weekly_ranking_xlsx(session: Session, *, area_code: str, week: date, tz) -> bytes:
    start = datetime.combine(week - timedelta(days=week.weekday()), datetime.min.time(), tz)
    rows = figures(session, group="point", area_code=area_code, since=start,
                   until=start + timedelta(days=7))
    rows.sort(key=lambda r: (-ranking_score(r), -r["volume"], r["name"]))
    book = Workbook()
    book.remove(book.active)
    _sheet(book, f"周排名 {start:%Y-%m-%d}", rows, rank=True)
    return _save(book)


def monthly_bulletin_xlsx(session: Session, *, area_code: str, month: date, tz) -> bytes:
    """月通报: the month by service point, department and item, and the overdue list."""
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    book = Workbook()
    book.remove(book.active)
    for group in GROUPS:
        _sheet(book, f"{month:%Y年%m月} 按{GROUP_LABELS[group]}",
               figures(session, group=group, area_code=area_code, since=start, until=end))
    sheet = book.create_sheet("超期办件")
    sheet.append(["办件编号", "事项", "受理时间", "承诺办结时间", "办结时间"])
    for row in session.execute(text("""
            SELECT a.number, i.name, a.received_at, a.due_at, a.finished_at
            FROM svc_application a JOIN svc_item i ON i.id = a.item_id
            WHERE a.received_at >= :since AND a.received_at < :until
              AND a.owner_code >= :low AND a.owner_code < :high
              AND ((a.finished_at IS NOT NULL AND NOT a.on_time)
                   OR (a.finished_at IS NULL AND a.due_at < now()
                       AND a.state NOT IN """ + FINAL + """))
            ORDER BY a.due_at LIMIT 5000"""),
            {"since": start, "until": end, **subtree_range(area_code)}):
        sheet.append([row.number, row.name, _naive(row.received_at, tz),
                      _naive(row.due_at, tz), _naive(row.finished_at, tz)])
    return _save(book)


def _naive(moment: datetime | None, tz) -> datetime | None:
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF (周排名、月通报): the same tables, CJK font of core/documents ---------------------

def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _pdf_cells(row: dict) -> list[str]:
    return [str(row["name"])[:24], str(row["volume"]), str(row["done"]),
            _percent(row["on_time_rate"]), _percent(row["one_visit_rate"]),
            "—" if row["visits_per_application"] is None
            else f"{row['visits_per_application']:.2f}",
            _percent(row["good_rate"]), _percent(row["rectified_rate"]), str(row["proxy"]),
            str(row["refusals"])]


def tables_pdf(title: str, sections: list[tuple[str, list[dict]]], *, rank: bool) -> bytes:
    """A landscape A4 report: a title, then per section its table of figures."""
    from fpdf import FPDF

    from core.documents import fonts

    headers = (["排名"] if rank else []) + [label for _, label in COLUMNS]
    rows = [(name, [([str(i)] if rank else []) + _pdf_cells(r)
                    for i, r in enumerate(items, start=1)]) for name, items in sections]
    text_all = title + "".join(headers) + "".join(
        name + "".join("".join(cells) for cells in table) for name, table in rows) + "—%0123456789."
    pdf = FPDF(orientation="L", format="A4", unit="mm")
    pdf.set_auto_page_break(True, margin=15)
    fonts.install(pdf, text_all)
    pdf.add_page()
    pdf.set_font(fonts.FAMILY, size=16)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    widths = ([12] if rank else []) + [60, 18, 18, 24, 24, 24, 20, 24, 18, 20]
    for name, table in rows:
        pdf.set_font(fonts.FAMILY, size=12)
        pdf.cell(0, 9, name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(fonts.FAMILY, size=9)
        for header, width in zip(headers, widths, strict=True):
            pdf.cell(width, 7, header, border=1, align="C")
        pdf.ln()
        for cells in table or [["—"] * len(headers)]:
            for cell, width in zip(cells, widths, strict=True):
                pdf.cell(width, 6, cell, border=1)
            pdf.ln()
    return bytes(pdf.output())


def weekly_ranking_pdf(session: Session, *, area_code: str, week: date, tz) -> bytes:
    start = datetime.combine(week - timedelta(days=week.weekday()), datetime.min.time(), tz)
    rows = figures(session, group="point", area_code=area_code, since=start,
                   until=start + timedelta(days=7))
    rows.sort(key=lambda r: (-ranking_score(r), -r["volume"], r["name"]))
    return tables_pdf(f"政务服务周排名（{start:%Y年%m月%d日}起）", [("服务点排名", rows)],
                      rank=True)


def monthly_bulletin_pdf(session: Session, *, area_code: str, month: date, tz) -> bytes:
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    sections = [(f"按{GROUP_LABELS[group]}", figures(session, group=group, area_code=area_code,
                                                   since=start, until=end, limit=100))
                for group in GROUPS]
    return tables_pdf(f"政务服务月通报（{month:%Y年%m月}）", sections, rank=False)
