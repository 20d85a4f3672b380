"""The incident list as a spreadsheet (GET /api/v1/incidents/export): the columns, in
Chinese, of what a desk exports (core/exports.py writes the xlsx or CSV)."""

from collections.abc import Iterable, Iterator
from itertools import islice

from sqlalchemy.orm import Session

from core.exports import Column, labelled, moment_text
from grid.incidents.enums import LABELS_ZH
from grid.incidents.models import Incident
from grid.incidents.service import chains_of

BATCH = 1000
URGENCY = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
SOURCE = {"grid_worker": "网格员上报", "patrol": "巡查", "hotline": "12345热线",
          "citizen_app": "市民随手拍", "inspection": "执法/监管检查"}
DEADLINE = {"green": "正常", "yellow": "预警", "red": "超期"}

EXPORT_COLUMNS = (
    Column("编号", "id"),
    Column("状态", "state", labelled({str(k): v for k, v in LABELS_ZH.items()})),
    Column("类别编码", "category_code"),
    Column("类别", "category_name"),
    Column("紧急程度", "urgency", labelled(URGENCY)),
    Column("来源", "source", labelled(SOURCE)),
    Column("描述", "description", width=40),
    Column("地址", "address", width=30),
    Column("所在区域", "chain", width=40),
    Column("责任单位", "owner_unit"),
    Column("处置单位", "handler_unit"),
    Column("上报时间", "reported_at", moment_text),
    Column("立案时间", "filed_at", moment_text),
    Column("结案时间", "closed_at", moment_text),
    Column("环节期限", "step_due_at", moment_text),
    Column("期限状态", "deadline", labelled(DEADLINE)),
    Column("返工次数", "rework_count"),
)


def export_rows(session: Session, incidents: Iterable[Incident]) -> Iterator[dict]:
    """Rows of the export, read in batches: names of the category, the area chain and the
    units for a thousand incidents at a time."""
    incidents = iter(incidents)
    while batch := list(islice(incidents, BATCH)):
        yield from _rows(session, batch)


def _rows(session: Session, batch: list[Incident]) -> list[dict]:
    from sqlalchemy import text

    names = {row.id: row for row in session.execute(text("""
        SELECT i.id, c.code AS category_code, c.name AS category_name,
               ou.name AS owner_unit, hu.name AS handler_unit
        FROM incident i JOIN category c ON c.id = i.category_id
        LEFT JOIN unit ou ON ou.id = i.owner_unit_id
        LEFT JOIN unit hu ON hu.id = i.handler_unit_id
        WHERE i.id = ANY(:ids)"""), {"ids": [i.id for i in batch]})}
    chains = chains_of(session, {i.grid_code for i in batch})
    return [{
        "id": i.id, "state": i.state, "category_code": names[i.id].category_code,
        "category_name": names[i.id].category_name, "urgency": i.urgency,
        "source": i.source, "description": i.description, "address": i.address,
        "chain": " / ".join(area["name"] for area in chains[i.grid_code]),
        "owner_unit": names[i.id].owner_unit, "handler_unit": names[i.id].handler_unit,
        "reported_at": i.reported_at, "filed_at": i.filed_at, "closed_at": i.closed_at,
        "step_due_at": i.step_due_at, "deadline": i.deadline,
        "rework_count": i.rework_count,
    } for i in batch]
