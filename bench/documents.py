"""文书, exports and imports benchmark (issue 13: "a decision PDF in under 300 ms").

    .venv/bin/python bench/documents.py [--pdfs 40] [--rows 100000]

On the bench's city database (bench/datasets.py), inside one transaction rolled back at
the end (nothing stays), after a warm-up, it times:

  render          core.documents.render_pdf of a 行政处罚决定书 (fields, legal text, QR
                  code), the font prepared once per process (core/documents/fonts.py)
  render, naive   the same PDF with fpdf2 parsing and subsetting the whole CJK font each
                  time (what the code would do without fonts.py): the render's baseline
  lock            issue + lock + flush: number taken (counter upsert), PDF rendered,
                  hash, row written, audit; vs bare SQL: the counter upsert and an INSERT
                  of a row with the same JSONB body and a PDF-sized bytea
  verify          public_view by token + the page's HTML; vs bare SQL: the SELECT by token
  export xlsx/csv core.exports of `--rows` rows of 8 columns; vs bare SQL fetching them
  import csv      core.imports.run_import of `--rows` rows (USCC checked per row, unique
                  in file, written by executemany INSERT into a temp table); vs bare SQL:
                  the same executemany INSERT of already-parsed rows

and prints p50/p95 (or the total) and each as a ratio to its baseline. The machine is
shared (2 cores, several engineers): absolute figures are noisy; the ratios less so.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.datasets import ensure  # noqa: E402
from core import exports, imports  # noqa: E402
from core.documents import fonts, issue, lock, numbering, public_view  # noqa: E402
from core.documents.page import verification_page  # noqa: E402
from core.documents.render import Printable, render_pdf  # noqa: E402
from core.settings import get_settings  # noqa: E402
from core.uscc import make_uscc, organisation_check_character, uscc_problem  # noqa: E402
from core.workflow.clocks import Subject  # noqa: E402

console = Console()
AREA = "430202"
FIELDS = {
    "party_name": "株洲市荷塘区某某餐饮管理有限公司", "party_credit_code": "91350100M000100Y43",
    "legal_representative": "王某某", "party_address": "株洲市荷塘区新华西路188号",
    "facts": "经查，当事人于2026年10月12日至11月3日在荷塘区新华西路店外人行道摆放桌椅经营，"
             "占用城市道路约二十平方米，经执法人员当场责令改正后仍未改正。" * 3,
    "evidence": "1.现场检查（勘验）笔录；2.现场照片六张；3.询问笔录；4.营业执照复印件。",
    "violated_basis": "《城市市容和环境卫生管理条例》第十四条",
    "penalty_basis": "《城市市容和环境卫生管理条例》第三十六条第（二）项",
    "penalty": "1.责令立即改正；2.罚款人民币伍佰元。", "fine": 50000,
    "payment_account": "株洲市荷塘区财政局非税收入汇缴结算户",
    "review_body": "株洲市荷塘区人民政府",
    "court": "株洲市荷塘区人民法院",
}


def timed(call, n: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def once(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def naive_render() -> bytes:
    """The decision with the font parsed and subset whole, as fpdf2 does by default."""
    from fpdf import FPDF

    source = fonts.font_file()
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=source.path, collection_font_number=source.index)
    pdf.add_page()
    pdf.set_font("cjk", size=12)
    for key, value in FIELDS.items():
        pdf.multi_cell(0, 7.5, f"{key}：{value}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    engine = create_engine(ensure("city"))
    settings = get_settings()
    rows: list[tuple[str, str, str, str]] = []

    def add(name, values, baseline_name=None, baseline=None, total=False):
        if total:
            rows.append((name, f"{values:,.0f} ms total", baseline_name or "",
                         f"{values / baseline:.2f}×" if baseline else ""))
            return
        p50, p95 = percentile(values, 50), percentile(values, 95)
        ratio = f"{p50 / statistics.median(baseline):.2f}× (p50)" if baseline else ""
        rows.append((name, f"p50 {p50:,.1f} / p95 {p95:,.1f} ms", baseline_name or "", ratio))

    fonts.warm()
    printable = Printable(kind="penalty_decision", unit_name="株洲市荷塘区综合行政执法局",
                          body=FIELDS, number="株荷综执罚决字〔2026〕第0001号",
                          dated=datetime.now(UTC), verify_url="https://gov.example.cn/verify/"
                          + "x" * 32)
    naive = timed(naive_render, max(5, args.pdfs // 4), warmup=1)
    add("render, naive (baseline)", naive)
    add("render_pdf (decision)", timed(lambda: render_pdf(printable), args.pdfs), "naive",
        naive)

    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        unit = session.scalar(text(
            "INSERT INTO unit (code, name, kind, platform, seat_code) VALUES ('bench-docs', "
            "'株洲市荷塘区综合行政执法局', 'department', 'grid', :a) RETURNING id"), {"a": AREA})
        numbering.set_rule(session, unit_id=unit, agency="株荷综执", actor="bench")
        pdf_bytes = render_pdf(printable)
        session.execute(text("CREATE TEMP TABLE bench_doc (body jsonb, pdf bytea, token text)"))

        def bare_lock():
            session.execute(text(
                "INSERT INTO document_counter (unit_id, kind, year, last_serial) "
                "VALUES (:u, 'bench', 2026, 1) ON CONFLICT (unit_id, kind, year) "
                "DO UPDATE SET last_serial = document_counter.last_serial + 1 "
                "RETURNING last_serial"), {"u": unit})
            session.execute(text("INSERT INTO bench_doc VALUES (CAST(:b AS jsonb), :p, 't')"),
                            {"b": __import__("json").dumps(FIELDS), "p": pdf_bytes})

        bare = timed(bare_lock, args.pdfs)
        add("bare SQL: counter + row", bare)
        tokens = []

        def full_lock():
            draft = issue(session, subject=Subject("bench_case", 1), kind="penalty_decision",
                          unit_id=unit, fields=FIELDS, actor="bench")
            tokens.append(lock(session, draft, "bench", settings=settings).verify_token)

        add("issue + lock", timed(full_lock, args.pdfs), "bare SQL", bare)

        token = tokens[-1]
        bare_select = timed(lambda: session.execute(text(
            "SELECT d.number, d.sha256, u.name FROM document d JOIN unit u ON u.id = d.unit_id "
            "WHERE d.verify_token = :t"), {"t": token}).one(), 200)
        add("bare SQL: by token", bare_select)
        add("verify page (view + HTML)", timed(
            lambda: verification_page(public_view(session, token), asked="0" * 64), 200),
            "bare SQL", bare_select)

        fetch_sql = text("SELECT n, 'code' || n AS code, '某某市场主体' || n AS name, "
                         "n * 100 AS fen, now() AS at, 'open' AS state, n % 7 AS k, "
                         "'备注' AS note FROM generate_series(1, :n) n")
        fetched = once(lambda: session.execute(fetch_sql, {"n": args.rows}).mappings().all())
        add(f"bare SQL: fetch {args.rows:,} rows", fetched, total=True)
        columns = (exports.Column("序号", "n"), exports.Column("代码", "code"),
                   exports.Column("名称", "name"),
                   exports.Column("金额（元）", "fen", exports.yuan),
                   exports.Column("时间", "at", exports.moment_text),
                   exports.Column("状态", "state", exports.labelled({"open": "办理中"})),
                   exports.Column("类", "k"), exports.Column("备注", "note"))

        def export(kind):
            data = session.execute(fetch_sql, {"n": args.rows}).mappings()
            if kind == "xlsx":
                exports.write_xlsx(data, columns).close()
            else:
                for _ in exports.csv_bytes(data, columns):
                    pass

        add("export xlsx (fetch included)", once(lambda: export("xlsx")), "fetch", fetched,
            total=True)
        add("export csv (fetch included)", once(lambda: export("csv")), "fetch", fetched,
            total=True)

        codes = [make_uscc(f"91430202{n:08d}{organisation_check_character(f'{n:08d}')}")
                 for n in range(args.rows)]
        csv_data = ("统一社会信用代码,名称,类型\r\n" + "".join(
            f"{code},某某公司{n},企业\r\n" for n, code in enumerate(codes))).encode("utf-8-sig")
        session.execute(text("CREATE TEMP TABLE bench_import (uscc text, name text, kind text)"))
        insert = text("INSERT INTO bench_import VALUES (:uscc, :name, :kind)")
        parsed = [{"uscc": c, "name": f"某某公司{n}", "kind": "企业"} for n, c in enumerate(codes)]
        bare_insert = once(lambda: session.execute(insert, parsed))
        add(f"bare SQL: insert {args.rows:,} rows", bare_insert, total=True)
        session.execute(text("TRUNCATE bench_import"))
        import_columns = (imports.ImportColumn("uscc", ("统一社会信用代码",)),
                          imports.ImportColumn("name", ("名称",)),
                          imports.ImportColumn("kind", ("类型",)))

        def check(row, number):
            if uscc_problem(row["uscc"]):
                yield imports.Problem("uscc", "校验不通过", "uscc_invalid")

        add("import csv (parse, check, write)", once(lambda: imports.run_import(
            session, data=csv_data, columns=import_columns, validate=check, unique=("uscc",),
            write=lambda s, batch: s.execute(insert, batch) and None)), "insert", bare_insert,
            total=True)
        session.close()
        transaction.rollback()

    table = Table(title="文书, exports, imports (shared 2-core machine: noisy absolute figures)")
    for column in ("what", "time", "baseline", "ratio"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
