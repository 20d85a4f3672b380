"""Enforcement KPIs per unit and per area (issue §9): the cases' figures (立案数, 结案数,
按期办结率, 罚没金额, 听证率, 复议/诉讼纠错率) and 吹哨报到's (calls, answers, on time,
response times), over a period [since, until), inside the caller's territory.

Each figure is one SQL aggregate over the subjects' own columns and the kernel's clocks:
- 立案数: cases filed (立案) in the period; 结案数: cases closed in it.
- 按期办结率: of the cases closed, those none of whose clocks ran late (case_clock.late).
- 罚没金额 (fen): fines and confiscations of the penalty decisions made in the period.
- 听证率: of the cases whose notice offered a hearing in the period, those heard.
- 复议/诉讼纠错率: of the 复议 and 诉讼 outcomes decided in the period (enforcement_appeal,
  by the day of the outcome in Asia/Shanghai), those that corrected the decision (变更,
  撤销, 撤销并责令重作, 确认违法, 确认无效, 责令履行: `enforcement_appeal.corrects`, set
  from enforcement/cases/appeals.py OUTCOMES); None when no outcome was decided.
- 吹哨报到: calls, responded, responded on time (not late against the limit), arrived,
  arrived on time, acted, acted on time, open and overdue now (red), and in minutes from
  the call the response time and the arrival time: mean, median and 90th percentile.
  Both calls (per township) and answers (per department) are counted: 北京市街道办事处
  条例第四十四条 puts them in the annual assessment.
"""

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.exports import Column, yuan
from core.scope import Scope
from core.security import Principal

GROUPINGS = ("unit", "area", "department")
AREA_LEVELS = {"county": 6, "township": 9}


def _rate(part, whole) -> float | None:
    return None if not whole else round(part / whole, 4)


def _has_table(session: Session, name: str) -> bool:
    return session.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name})


def case_kpis(session: Session, *, scope: Scope, since: datetime, until: datetime,
              by: str, level: str) -> list[dict]:
    """The cases' figures, grouped by the unit holding each case or by its area."""
    if not _has_table(session, "enforcement_case"):
        return []
    if by == "area":
        key = f"substr(c.area_code, 1, {AREA_LEVELS[level]})"
        label = "(SELECT name FROM area WHERE code = g.key)"
    else:
        key = "c.owner_unit_id::text"
        label = "(SELECT name FROM unit WHERE id = CAST(g.key AS bigint))"
    rows = session.execute(text(f"""
        WITH c AS (
            SELECT c.*, {key} AS key, ap.reviewed, ap.corrected FROM enforcement_case c
            LEFT JOIN LATERAL (
                SELECT count(*) AS reviewed,
                       count(*) FILTER (WHERE a.corrects) AS corrected
                FROM enforcement_appeal a
                WHERE a.case_id = c.id
                  AND a.decided_on >= (:since AT TIME ZONE 'Asia/Shanghai')::date
                  AND a.decided_on < (:until AT TIME ZONE 'Asia/Shanghai')::date) ap ON true
            WHERE {scope.code_condition('c.area_code')}
              AND (c.filed_at >= :since AND c.filed_at < :until
                   OR c.closed_at >= :since AND c.closed_at < :until
                   OR c.decided_at >= :since AND c.decided_at < :until
                   OR c.notified_at >= :since AND c.notified_at < :until
                   OR ap.reviewed > 0)),
        g AS (
            SELECT key,
                   count(*) FILTER (WHERE filed_at >= :since AND filed_at < :until) AS filed,
                   count(*) FILTER (WHERE closed_at >= :since AND closed_at < :until)
                       AS closed,
                   count(*) FILTER (WHERE closed_at >= :since AND closed_at < :until
                       AND NOT EXISTS (SELECT 1 FROM case_clock k
                                       WHERE k.subject_type = 'enforcement_case'
                                         AND k.subject_id = c.id AND k.late)) AS closed_on_time,
                   COALESCE(sum(COALESCE(fine_fen, 0) + COALESCE(confiscation_fen, 0))
                       FILTER (WHERE outcome = 'penalty' AND decided_at >= :since
                               AND decided_at < :until), 0) AS fines_fen,
                   count(*) FILTER (WHERE hearing_offered AND notified_at >= :since
                                    AND notified_at < :until) AS hearing_offered,
                   count(*) FILTER (WHERE hearing_offered AND hearing_at IS NOT NULL
                                    AND notified_at >= :since AND notified_at < :until)
                       AS hearings,
                   COALESCE(sum(reviewed), 0) AS reviewed,
                   COALESCE(sum(corrected), 0) AS corrected
            FROM c GROUP BY key)
        SELECT g.*, {label} AS label FROM g ORDER BY g.key"""),
        {"since": since, "until": until, **scope.params}).mappings().all()
    return [{"key": row["key"], "label": row["label"], "filed": row["filed"],
             "closed": row["closed"], "closed_on_time": row["closed_on_time"],
             "on_time_rate": _rate(row["closed_on_time"], row["closed"]),
             "fines_fen": int(row["fines_fen"]), "hearing_offered": row["hearing_offered"],
             "hearings": row["hearings"],
             "hearing_rate": _rate(row["hearings"], row["hearing_offered"]),
             "reviewed": int(row["reviewed"]), "corrected": int(row["corrected"]),
             "review_correction_rate": _rate(int(row["corrected"]), int(row["reviewed"]))}
            for row in rows]


