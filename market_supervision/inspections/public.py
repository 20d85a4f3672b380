"""一公开: the published results, without login — a page per task and per entity (Chinese,
for a phone first, every asset served by the app) and the open data in the layout of the
LIVES inspection feed (businesses.csv, inspections.csv, violations.csv, or all three in
lives.zip).

What is shown is what 公示 publishes: the entity's name, credit code, type and registered
address, the task, the inspecting unit, the date, the result and the failed lines. Never a
person (no legal representative, no inspector), never the credit-risk class, never a
result not published or withdrawn.
"""

import csv
import io
import zipfile
from datetime import datetime
from html import escape
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import prefix_range, subtree_prefix_of
from core.deps import SessionDep
from core.errors import NotFound
from market_supervision.inspections.vocabulary import KINDS, OUTCOMES, PUBLIC
from market_supervision.register.enums import ENTITY_TYPE_LABELS, TASK_MODE_LABELS

router = APIRouter(tags=["market public"])
CSS = "/static/market_supervision/inspections/public.css"
FEEDS = ("businesses.csv", "inspections.csv", "violations.csv", "lives.zip")
ZONE = ZoneInfo("Asia/Shanghai")

RESULTS_SQL = """
    SELECT i.id, i.kind, i.inspected_at, i.published_at, i.outcome, i.failed_count,
           e.name AS entity_name, e.uscc, t.name AS task_name, t.id AS task_id,
           u.name AS unit_name
    FROM market_inspection i
    JOIN market_entity e ON e.id = i.entity_id
    JOIN market_task t ON t.id = i.task_id
    LEFT JOIN unit u ON u.id = i.owner_unit_id
    WHERE i.state = ANY(:public) AND {where}
    ORDER BY i.inspected_at DESC, i.id DESC LIMIT 2000"""

FAILED_SQL = """
    SELECT c.inspection_id, ci.text, c.rectified_on_site
    FROM market_inspection_check c JOIN market_checklist_item ci ON ci.id = c.check_id
    WHERE c.inspection_id = ANY(:ids) AND c.result = 'fail'
    ORDER BY c.inspection_id, ci.item_id, ci.ordinal"""


# --- pages -------------------------------------------------------------------------------

@router.get("/market/public/tasks/{task_id}", response_class=HTMLResponse)
def task_page(task_id: int, session: SessionDep) -> HTMLResponse:
    """The published results of one 抽查任务."""
    task = session.execute(text(
        "SELECT t.id, t.code, t.name, t.mode, t.starts_on, t.ends_on FROM market_task t "
        "WHERE t.id = :id"), {"id": task_id}).mappings().first()
    if task is None:
        raise NotFound(f"no task {task_id}", code="task_not_found")
    items = session.execute(text(
        "SELECT i.code, i.name, i.legal_basis FROM market_task_item ti "
        "JOIN market_item i ON i.id = ti.item_id WHERE ti.task_id = :id ORDER BY i.code"),
        {"id": task_id}).mappings().all()
    results = _results(session, "t.id = :task", {"task": task_id})
    body = [f"<h1>{escape(task['name'])}</h1>",
            f"<p class=meta>任务编号 {escape(task['code'])} · "
            f"{escape(TASK_MODE_LABELS.get(task['mode'], task['mode']))} · "
            f"{task['starts_on']} 至 {task['ends_on']}</p>",
            "<h2>抽查事项</h2><ul>",
            *(f"<li><b>{escape(i['code'])}</b> {escape(i['name'])}"
              f"<small>依据：{escape(i['legal_basis'])}</small></li>" for i in items),
            "</ul>", f"<h2>检查结果（{len(results)}）</h2>", _result_list(results, by="entity")]
    return _page(f"{task['name']} 抽查结果公示", body)


