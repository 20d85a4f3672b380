"""响应率, 解决率, 满意率 of 12345 work orders (北京市接诉即办工作条例第三十二条: the core of the
assessment), per handling unit and in all, for orders dispatched within [start, end]
(days in Asia/Shanghai):

- 响应率 = orders signed (签收) within the response limit (rule `response`) / orders dispatched
- 解决率 = orders called back as resolved / orders called back
- 满意率 = orders called back 满意 or 基本满意 / orders called back
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.exports import Column, table_response
from core.scope import Scope
from core.security import Principal

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366

_RATES_SQL = """
    SELECT w.handler_unit_id AS unit_id, u.name AS unit_name,
           count(*) AS dispatched,
           count(*) FILTER (WHERE w.signed_on_time) AS responded,
           count(*) FILTER (WHERE w.satisfaction IS NOT NULL) AS called_back,
           count(*) FILTER (WHERE w.resolved) AS resolved,
           count(*) FILTER (WHERE w.satisfaction IN ('satisfied', 'basically_satisfied'))
               AS satisfied
    FROM work_order w LEFT JOIN unit u ON u.id = w.handler_unit_id
    WHERE w.dispatched_at >= :low AND w.dispatched_at < :high AND {scope}
    GROUP BY w.handler_unit_id, u.name
    ORDER BY u.name NULLS LAST, w.handler_unit_id"""


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(row) -> dict:
    return {"unit_id": row["unit_id"], "unit_name": row["unit_name"],
            "dispatched": row["dispatched"], "responded": row["responded"],
            "called_back": row["called_back"], "resolved": row["resolved"],
            "satisfied": row["satisfied"],
            "response_rate": _ratio(row["responded"], row["dispatched"]),
            "resolution_rate": _ratio(row["resolved"], row["called_back"]),
            "satisfaction_rate": _ratio(row["satisfied"], row["called_back"])}


def rates(session: Session, *, principal: Principal, start: date, end: date) -> dict:
    if end < start or (end - start).days > MAX_DAYS:
        raise InvalidInput(f"start ≤ end, at most {MAX_DAYS} days apart",
                           code="date_range_invalid")
    low = datetime.combine(start, time.min, SHANGHAI)
    high = datetime.combine(end + timedelta(days=1), time.min, SHANGHAI)
    scope = Scope.of(principal)
    condition = scope.code_condition("w.owner_code")
    rows = [dict(r._mapping) for r in session.execute(
        text(_RATES_SQL.format(scope=condition)), {"low": low, "high": high, **scope.params})]
    total = {key: sum(r[key] for r in rows) for key in
             ("dispatched", "responded", "called_back", "resolved", "satisfied")}
    return {"start": start, "end": end,
            "total": _row({"unit_id": None, "unit_name": "合计", **total}),
            "units": [_row(r) for r in rows]}


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


COLUMNS = (Column("承办单位", "unit_name"), Column("派单量", "dispatched"),
           Column("按时签收", "responded"), Column("响应率", "response_rate", _percent),
           Column("回访量", "called_back"), Column("已解决", "resolved"),
           Column("解决率", "resolution_rate", _percent),
           Column("满意（含基本满意）", "satisfied"),
           Column("满意率", "satisfaction_rate", _percent))


def rates_response(figures: dict):
    """The figures as xlsx (core/exports.py): one row per unit and the total."""
    rows = [*figures["units"], figures["total"]]
    return table_response(rows, COLUMNS, format="xlsx", sheet_title="12345工单考核",
                          filename=f"12345工单三率-{figures['start']}-{figures['end']}.xlsx")
