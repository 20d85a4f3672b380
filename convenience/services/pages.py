"""Public pages for residents, without login, in Chinese, mobile-first and printable,
every asset from this app (/static/convenience/services/): the item's guide (办事指南)
with the QR code that opens it, the catalogue search, the nearest service point, the
application status, the rating link. Rendered on the server: a phone on a weak line gets
one small HTML document; the few scripts only add the phone's location and the forms'
posts to the public API. No personal data is ever written into a page.
"""

from functools import lru_cache
from html import escape
from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from convenience.services import catalogue, points
from convenience.services.models import ITEM_TYPES, LEVELS, TRUST_LEVELS
from core.deps import SessionDep
from core.errors import NotFound

pages = APIRouter(prefix="/convenience", tags=["convenience-pages"], include_in_schema=True)
STATIC = "/static/convenience/services"
TRUST_LABELS = dict(zip(TRUST_LEVELS, ("A 电子证照/数据共享", "B 原件核验", "C 复印件",
                                       "D 申请人填写"), strict=True))
CACHE = "public, max-age=300"
DEFERRAL_NOTE = ("容缺受理：基本条件具备、主要材料齐全，仅欠缺次要材料的，经书面承诺可先予受理，"
                 "并一次性告知补齐期限；逾期未补齐的，视为撤回申请（安阳市政务服务条例第二十四条）。")


def _page(title: str, body: str, *, script: str | None = None) -> HTMLResponse:
    js = f'<script src="{STATIC}/{script}" defer></script>' if script else ""
    html = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{STATIC}/services.css">{js}</head>
<body><header class="bar"><a href="/convenience/items">便民服务</a></header>
<main>{body}</main>
<footer class="foot">政务服务 · 最多跑一次</footer></body></html>"""
    return HTMLResponse(html, headers={"Cache-Control": CACHE})


def guide_url(request: Request, impl_code: str) -> str:
    """The guide's address as the QR code carries it (the public base URL when set)."""
    base = request.app.state.settings.public_base_url.rstrip("/") or \
        str(request.base_url).rstrip("/")
    return f"{base}/convenience/guide/{impl_code}"


@lru_cache(maxsize=4096)
def qr_svg(url: str) -> str:
    """The QR code (error correction M) as inline SVG: printable, no image request.
    Cached by address (an item's guide keeps its address): encoding is most of a
    guide page's render (bench/convenience.py)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000")


def _days(days: int) -> str:
    return f"{days} 个工作日" if days else "即办"


def _fen(fen: int) -> str:
    return "不收费" if fen == 0 else f"{fen / 100:.2f} 元"


def _guide_body(session, item, request: Request) -> str:
    data = catalogue.item_dict(session, item)
    rows = "".join(
        f"<tr><td>{m['position']}</td><td>{escape(m['name'])}</td>"
        f"<td>{'主要' if m['is_primary'] else '次要'}</td>"
        f"<td>{escape(TRUST_LABELS[m['trust_level']])}</td>"
        f"<td>{'可容缺' if m['may_defer'] else ''}</td><td>{m['copies']}</td></tr>"
        for m in data["materials"]) or '<tr><td colspan="6">无需提交材料</td></tr>'
    flags = [f"到现场次数：{data['visits']}次", "网上可办" if data["online"] else "窗口办理",
             "可帮代办" if data["proxy"] else "本人办理"]
    if data["notify_commit"]:
        flags.append("可选告知承诺制")
    levels = "、".join(LEVELS[level] for level in data["levels"])
    url = guide_url(request, item.impl_code)
    return f"""
<article class="guide">
<h1>{escape(data['name'])}</h1>
<p class="codes">事项编码 {escape(data['item_code'])} · 实施编码 {escape(data['impl_code'])}</p>
<ul class="flags">{''.join(f'<li>{escape(f)}</li>' for f in flags)}</ul>
<dl>
<dt>事项类型</dt><dd>{ITEM_TYPES[data['item_type']]}</dd>
<dt>实施部门</dt><dd>{escape(data['department'] or '')}</dd>
<dt>办理层级</dt><dd>{levels}</dd>
<dt>法定时限</dt><dd>{data['legal_days']} 个工作日</dd>
<dt>承诺时限</dt><dd>{_days(data['promised_days'])}</dd>
<dt>收费标准</dt><dd>{_fen(data['fee_fen'])}</dd>
<dt>受理条件</dt><dd>{escape(data['conditions']) or '—'}</dd>
<dt>设定依据</dt><dd>{escape(data['legal_basis']) or '—'}</dd>
</dl>
<h2>申请材料</h2>
<div class="scroll"><table><thead><tr><th>#</th><th>材料名称</th><th>类别</th><th>可信等级</th>
<th>容缺</th><th>份数</th></tr></thead><tbody>{rows}</tbody></table></div>
<p class="note">{DEFERRAL_NOTE}</p>
<p class="actions">
<a class="button" href="/convenience/nearest?item={item.id}">查找最近的办理地点</a>
<a class="button" href="/convenience/status">办件进度查询</a>
<button class="button print" id="print" type="button">打印</button></p>
<figure class="qr">{qr_svg(url)}
<figcaption>扫码打开本指南<br><small>{escape(url)}</small></figcaption></figure>
</article>"""


@pages.get("/guide/{impl_code}", response_class=HTMLResponse)
def guide_page(impl_code: str, session: SessionDep, request: Request) -> HTMLResponse:
    """办事指南: one item, printable, with the QR code that opens this page."""
    item = catalogue.get_item(session, impl_code=impl_code[:60])
    return _page(f"{item.name} · 办事指南", _guide_body(session, item, request),
                 script="guide.js")


@pages.get("/guide/{impl_code}/qr.svg")
def guide_qr(impl_code: str, session: SessionDep, request: Request) -> Response:
    """The guide's QR code alone, for posters and window cards."""
    item = catalogue.get_item(session, impl_code=impl_code[:60])
    svg = segno.make(guide_url(request, item.impl_code), error="m").svg_inline(scale=8,
                                                                             border=4)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": CACHE})