@router.get("/market/public/entities/{uscc}", response_class=HTMLResponse)
def entity_page(uscc: str, session: SessionDep) -> HTMLResponse:
    """The published inspection results of one market entity, by its credit code."""
    entity = session.execute(text(
        "SELECT id, uscc, name, type, address FROM market_entity WHERE uscc = :uscc"),
        {"uscc": uscc[:18].upper()}).mappings().first()
    if entity is None:
        raise NotFound("no entity with this credit code", code="entity_not_found")
    results = _results(session, "e.id = :entity", {"entity": entity["id"]})
    body = [f"<h1>{escape(entity['name'])}</h1>",
            f"<p class=meta>统一社会信用代码 {escape(entity['uscc'])} · "
            f"{escape(ENTITY_TYPE_LABELS.get(entity['type'], entity['type']))}</p>",
            f"<p class=meta>住所：{escape(entity['address'])}</p>",
            f"<h2>抽查检查结果（{len(results)}）</h2>", _result_list(results, by="task")]
    return _page(f"{entity['name']} 抽查检查结果", body)


def _results(session: Session, where: str, params: dict) -> list[dict]:
    rows = [dict(r) for r in session.execute(text(RESULTS_SQL.format(where=where)),
                                            {"public": list(PUBLIC), **params}).mappings()]
    failed: dict[int, list] = {}
    for inspection_id, line, rectified in session.execute(
            text(FAILED_SQL), {"ids": [r["id"] for r in rows]}):
        failed.setdefault(inspection_id, []).append((line, rectified))
    for row in rows:
        row["failed"] = failed.get(row["id"], [])
    return rows


def _result_list(results: list[dict], *, by: str) -> str:
    if not results:
        return "<p class=empty>暂无已公示的检查结果。</p>"
    cards = []
    for r in results:
        title = (f"<a href='/market/public/entities/{escape(r['uscc'])}'>"
                 f"{escape(r['entity_name'])}</a> <small>{escape(r['uscc'])}</small>"
                 if by == "entity" else
                 f"<a href='/market/public/tasks/{r['task_id']}'>{escape(r['task_name'])}</a>")
        lines = "".join(f"<li>{escape(text_)}{'（已当场整改）' if rectified else ''}</li>"
                        for text_, rectified in r["failed"])
        outcome = OUTCOMES.get(r["outcome"] or "", "")
        good = r["outcome"] in ("no_problem", "no_activity") or (
            r["kind"] == "reinspection" and not r["failed_count"])
        cards.append(
            f"<article class='{'ok' if good else 'bad'}'><h3>{title}</h3>"
            f"<p>{escape(KINDS[r['kind']])} · {_day(r['inspected_at'])} · "
            f"{escape(r['unit_name'] or '')}</p>"
            f"<p class=outcome>{escape(outcome)}</p>"
            + (f"<ul class=failed>{lines}</ul>" if lines else "")
            + f"<p class=meta>公示日期 {_day(r['published_at'])}</p></article>")
    return "".join(cards)


def _day(moment: datetime | None) -> str:
    return moment.astimezone(ZONE).date().isoformat() if moment else ""


def _page(title: str, body: list[str]) -> HTMLResponse:
    html = ("<!doctype html><html lang=zh-CN><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{escape(title)}</title><link rel=stylesheet href='{CSS}'></head>"
            f"<body><header>市场监管 · 双随机、一公开</header><main>{''.join(body)}</main>"
            "<footer>依据《企业信息公示暂行条例》第六条公示。开放数据："
            "<a href='/api/v1/market/open-data/lives.zip'>LIVES 格式下载</a></footer>"
            "</body></html>")
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=300"})


# --- open data (LIVES) ---------------------------------------------------------------------

BUSINESSES_SQL = """
    SELECT DISTINCT e.uscc, e.name, e.address, county.name AS city, prov.name AS state,
           ST_Y(e.location) AS latitude, ST_X(e.location) AS longitude
    FROM market_entity e
    JOIN market_inspection i ON i.entity_id = e.id AND i.state = ANY(:public)
    LEFT JOIN area county ON county.code = left(e.area_code, 6)
    LEFT JOIN area prov ON prov.code = left(e.area_code, 2) || '0000'
    WHERE {where} ORDER BY e.uscc"""

