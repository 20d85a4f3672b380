"""The KPI report as a file to send up (issue 12 §5: 打印报表 as a PDF, A4, Chinese): what
the KPI page (/kpis) shows of an area, a handling unit or a grid worker over a period —
the figures with how each is counted, the rates and the daily series as charts, and for
an area the rankings of its child areas, handling units and grid workers — gathered here
from the same services as the KPI API, inside the caller's territory, and laid out by
report_pdf.py.

The rankings follow the page's rule (api/static/kpis-tables.js): competition ranks
(1, 2, 2, 4) on one figure, the better first (higher, except 返工率 and 平均处置时长); a
row without a value (a rate with no denominator) has no rank and comes last.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.scope import Scope
from grid.kpis import ranking, service

FIGURE_LABELS = {
    "reported": "上报数", "filed": "立案数", "closed": "结案数",
    "mean_handling_hours": "平均处置时长（自然小时）",
    "close_rate": "结案率", "on_time_close_rate": "按期结案率", "rework_rate": "返工率",
    "valid_report_rate": "有效上报率", "on_time_verification_rate": "按时核查率",
}
COUNTS = ("reported", "filed", "closed", "mean_handling_hours")
RATES = ("close_rate", "on_time_close_rate", "rework_rate", "valid_report_rate",
         "on_time_verification_rate")
LOWER_BETTER = frozenset({"rework_rate", "mean_handling_hours"})
LEVEL_LABELS = {"city": "市", "county": "区县", "township": "乡镇（街道）",
                "village": "村（社区）", "grid": "网格"}
# The rankings of an area: (key, heading, the code column's header).
RANKINGS = (("children", "下级区域", "编号"), ("units", "处置单位", "单位编码"),
            ("workers", "网格员", "工号"))
# A ranking longer than this prints its best rows (the xlsx export has them all).
MAX_RANKED = 300


@dataclass(frozen=True)
class Ranking:
    key: str
    heading: str
    code_header: str
    rows: list[tuple[int | None, dict]]  # (rank, {name, code, figures}), the better first
    total: int  # rows before MAX_RANKED


@dataclass(frozen=True)
class Report:
    subject: dict  # service.Subject.out()
    period: dict  # service.Period.out()
    figures: dict  # service.figures_of
    days: list[dict]  # {date, reported, filed, closed}
    rankings: list[Ranking]
    sort: str  # the figure ranked on
    made_at: datetime


def gather(session: Session, *, subject: service.Subject, period: service.Period,
           scope: Scope, sort: str, now: datetime) -> Report:
    """Everything the report prints: the KPI API's answers for the subject and period."""
    is_area = subject.kind == "area"
    summary = (service.children_kpis if is_area else service.kpis)(
        session, subject=subject, period=period, scope=scope)
    series = service.daily_series(session, subject=subject, period=period, scope=scope)
    rankings = []
    if is_area:
        rows = {"children": summary["children"]}
        for key, by in (("units", "unit"), ("workers", "worker")):
            rows[key] = ranking.ranking(session, subject=subject, period=period, scope=scope,
                                        by=by)["rows"]
        rankings = [_ranking(key, heading, code_header, rows[key], sort)
                    for key, heading, code_header in RANKINGS]
    return Report(subject=summary["subject"], period=summary["period"],
                  figures=summary["figures"], days=series["days"], rankings=rankings,
                  sort=sort, made_at=now.astimezone(period.tz))


def _ranking(key: str, heading: str, code_header: str, rows: list[dict],
             figure: str) -> Ranking:
    ranked = ranked_rows(rows, figure)
    return Ranking(key, heading, code_header, ranked[:MAX_RANKED], len(ranked))


def ranked_rows(rows: list[dict], figure: str) -> list[tuple[int | None, dict]]:
    """(competition rank, row) on `figure`, the better first; rows without it last."""
    valued = [row for row in rows if row["figures"][figure] is not None]
    sign = 1 if figure in LOWER_BETTER else -1
    valued.sort(key=lambda row: (sign * row["figures"][figure], str(row["code"])))
    ranked: list[tuple[int | None, dict]] = []
    for index, row in enumerate(valued):
        tied = index and valued[index - 1]["figures"][figure] == row["figures"][figure]
        ranked.append((ranked[-1][0] if tied else index + 1, row))
    rest = sorted((row for row in rows if row["figures"][figure] is None),
                  key=lambda row: str(row["code"]))
    return ranked + [(None, row) for row in rest]


# --- words and figures as text -------------------------------------------------------------

def figure_text(key: str, value) -> str:
    if value is None:
        return "—"
    if key in RATES:
        return f"{value * 100:.1f}%"
    if key == "mean_handling_hours":
        return f"{value:.1f}"
    return str(value)


def basis_text(key: str, figures: dict) -> str:
    """How a figure is counted, with its numerator and denominator (grid/kpis/router.py)."""
    counts = figures["counts"]
    return {
        "reported": "期间内上报的事件",
        "filed": "期间内立案的事件",
        "closed": "期间内结案的事件",
        "mean_handling_hours": "结案时刻减立案时刻的平均值，按自然时间计（含夜间、周末和节假日）",
        "close_rate": f"期间内立案 {figures['filed']} 件，至今已结案 {counts['filed_closed']} 件",
        "on_time_close_rate": f"期间内结案 {figures['closed']} 件，从未超期 "
                              f"{counts['closed_on_time']} 件",
        "rework_rate": f"期间内处置 {counts['handled']} 件，返工至少一次 {counts['reworked']} 件",
        "valid_report_rate": f"期间内上报 {figures['reported']} 件，已立案 "
                             f"{counts['valid_reports']} 件",
        "on_time_verification_rate": f"期间内核查 {counts['verified']} 件，时限内核查 "
                                     f"{counts['verified_on_time']} 件",
    }[key]


def subject_kind_text(subject: dict) -> str:
    if subject["kind"] == "area":
        return LEVEL_LABELS.get(subject["level"], subject["level"] or "")
    if subject["kind"] == "unit":
        return "处置单位"
    return f"网格员 {subject['staff_code'] or ''}".strip()


def period_text(period: dict) -> str:
    """2026-11-07 至 2026-12-06（30 天）: the last day shown, not the excluded end."""
    since, until = period["since"], period["until"]
    last = until - timedelta(days=1) if until.time() == datetime.min.time() else until
    days = period["days"]
    days_text = f"{days:.0f}" if days == int(days) else f"{days:.1f}"
    return f"{since:%Y-%m-%d} 至 {last:%Y-%m-%d}（{days_text} 天）"


def filename(report: Report) -> str:
    since, until = report.period["since"], report.period["until"]
    return f"考核指标报表-{report.subject['name']}-{since:%Y%m%d}-{until:%Y%m%d}.pdf"