@pages.get("/items", response_class=HTMLResponse)
def items_page(session: SessionDep, q: Annotated[str, Query(max_length=100)] = "",
               level: Literal["county", "township", "village"] | None = None
               ) -> HTMLResponse:
    """事项检索 (a form that works without scripts)."""
    found = catalogue.search(session, q=q, level=level, limit=50) if q else []
    rows = "".join(
        f'<li><a href="/convenience/guide/{escape(r["impl_code"])}">{escape(r["name"])}</a>'
        f'<small>{escape(r["department"])} · {r["item_type_label"]} · '
        f'承诺{r["promised_days"] or "即办"}{"工作日" if r["promised_days"] else ""}'
        f'{" · 网上可办" if r["online"] else ""}</small></li>' for r in found)
    empty = "<p>没有找到相关事项。</p>" if q and not found else ""
    body = f"""<h1>政务服务事项</h1>
<form class="search" method="get" action="/convenience/items">
<input name="q" value="{escape(q)}" placeholder="输入事项名称或编码" maxlength="100" autofocus>
<button>搜索</button></form>{empty}<ul class="results">{rows}</ul>"""
    return _page("政务服务事项检索", body)


def _point_li(row: dict) -> str:
    parts = [f"<strong>{escape(row['name'])}</strong>",
             f"<small>约 {row['metres'] / 1000:.1f} 公里 · {escape(row['opening_hours_text'])}"
             "</small>"]
    if row["address"]:
        parts.append(f"<small>{escape(row['address'])}</small>")
    if row["phone"]:
        parts.append(f'<a href="tel:{escape(row["phone"])}">{escape(row["phone"])}</a>')
    return f"<li>{''.join(parts)}</li>"


@pages.get("/nearest", response_class=HTMLResponse)
def nearest_page(session: SessionDep,
                 item: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                 lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
                 lat: Annotated[float | None, Query(ge=-90, le=90)] = None) -> HTMLResponse:
    """The nearest points that handle an item: from the phone's location (the script asks
    for it and reloads with lon/lat), or the coordinates given."""
    name = ""
    results = ""
    if item is not None:
        try:
            name = catalogue.get_item(session, item_id=item).name
        except NotFound:
            name = ""
    if item is not None and name and lon is not None and lat is not None:
        rows = points.nearest(session, item_id=item, lon=lon, lat=lat, limit=5)
        results = "".join(_point_li(r) for r in rows) or "<li>附近暂无可办理该事项的服务点。</li>"
    body = f"""<h1>最近的办理地点</h1>
<p>{escape(name) or '请先在事项指南中选择事项'}</p>
<p id="locate" data-item="{item or ''}" class="hint">{'' if results else '正在获取您的位置…'}</p>
<ol class="results">{results}</ol>"""
    return _page("最近的办理地点", body, script="nearest.js")


@pages.get("/status", response_class=HTMLResponse)
def status_page() -> HTMLResponse:
    """办件进度查询: number and phone, posted (not in the address) to the public API."""
    body = """<h1>办件进度查询</h1>
<form id="status" class="stack"><label>办件编号<input name="number" required maxlength="24"></label>
<label>申请时预留的手机号<input name="phone" type="tel" required maxlength="20"></label>
<button>查询</button></form><div id="result" aria-live="polite"></div>"""
    return _page("办件进度查询", body, script="status.js")


@pages.get("/rate/{number}", response_class=HTMLResponse)
def rate_page(number: str) -> HTMLResponse:
    """The rating link of a QR code or an SMS: five levels, the phone proves it."""
    options = "".join(
        f'<label class="level"><input type="radio" name="level" value="{v}" required>'
        f'{label}</label>'
        for v, label in ((5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"),
                         (1, "非常不满意")))
    body = f"""<h1>政务服务“好差评”</h1><p>办件编号 {escape(number[:24])}</p>
<form id="rate" class="stack" data-number="{escape(number[:24])}">
<fieldset><legend>评价环节</legend>
<label class="level"><input type="radio" name="stage" value="finish" checked>办结</label>
<label class="level"><input type="radio" name="stage" value="accept">受理</label></fieldset>
<fieldset><legend>您的评价</legend>{options}</fieldset>
<label>意见建议<textarea name="comment" maxlength="500"></textarea></label>
<label>申请时预留的手机号<input name="phone" type="tel" required maxlength="20"></label>
<button>提交评价</button></form><div id="result" aria-live="polite"></div>
<p class="note">差评将在1个工作日内联系核实，并限期整改、回访（国办发〔2019〕51号）。</p>"""
    return _page("好差评", body, script="rate.js")


PUBLIC_PAGE_PATHS = ("/convenience/guide/{impl_code}", "/convenience/guide/{impl_code}/qr.svg",
                     "/convenience/items", "/convenience/nearest", "/convenience/status",
                     "/convenience/rate/{number}")
