"""便民服务 benchmarks (issue 15: "the catalogue search under 50 ms with 3,000 items"; "a QR
guide page under 300 ms on a phone profile in Chromium").

    .venv/bin/python bench/convenience.py [--items 3000] [--queries 400] [--pages 200]
                                          [--browser] [--loads 20]

On the bench's city database (bench/datasets.py), inside one transaction rolled back at
the end (nothing stays), it loads the demo catalogue (~300 items) and synthetic items up
to `--items` (names from the demo's, with other 办理项 and places, codes of their own),
ANALYZEs, then times, for the same queries after a warm-up:

  search       convenience.services.catalogue.search: the API's work without HTTP (the
               trigram-indexed LIKE on codes, name and department; the department join;
               the ranking; the dicts)
  bare SQL     SELECT id FROM svc_item WHERE search_text LIKE '%q%' LIMIT 50 (the index
               alone: the baseline)

and the guide page's server-side render (the item, its materials, the HTML and the QR
code's SVG) against its bare SQL (the item's row and its materials' rows).

`--browser` (slow): the rows are committed instead (under codes starting BENCH, removed
at the end), the app is served by uvicorn, and Debian's Chromium (Playwright) loads the
guide page `--loads` times with a phone profile (Pixel 7 viewport, touch, mobile user
agent; `--cpu-slowdown` CPU throttling through the DevTools protocol, default 4x),
reporting the navigation's
responseEnd and loadEventEnd.

Figures are p50/p95/mean in ms and ratios to the baseline. The machine has 2 cores shared
by several engineers: absolute figures are noisy; the ratios less so.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.datasets import ensure  # noqa: E402
from core import platforms  # noqa: E402

CITY = "430200"
console = Console()
PLACES = ("荷塘区", "芦淞区", "石峰区", "天元区", "渌口区", "醴陵市", "攸县", "茶陵县", "炎陵县")
STEPS = ("（新办）", "（变更）", "（延续）", "（注销）", "（补证）", "（迁移）", "（恢复）")


def synthetic_rows(base: list[dict], total: int, seed: int, prefix: str) -> list[dict]:
    """Items up to `total`: the demo's names with other places and steps, own codes."""
    rng = random.Random(seed)
    rows = []
    for n in range(total - len(base)):
        source = rng.choice(base)
        name = source["name"].split("（")[0]
        code = f"{prefix}{n:07d}"
        rows.append({**source, "item_code": code, "impl_code": f"{prefix}IMPL{n:07d}",
                     "name": f"{name}{rng.choice(STEPS)}（{rng.choice(PLACES)}）"})
    return rows


def load(session: Session, *, items: int, seed: int, prefix: str) -> list[dict]:
    from convenience.services.demo import _insert_items, catalogue_rows

    base = catalogue_rows(CITY, seed=seed)
    session.execute(text("""
        INSERT INTO department (code, name) SELECT * FROM (VALUES
          ('civil_affairs', '民政局'), ('hrss', '人力资源和社会保障局'),
          ('medical_security', '医疗保障局'), ('education', '教育局'),
          ('disabled', '残疾人联合会'), ('water', '水利局'), ('tax', '税务局'),
          ('veterans', '退役军人事务局')) d ON CONFLICT (code) DO NOTHING"""))
    names = dict(session.execute(text("SELECT code, name FROM department")).all())
    rows = [dict(r, item_code=f"{prefix}{r['item_code']}", impl_code=f"{prefix}{r['impl_code']}")
            for r in base]
    rows += synthetic_rows(rows, items, seed, prefix)
    _insert_items(session, rows, names)
    session.execute(text("ANALYZE svc_item; ANALYZE svc_material"))
    return rows


def queries(rows: list[dict], n: int, seed: int) -> list[str]:
    """What residents and clerks type: 2-4 characters of a name, a department, a code."""
    rng = random.Random(seed)
    fixed = ["许可", "登记", "食品经营", "社会保障卡", "不动产", "低保", "最低生活保障",
             "人力资源", "卫生健康", "出生", "养老保险", "公共场所卫生许可", "注销", "补证"]
    out = list(fixed)
    while len(out) < n:
        row = rng.choice(rows)
        kind = rng.random()
        if kind < .6:
            name = row["name"]
            start = rng.randrange(max(len(name) - 4, 1))
            out.append(name[start:start + rng.choice((2, 3, 4))])
        elif kind < .85:
            out.append(row["item_code"][-8:])
        else:
            out.append(row["name"][:6])
    return out[:n]


