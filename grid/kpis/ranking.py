"""KPIs per handling unit and per grid worker inside an area (issue 12 §5: the per-unit
and per-worker views of the KPI page, ranked there by any column).

One scan each, like the child-area breakdown (service.children_kpis): the area's
incidents touching the period, inside the caller's territory, grouped by the unit they
were dispatched to (`handler_unit_id`) or by the worker of their grid
(`responsible_worker_id`). Units and workers with nothing in the period are not listed;
incidents with no unit (not dispatched yet) or no worker are left out of the rows (they
still count in the area's own figures).
"""

from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.scope import Scope
from grid.kpis.service import (
    FIGURES_SQL,
    Period,
    Subject,
    _Row,
    _where,
    connection_for_kpis,
    figures_of,
)

# Who a row is: the grouping column and the statement naming its groups.
GROUPS = {
    "unit": ("handler_unit_id",
             "SELECT id, name, code AS label FROM unit WHERE id = ANY(%(ids)s)"),
    "worker": ("responsible_worker_id",
               "SELECT id, name, staff_code AS label FROM grid_worker WHERE id = ANY(%(ids)s)"),
}


def ranking(session: Session, *, subject: Subject, period: Period, scope: Scope,
            by: str) -> dict:
    """The area's figures per unit (`by="unit"`) or per grid worker (`by="worker"`), each
    row with the unit's code or the worker's staff number, by name."""
    if subject.kind != "area":
        raise InvalidInput("a ranking of units or workers needs an area",
                           code="kpi_ranking_needs_area")
    column, names_sql = GROUPS[by]
    where, params = _where(subject, period, scope)
    connection = connection_for_kpis(session)
    rows = connection.exec_driver_sql(
        f"SELECT incident.{column} AS member, {FIGURES_SQL} FROM incident "
        f"WHERE {where} AND incident.{column} IS NOT NULL GROUP BY 1", params
    ).mappings().all()
    names = {row.id: row for row in connection.exec_driver_sql(
        names_sql, {"ids": [row["member"] for row in rows]})}
    listed = [{"id": row["member"], "name": names[row["member"]].name,
               "code": names[row["member"]].label, "figures": figures_of(_Row(row))}
              for row in rows if row["member"] in names]
    listed.sort(key=lambda item: (item["name"], item["id"]))
    return {"subject": subject.out(), "period": period.out(), "by": by, "rows": listed}