def whistle_kpis(session: Session, *, scope: Scope, since: datetime, until: datetime,
                 by: str, level: str) -> list[dict]:
    """吹哨报到's figures of the calls made in the period, grouped by the called
    department, the unit holding the call, or the area (the township that whistled)."""
    if by == "department":
        key, label = "w.department_code", "(SELECT name FROM department WHERE code = g.key)"
    elif by == "unit":
        key = "w.owner_unit_id::text"
        label = "(SELECT name FROM unit WHERE id = CAST(g.key AS bigint))"
    else:
        key = f"substr(w.area_code, 1, {AREA_LEVELS[level]})"
        label = "(SELECT name FROM area WHERE code = g.key)"
    rows = session.execute(text(f"""
        WITH w AS (
            SELECT w.*, {key} AS key,
                   extract(epoch FROM w.responded_at - w.called_at) / 60.0 AS response_min,
                   extract(epoch FROM w.arrived_at - w.called_at) / 60.0 AS arrival_min
            FROM enforcement_whistle_call w
            WHERE {scope.code_condition('w.area_code')}
              AND w.called_at >= :since AND w.called_at < :until),
        g AS (
            SELECT key, count(DISTINCT whistle_id) AS whistles, count(*) AS calls,
                   count(responded_at) AS responded,
                   count(*) FILTER (WHERE responded_at IS NOT NULL AND NOT responded_late)
                       AS responded_on_time,
                   count(arrived_at) AS arrived,
                   count(*) FILTER (WHERE arrived_at IS NOT NULL AND NOT arrived_late)
                       AS arrived_on_time,
                   count(acted_at) AS acted,
                   count(*) FILTER (WHERE acted_at IS NOT NULL AND NOT acted_late)
                       AS acted_on_time,
                   count(*) FILTER (WHERE state IN ('called', 'responded', 'arrived')) AS open,
                   count(*) FILTER (WHERE state IN ('called', 'responded', 'arrived')
                                    AND deadline = 'red') AS overdue,
                   avg(response_min) AS mean_min,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY response_min) AS median_min,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY response_min) AS p90_min,
                   avg(arrival_min) AS arrival_mean_min,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY arrival_min)
                       AS arrival_median_min,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY arrival_min) AS arrival_p90_min
            FROM w GROUP BY key)
        SELECT g.*, {label} AS label FROM g ORDER BY g.key"""),
        {"since": since, "until": until, **scope.params}).mappings().all()

    def minutes(value) -> float | None:
        return None if value is None else round(float(value), 1)

    return [{"key": row["key"], "label": row["label"], "whistles": row["whistles"],
             "calls": row["calls"], "responded": row["responded"],
             "responded_on_time": row["responded_on_time"],
             "response_on_time_rate": _rate(row["responded_on_time"], row["calls"]),
             "arrived": row["arrived"],
             "arrived_on_time": row["arrived_on_time"],
             "arrival_rate": _rate(row["arrived"], row["calls"]),
             "arrival_on_time_rate": _rate(row["arrived_on_time"], row["calls"]),
             "acted": row["acted"], "acted_on_time": row["acted_on_time"],
             "action_on_time_rate": _rate(row["acted_on_time"], row["calls"]),
             "open": row["open"], "overdue": row["overdue"],
             "response_minutes": {"mean": minutes(row["mean_min"]),
                                  "median": minutes(row["median_min"]),
                                  "p90": minutes(row["p90_min"])},
             "arrival_minutes": {"mean": minutes(row["arrival_mean_min"]),
                                 "median": minutes(row["arrival_median_min"]),
                                 "p90": minutes(row["arrival_p90_min"])}} for row in rows]


