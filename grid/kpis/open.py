"""Open and overdue incidents per child area (未结、超期): the supervisor map's choropleth.

For a parent area in the caller's territory (404 otherwise), each child area in the
territory with its incidents still open now (any state but closed, evaluated, void or
merged: suspended ones included, their clock only stops), of those the overdue ones
(deadline red) and the warned ones (deadline yellow); and the parent's totals, the sums
over the same rows. Where an incident lies is its grid (`grid_code`), as for every KPI:
it counts in the area it happened in, whoever holds it now.

One statement, one scan: the parent's subtree is the `grid_code` range
[low, high) (`core.scope.prefix_range`, never a LIKE, so the btree serves it in any plan),
and each row is grouped by the prefix of its grid code that names the child. The range is
read through `ix_incident_grid_code_reported` (grid_code leads it); the state and the
deadline colour come from the heap. Planned for its values, as the other KPI statements
(`grid.kpis.service.connection_for_kpis`): a township's range and a whole city's want different
plans.
"""

from sqlalchemy.orm import Session

from core.scope import Scope
from grid.incidents.enums import FINAL
from grid.incidents.service import scope_sql
from grid.kpis.service import (
    CHILD_CODE_LENGTH,
    area_subject,
    child_areas,
    connection_for_kpis,
)

FINAL_STATES_SQL = ", ".join(f"'{state}'" for state in sorted(FINAL))

OPEN_SQL = f"""
    SELECT left(incident.grid_code, {{child_length}}) AS child,
           count(*) AS open,
           count(*) FILTER (WHERE incident.deadline = 'red') AS overdue,
           count(*) FILTER (WHERE incident.deadline = 'yellow') AS warned
    FROM incident
    WHERE ({{subject}}) AND ({{scope}})
      AND incident.state NOT IN ({FINAL_STATES_SQL})
    GROUP BY 1"""


def open_by_child(session: Session, *, parent: str, scope: Scope) -> dict:
    """The parent's open, overdue and warned incidents, and each child area's (by code)."""
    subject = area_subject(session, code=parent, scope=scope)
    scope_where, scope_params = scope_sql(scope)
    connection = connection_for_kpis(session)
    # A grid has no children: its own code is the whole prefix.
    length = CHILD_CODE_LENGTH.get(subject.level, 15)
    rows = connection.exec_driver_sql(
        OPEN_SQL.format(subject=subject.condition, scope=scope_where,
                        child_length=int(length)),
        {**subject.params, **scope_params}).all()
    by_child = {row.child: _counts(row) for row in rows}
    children = child_areas(connection, subject=subject, scope=scope)
    totals = {key: sum(counts[key] for counts in by_child.values())
              for key in ("open", "overdue", "warned")}
    return {
        "parent": {"code": subject.code, "name": subject.name, "level": subject.level,
                   **totals},
        "children": [{"code": c.code, "name": c.name, "level": c.level,
                      **by_child.get(c.code, _counts(None))} for c in children],
    }


def _counts(row) -> dict:
    if row is None:
        return {"open": 0, "overdue": 0, "warned": 0}
    return {"open": row.open, "overdue": row.overdue, "warned": row.warned}
