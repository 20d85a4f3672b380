"""The public page of a draw (一公开): no login, Chinese, every asset from the app.

It shows the task, the rules (the ratio table's citation, not the classes' shares of the
register), the commitment, the result (entities; inspectors' names and 执法证 numbers) and
how to re-run it: the published inputs as a JSON file and a short standard-library
reference script. No risk class appears on it, nor in the file
(tests/market_supervision/register/test_public.py).
"""

from html import escape

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from core.deps import SessionDep
from market_supervision.register import drawing, draws
from market_supervision.register.enums import DRAW_STATE_LABELS, TASK_MODE_LABELS, DrawState
from market_supervision.register.models import Draw, Task
from market_supervision.register.plans import task_units

router = APIRouter(tags=["market public"])
PUBLIC_PATHS = frozenset({"/market/draws/{draw_id}", "/market/draws/{draw_id}/inputs.json"})


@router.get("/market/draws/{draw_id}", response_class=HTMLResponse, include_in_schema=False)
def draw_page(draw_id: int, session: SessionDep) -> HTMLResponse:
    draw = drawing.get_draw(session, principal=None, draw_id=draw_id)
    return HTMLResponse(render(session, draw))


@router.get("/market/draws/{draw_id}/inputs.json", include_in_schema=False)
def draw_inputs(draw_id: int, session: SessionDep) -> Response:
    draw = drawing.get_draw(session, principal=None, draw_id=draw_id)
    return Response(drawing.published_json(session, draw), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="draw-{draw.id}.json"'})


def _row(label: str, value: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{value}</td></tr>"


def _code(value: str | None) -> str:
    return f"<code>{escape(value)}</code>" if value else "—"


def render(session: Session, draw: Draw) -> str:
    task = session.get(Task, draw.task_id)
    units = task_units(session, task.id)
    from core.units.models import Unit

    names = {u.id: u.name for u in session.query(Unit).filter(
        Unit.id.in_(units["organising"] + units["implementing"]))}
    rules = draw.rules
    citations = sorted({rule["citation"] for rule in rules["strata"].values()})
    task_rows = "".join((
        _row("任务", escape(f"{task.code} {task.name}")),
        _row("方式", escape(TASK_MODE_LABELS.get(task.mode, task.mode))),
        _row("期限", escape(f"{task.starts_on} 至 {task.ends_on}")),
        _row("组织部门", escape("、".join(names.get(i, str(i)) for i in units["organising"]))),
        _row("实施部门", escape("、".join(names.get(i, str(i)) for i in units["implementing"]))),
        _row("抽查事项", escape("、".join(rules["items"]))),
        _row("候选主体", f"{draw.candidates_count:,} 户"),
    ))
    commitment = "".join((
        _row("公布时间", escape(draw.committed_at.isoformat(timespec="seconds"))),
        _row("秘密种子的哈希 seed_hash", _code(draw.seed_hash)),
        _row("候选名单哈希 public_candidates_hash", _code(draw.public_candidates_hash)),
        _row("检查人员名单哈希 pool_hash", _code(rules.get("pool_hash"))),
        _row("公开随机源", escape(rules.get("entropy_source") or "无（秘密种子在抽取前已承诺）")),
        _row("算法版本", _code(draw.algorithm)),
    ))
    body = [f"<h1>双随机抽查结果公示 · 第 {draw.id} 号抽取</h1>",
            f"<p class=state>状态：{escape(DRAW_STATE_LABELS.get(draw.state, draw.state))}</p>",
            "<h2>抽查任务</h2><table>", task_rows, "</table>",
            "<h2>抽取规则</h2><p>检查对象按信用风险分类分层，各层按比例抽取（不足一户的向上取整），"
            "每户随机匹配不少于两名持有效执法证、具备该事项检查资格且无回避情形的检查人员。依据：",
            escape("；".join(citations)), "</p>",
            "<h2>抽取前公布的承诺</h2><table>", commitment, "</table>"]
    if draw.state == DrawState.drawn:
        body += ["<h2>抽取结果</h2><table>",
                 _row("秘密种子（抽取后公开）", _code(draw.secret_seed)),
                 _row("公开随机数", escape(draw.public_entropy or "无")),
                 _row("种子 seed", _code(draw.seed)), "</table>", _targets(session, draw)]
    body += [_how_to(draw)]
    return PAGE.format(title=f"双随机抽查结果公示 第{draw.id}号", body="".join(body))


def _targets(session: Session, draw: Draw) -> str:
    rows = []
    for target in drawing.stored_targets(session, draw.id):
        inspectors = "、".join(f"{escape(i['name'])}（执法证 {escape(i['credential_number'])}）"
                              for i in target["inspectors"])
        rows.append(f"<tr><td>{target['ordinal']}</td><td>{escape(target['name'])}</td>"
                    f"<td><code>{escape(target['uscc'])}</code></td><td>{inspectors}</td></tr>")
    return ("<table class=result><thead><tr><th>序号</th><th>检查对象</th>"
            "<th>统一社会信用代码</th><th>检查人员</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


# How each algorithm picks a stratum's ⌈比例×户数⌉ targets (market_supervision/register/draws.py).
SELECTION = {
    draws.FIRST: "各层内按分值（相同时按代码）从小到大取前 ⌈比例×户数⌉ 户",
    draws.SAMPLED: (
        "各层的候选主体按代码排序，依次编号 0 … n−1；对 i = 0 … k−1（k = ⌈比例×户数⌉）取 "
        "HMAC-SHA256(种子, \"pick|\" + 层 + \"|\" + i) 的前 8 字节（大端整数）u，"
        "j = i + u mod (n − i)，交换第 i 位与第 j 位（Fisher–Yates 洗牌的前 k 步），"
        "前 k 位即该层抽中的主体；全部抽中主体按分值（相同时按代码）从小到大编号"),
}


def _how_to(draw: Draw) -> str:
    return f"""<h2>如何自行复核</h2>
<ol>
<li>下载本次抽取公布的输入数据：
<a href="/market/draws/{draw.id}/inputs.json">draw-{draw.id}.json</a>
（候选名单、检查人员及其可检查事项、回避令牌、种子与结果）。</li>
<li>下载参考脚本 <a href="/static/market_supervision/rerun.py">rerun.py</a>
（仅用 Python 标准库），运行
<code>python3 rerun.py draw-{draw.id}.json</code>。脚本核对：秘密种子与抽取前公布的哈希一致；
种子 = SHA-256("{escape(draw.algorithm)}|" + 秘密种子 + "|" + 公开随机数)；候选名单与其哈希一致；
每户分值 = HMAC-SHA256(种子, "entity|" + 代码)；每户检查人员按算法重新匹配后与公布结果一致。</li>
<li>算法（{escape(draw.algorithm)}）：{SELECTION.get(draw.algorithm, "")}；检查人员依次取
HMAC-SHA256(种子, "pair|" + 代码 + "|" + j) 的前 8 字节对名单长度取模，跳过已选、回避、无资格者，
直至不少于两人且覆盖全部抽查事项（连续 64 次不中则在合格者中取模）。</li>
<li>信用风险分类属内部信息，不予公开；分层抽取部分可由监督机关以内部数据用同一脚本复核。</li>
</ol>"""


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/market_supervision/draw.css">
</head><body><main>{body}</main></body></html>"""