def kpis(session: Session, *, principal: Principal, since: datetime, until: datetime,
         by: str, level: str) -> dict:
    if until <= since:
        raise InvalidInput("the period ends after it starts", code="period_empty")
    if by not in GROUPINGS:
        raise InvalidInput(f"by is one of {', '.join(GROUPINGS)}", code="unknown_grouping")
    if level not in AREA_LEVELS:
        raise InvalidInput(f"level is one of {', '.join(AREA_LEVELS)}", code="unknown_level")
    scope = Scope.of(principal)
    # Cases have no department grouping of their own: by department → by unit.
    case_by = "unit" if by == "department" else by
    return {"since": since, "until": until, "by": by, "level": level,
            "cases": case_kpis(session, scope=scope, since=since, until=until, by=case_by,
                               level=level),
            "whistles": whistle_kpis(session, scope=scope, since=since, until=until, by=by,
                                     level=level)}


# --- the spreadsheet (core/exports.py) --------------------------------------------------

def _minutes(figure: str, key: str):
    return lambda row: row[figure][key]


CASE_COLUMNS = (Column("编码", "key"), Column("名称", "label"), Column("立案数", "filed"),
                Column("结案数", "closed"), Column("按期办结数", "closed_on_time"),
                Column("按期办结率", "on_time_rate", number_format="0.0%"),
                Column("罚没金额（元）", "fines_fen", yuan, number_format="0.00"),
                Column("告知听证数", "hearing_offered"), Column("听证数", "hearings"),
                Column("听证率", "hearing_rate", number_format="0.0%"),
                Column("复议/诉讼纠错率", "review_correction_rate", number_format="0.0%"))
WHISTLE_COLUMNS = (Column("编码", "key"), Column("名称", "label"),
                   Column("吹哨次数", "whistles"), Column("报到要求数", "calls"),
                   Column("已响应", "responded"), Column("按时响应", "responded_on_time"),
                   Column("按时响应率", "response_on_time_rate", number_format="0.0%"),
                   Column("已报到", "arrived"), Column("按时报到", "arrived_on_time"),
                   Column("按时报到率", "arrival_on_time_rate", number_format="0.0%"),
                   Column("已处置", "acted"), Column("按时处置", "acted_on_time"),
                   Column("按时处置率", "action_on_time_rate", number_format="0.0%"),
                   Column("未完成", "open"), Column("超时未报到/处置", "overdue"),
                   Column("平均响应（分钟）", _minutes("response_minutes", "mean")),
                   Column("响应中位数（分钟）", _minutes("response_minutes", "median")),
                   Column("响应90分位（分钟）", _minutes("response_minutes", "p90")),
                   Column("平均到场（分钟）", _minutes("arrival_minutes", "mean")),
                   Column("到场中位数（分钟）", _minutes("arrival_minutes", "median")),
                   Column("到场90分位（分钟）", _minutes("arrival_minutes", "p90")))
TABLES = {"cases": ("执法案件指标", CASE_COLUMNS), "whistles": ("吹哨报到指标", WHISTLE_COLUMNS)}
