"""The inspections' KPIs per unit, area, item or inspector (GET /api/v1/market/kpis):

- **抽查完成率** completion: of the routine inspections opened in the period, the share
  recorded and confirmed by the inspectors (待审核 and after);
- **问题发现率** problems: of those done, the share that found a problem (a failed line, or
  不配合 / 无法联系; per item: a failed line of that item);
- **整改完成率** rectification: of those done that ordered a correction, the share a
  re-inspection found corrected;
- **按期公示率** on-time publication: of those published or overdue for publication, the
  share published within the limit (20 working days of the inspection).

One SQL statement, grouped by the key the group names, inside the caller's territory.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.exports import Column, table_response
from core.scope import Scope
from core.settings import Settings
from market_supervision.inspections.vocabulary import DONE

GROUPS = ("unit", "area", "item", "inspector")
GROUP_LABELS = {"unit": "按单位", "area": "按区域", "item": "按事项", "inspector": "按检查人员"}
COUNT_HEADERS = {"opened": "抽查数", "done": "已完成", "problems": "发现问题",
                 "ordered": "责令整改", "rectified": "整改完成", "publishable": "应公示",
                 "published_on_time": "按期公示"}
PROBLEM = "i.outcome NOT IN ('no_problem', 'no_activity')"
# What each group joins and keys on, and how it says "a problem was found".
KEYS = {
    "unit": ("", "i.owner_unit_id::text", PROBLEM),
    "area": ("", "left(i.area_code, :area_length)", PROBLEM),
    "item": ("JOIN (SELECT inspection_id, item_id, bool_or(result = 'fail') AS failed "
             "FROM market_inspection_check GROUP BY inspection_id, item_id) c "
             "ON c.inspection_id = i.id", "c.item_id::text", "c.failed"),
    "inspector": ("JOIN market_inspection_inspector p ON p.inspection_id = i.id",
                  "p.user_id::text", PROBLEM),
}
LABELS = {"completion_rate": "抽查完成率", "problem_rate": "问题发现率",
          "rectification_rate": "整改完成率", "on_time_publication_rate": "按期公示率"}

SQL = """
    SELECT {key} AS key,
           count(*) AS opened,
           count(*) FILTER (WHERE i.state = ANY(:done)) AS done,
           count(*) FILTER (WHERE i.state = ANY(:done) AND {problem}) AS problems,
           count(*) FILTER (WHERE i.state = ANY(:done) AND i.ordered_count > 0) AS ordered,
           count(*) FILTER (WHERE i.rectification = 'done') AS rectified,
           count(*) FILTER (WHERE i.published_at IS NOT NULL
                            OR (i.publish_due_at < now() AND i.state <> 'rejected'))
               AS publishable,
           count(*) FILTER (WHERE i.published_on_time) AS published_on_time
    FROM market_inspection i {join}
    WHERE {scope} AND i.kind = 'routine'
      AND i.created_at >= :since AND i.created_at < :until
    GROUP BY 1 ORDER BY 1"""


def kpis(session: Session, *, scope: Scope, group: str, since: str | None, until: str | None,
         settings: Settings) -> dict:
    start, end = _period(since, until, settings)
    join, key, problem = KEYS[group]
    params = {**scope.params, "done": list(DONE), "since": start, "until": end,
              "area_length": _child_length(scope)}
    rows = session.execute(text(SQL.format(key=key, problem=problem, join=join,
                                           scope=scope.code_condition("i.area_code"))),
                           params).mappings().all()
    names = _names(session, group, [row["key"] for row in rows if row["key"]])
    return {"group": group, "since": start, "until": end, "labels": LABELS,
            "rows": [_row(row, names) for row in rows]}


def _row(row, names: dict) -> dict:
    return {"key": row["key"], "name": names.get(row["key"], row["key"]),
            "counts": {k: row[k] for k in ("opened", "done", "problems", "ordered",
                                           "rectified", "publishable", "published_on_time")},
            "completion_rate": _rate(row["done"], row["opened"]),
            "problem_rate": _rate(row["problems"], row["done"]),
            "rectification_rate": _rate(row["rectified"], row["ordered"]),
            "on_time_publication_rate": _rate(row["published_on_time"], row["publishable"])}


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _period(since: str | None, until: str | None, settings: Settings
            ) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.timezone)
    today = datetime.now(zone).date()
    try:
        first = date.fromisoformat(since) if since else date(today.year, 1, 1)
        last = date.fromisoformat(until) if until else date(today.year + 1, 1, 1)
    except ValueError:
        raise InvalidInput("since and until are dates: YYYY-MM-DD",
                           code="period_invalid") from None
    if not first < last or (last - first).days > 366 * 3:
        raise InvalidInput("the period is since < until, at most three years",
                           code="period_invalid")
    return datetime.combine(first, time(), zone), datetime.combine(last, time(), zone)


def _child_length(scope: Scope) -> int:
    """Areas one level below the caller's widest: a city's counties, a county's townships."""
    widest = scope.shortest_prefix
    return next((n for n in (4, 6, 9, 12, 15) if n > widest), 15)


def _names(session: Session, group: str, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    sql = {"unit": "SELECT id::text, name FROM unit WHERE id::text = ANY(:k)",
           "area": "SELECT code, name FROM area WHERE code = ANY(:k4)",
           "item": "SELECT id::text, code || ' ' || name FROM market_item WHERE id::text = ANY(:k)",
           "inspector": "SELECT DISTINCT ON (user_id) user_id::text, name "
                        "FROM market_inspection_inspector WHERE user_id::text = ANY(:k)"}[group]
    # An area key of a city is its code's head (4 digits): the city's code adds 00.
    padded = {key + "00" if group == "area" and len(key) == 4 else key: key for key in keys}
    rows = session.execute(text(sql), {"k": keys, "k4": list(padded)}).all()
    return {padded.get(code, code): name for code, name in rows}


def export(table: dict, *, format: str):
    """The table as an xlsx or CSV download (core/exports.py), rates as percentages."""
    columns = (Column("分组", "key"), Column("名称", "name"),
               *(Column(header, _count(name)) for name, header in COUNT_HEADERS.items()),
               *(Column(label, name, number_format="0.0%") for name, label in LABELS.items()))
    return table_response(table["rows"], columns, format=format, sheet_title="KPIs",
                          filename=f"市场检查指标-{GROUP_LABELS[table['group']]}")


def _count(name: str):
    return lambda row: row["counts"][name]
