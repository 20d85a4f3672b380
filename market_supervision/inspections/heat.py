"""Failures by industry, heatmap-ready: accepted inspections that found a problem, counted
per square cell of a few hundred metres (in a metric projection, never in degrees) and per
industry (GB/T 4754 code of the entity), inside the caller's territory."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.scope import Scope
from market_supervision.inspections.vocabulary import ACCEPTED

SQL = """
    WITH failed AS (
        SELECT e.industry,
               ST_SnapToGrid(ST_Transform(COALESCE(i.geom, e.location), 3857),
                             :cell, :cell) AS cell
        FROM market_inspection i JOIN market_entity e ON e.id = i.entity_id
        WHERE {scope} AND i.state = ANY(:accepted)
          AND i.outcome NOT IN ('no_problem', 'no_activity') {extra}
    )
    SELECT industry, ST_X(ST_Transform(ST_SetSRID(ST_Translate(cell, :half, :half), 3857),
                                       4326)) AS lon,
           ST_Y(ST_Transform(ST_SetSRID(ST_Translate(cell, :half, :half), 3857), 4326)) AS lat,
           count(*) AS count
    FROM failed GROUP BY industry, cell ORDER BY count DESC, industry LIMIT 5000"""


def failures(session: Session, *, scope: Scope, cell_m: int, area: str | None,
             industry: str | None) -> dict:
    extra, params = "", {**scope.params, "accepted": list(ACCEPTED), "cell": float(cell_m),
                         "half": cell_m / 2}
    if area:
        narrow = Scope.of_areas([area])
        extra += " AND " + narrow.code_condition("i.area_code").replace(":scope_", ":area_")
        params |= {k.replace("scope_", "area_"): v for k, v in narrow.params.items()}
    if industry:
        extra += " AND e.industry LIKE :industry"
        params["industry"] = industry + "%"
    rows = session.execute(text(SQL.format(scope=scope.code_condition("i.area_code"),
                                           extra=extra)), params).mappings().all()
    by_industry: dict[str, int] = {}
    for row in rows:
        by_industry[row["industry"]] = by_industry.get(row["industry"], 0) + row["count"]
    return {"cell_m": cell_m,
            "cells": [{"industry": r["industry"], "lon": round(r["lon"], 6),
                       "lat": round(r["lat"], 6), "count": r["count"]} for r in rows],
            "by_industry": [{"industry": k, "count": v} for k, v in
                            sorted(by_industry.items(), key=lambda kv: (-kv[1], kv[0]))]}