def timed(call, items: list, warmup: int = 30) -> list[float]:
    for item in items[:warmup]:
        call(item)
    out = []
    for item in items:
        started = time.perf_counter()
        call(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(name: str, ms: list[float], baseline: list[float] | None) -> list[str]:
    p50, p95 = statistics.median(ms), statistics.quantiles(ms, n=20)[-1]
    mean = statistics.fmean(ms)
    ratio = f"{mean / statistics.fmean(baseline):.2f}×" if baseline else "1.00× (baseline)"
    return [name, f"{p50:.2f}", f"{p95:.2f}", f"{mean:.2f}", ratio]


def bench_search(session: Session, qs: list[str]) -> tuple[list[float], list[float]]:
    from convenience.services.catalogue import escape_like, search

    bare = timed(lambda q: session.execute(text(
        "SELECT id FROM svc_item WHERE search_text LIKE :p LIMIT 50"),
        {"p": f"%{escape_like(q.lower())}%"}).all(), qs)
    service = timed(lambda q: search(session, q=q), qs)
    return service, bare


def bench_guide(session: Session, impl_codes: list[str], settings) -> tuple[list, list]:
    from convenience.services import catalogue, pages

    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(settings=settings)),
                              base_url="https://bench.example/")

    def render(code: str) -> int:
        item = catalogue.get_item(session, impl_code=code)
        return len(pages._page(item.name, pages._guide_body(session, item, request)).body)

    def bare(code: str) -> None:
        item = session.execute(text("SELECT * FROM svc_item WHERE impl_code = :c"),
                               {"c": code}).one()
        session.execute(text("SELECT * FROM svc_material WHERE item_id = :id "
                             "ORDER BY position"), {"id": item.id}).all()

    return timed(render, impl_codes), timed(bare, impl_codes)


def bench_browser(url: str, impl_codes: list[str], loads: int, slowdown: float
                  ) -> list[dict]:
    """Chromium with a phone profile loads the guide page; the navigation's timings."""
    from playwright.sync_api import sync_playwright

    from bench.harness import Server
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    results = []
    server = Server(url, "convenience")
    try:
        _browse(server, playwright_factory=sync_playwright, impl_codes=impl_codes,
                loads=loads, results=results, chromium=(CHROMIUM, CHROMIUM_ARGS),
                slowdown=slowdown)
    finally:
        server.stop()
    return results


def _browse(server, *, playwright_factory, impl_codes, loads, results, chromium,
            slowdown: float) -> None:
    import json

    from bench.harness import DATA

    executable, arguments = chromium
    with playwright_factory() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=arguments)
        phone = playwright.devices["Pixel 7"]
        context = browser.new_context(**phone)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
        for number, code in enumerate((impl_codes * loads)[:loads]):
            page.goto(f"{server.base}/convenience/guide/{code}", wait_until="load")
            if number == 0:
                DATA.mkdir(exist_ok=True)
                page.screenshot(path=str(DATA / "convenience-guide-phone.png"), full_page=True)
            entry = json.loads(page.evaluate(
                "JSON.stringify(performance.getEntriesByType('navigation')[0])"))
            results.append({"response_end": entry["responseEnd"],
                            "load": entry["loadEventEnd"]})
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--cpu-slowdown", type=float, default=4.0,
                        help="Chromium's CPU throttling rate (1: none)")
    args = parser.parse_args()
    url = ensure("city")
    platforms.load()
    from core.settings import get_settings

    settings = get_settings()
    engine = create_engine(url)
    prefix = "BENCH"
    with Session(engine) as session:
        rows = load(session, items=args.items, seed=args.seed, prefix=prefix)
        count = session.scalar(text("SELECT count(*) FROM svc_item"))
        qs = queries(rows, args.queries, args.seed)
        search_ms, bare_ms = bench_search(session, qs)
        codes = [r["impl_code"] for r in random.Random(args.seed).sample(rows, args.pages)]
        guide_ms, guide_bare_ms = bench_guide(session, codes, settings)
        plan = "\n".join(session.execute(text(
            "EXPLAIN ANALYZE SELECT id FROM svc_item WHERE search_text LIKE '%食品经营%' "
            "LIMIT 50")).scalars())
        browser = None
        if args.browser:
            session.commit()
            try:
                browser = bench_browser(url, codes[:5], args.loads, args.cpu_slowdown)
            finally:
                session.execute(text("DELETE FROM svc_item WHERE impl_code LIKE :p"),
                                {"p": f"{prefix}%"})
                session.commit()
        else:
            session.rollback()
    table = Table(title=f"便民服务: {count} items, {len(qs)} searches, {len(codes)} guide pages")
    for column in ("method", "p50 ms", "p95 ms", "mean ms", "vs baseline"):
        table.add_column(column)
    table.add_row(*summary("search (service)", search_ms, bare_ms))
    table.add_row(*summary("search bare SQL", bare_ms, None))
    table.add_row(*summary("guide page render", guide_ms, guide_bare_ms))
    table.add_row(*summary("guide bare SQL", guide_bare_ms, None))
    console.print(table)
    console.print(plan)
    if browser:
        responses = [r["response_end"] for r in browser]
        loads = [r["load"] for r in browser]
        console.print(f"Chromium, Pixel 7 profile, {args.cpu_slowdown:g}x CPU slowdown, "
                      f"{len(browser)} loads: "
                      f"responseEnd p50 {statistics.median(responses):.0f} ms, "
                      f"load p50 {statistics.median(loads):.0f} ms, "
                      f"max {max(loads):.0f} ms")


if __name__ == "__main__":
    main()