INSPECTIONS_SQL = """
    SELECT e.uscc, i.inspected_at, i.outcome, i.kind, i.failed_count, i.id
    FROM market_inspection i JOIN market_entity e ON e.id = i.entity_id
    WHERE i.state = ANY(:public) AND {where} ORDER BY e.uscc, i.inspected_at, i.id"""

VIOLATIONS_SQL = """
    SELECT e.uscc, i.inspected_at, ci.id AS check_id, it.code AS item_code, ci.ordinal,
           ci.text, c.rectified_on_site
    FROM market_inspection_check c
    JOIN market_inspection i ON i.id = c.inspection_id
    JOIN market_entity e ON e.id = i.entity_id
    JOIN market_checklist_item ci ON ci.id = c.check_id
    JOIN market_item it ON it.id = ci.item_id
    WHERE c.result = 'fail' AND i.state = ANY(:public) AND {where}
    ORDER BY e.uscc, i.inspected_at, it.code, ci.ordinal"""

# LIVES inspection types: a re-inspection is a follow-up.
LIVES_TYPE = {"routine": "routine", "reinspection": "followup"}


@router.get("/api/v1/market/open-data/{name}")
def open_data(name: Literal[FEEDS], session: SessionDep, request: Request,  # type: ignore[valid-type]
              area: str | None = Query(None, pattern=r"^\d{6}(\d{3}){0,3}$")) -> Response:
    """The published results as open data, in the LIVES layout (businesses, inspections,
    violations; `lives.zip` holds the three): business_id is the 统一社会信用代码, dates
    are YYYYMMDD. No personal data, no credit-risk class."""
    where, params = "TRUE", {"public": list(PUBLIC)}
    if area:
        bounds = prefix_range(subtree_prefix_of(area))
        where = "e.area_code >= :area_low AND e.area_code < :area_high"
        params |= {"area_low": bounds["low"], "area_high": bounds["high"]}
    if name == "lives.zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for feed in FEEDS[:3]:
                archive.writestr(feed, _csv(session, feed, where, params))
        return Response(buffer.getvalue(), media_type="application/zip", headers={
            "Content-Disposition": 'attachment; filename="lives.zip"'})
    return Response(_csv(session, name, where, params), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(session: Session, feed: str, where: str, params: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if feed == "businesses.csv":
        writer.writerow(["business_id", "name", "address", "city", "state", "postal_code",
                         "latitude", "longitude", "phone_number"])
        for r in session.execute(text(BUSINESSES_SQL.format(where=where)), params).mappings():
            writer.writerow([r["uscc"], r["name"], r["address"], r["city"] or "",
                             r["state"] or "", "", f"{r['latitude']:.6f}",
                             f"{r['longitude']:.6f}", ""])
    elif feed == "inspections.csv":
        writer.writerow(["business_id", "score", "date", "description", "type"])
        for r in session.execute(text(INSPECTIONS_SQL.format(where=where)), params).mappings():
            writer.writerow([r["uscc"], "", _yyyymmdd(r["inspected_at"]),
                             OUTCOMES.get(r["outcome"] or "", ""), LIVES_TYPE[r["kind"]]])
    else:
        writer.writerow(["business_id", "date", "code", "description"])
        for r in session.execute(text(VIOLATIONS_SQL.format(where=where)), params).mappings():
            note = "（已当场整改）" if r["rectified_on_site"] else ""
            writer.writerow([r["uscc"], _yyyymmdd(r["inspected_at"]),
                             f"{r['item_code']}-{r['ordinal']}", r["text"] + note])
    return out.getvalue()


def _yyyymmdd(moment: datetime | None) -> str:
    return moment.astimezone(ZONE).strftime("%Y%m%d") if moment else ""
