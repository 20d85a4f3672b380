"""The 现场笔录's PDF (enforcement/cases/records.py): with the party's and the officer's
signatures printed as images, against the 行政处罚决定书 of the same case rendered in the
same process (the issue's 300 ms goal is the decision PDF's). Pure rendering, no database:
`.venv/bin/python -m bench.enforcement_site_record`."""

import base64
import io
import statistics
import time

from PIL import Image

from core.documents.render import Printable, render_pdf
from enforcement.cases.documents import register_templates

RUNS = 15
UNIT = "测试城管执法大队"
COMMON = {"party_name": "张三", "case_title": "占道经营", "case_ref": "ZF00000001"}
FACTS = "当事人在人民路人行道上摆摊经营水果，占用人行道约六平方米。" * 6


def _signature() -> str:
    """A phone's signature pad's size (api/static/field/photos.js: 600 × 220)."""
    buffer = io.BytesIO()
    Image.new("RGB", (600, 220), (255, 255, 255)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _documents() -> tuple[Printable, Printable]:
    record = Printable("enf_site_record", UNIT, {
        **COMMON, "recorded_at": "2026年12月01日 10:30", "place": "人民路18号门前",
        "officers": "李四", "evidence_id": 1, "record": FACTS,
        "party_signature": _signature(), "officer_signature": _signature()},
        number="测综执现笔字〔2026〕第0001号", verify_url="https://example.org/verify/x")
    decision = Printable("enf_decision", UNIT, {
        **COMMON, "facts": FACTS, "legal_basis": "《城市道路管理条例》第四十二条",
        "penalty": "罚款", "fine": 50_000},
        number="测综执罚决字〔2026〕第0001号", verify_url="https://example.org/verify/x")
    return record, decision


def _median_ms(document: Printable) -> float:
    render_pdf(document)  # the font subset's first build is not the steady state
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        render_pdf(document)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    register_templates()
    record, decision = _documents()
    baseline, measured = _median_ms(decision), _median_ms(record)
    print(f"decision PDF median {baseline:.1f} ms; 现场笔录 with two signatures "
          f"{measured:.1f} ms; ratio {measured / baseline:.2f}")


if __name__ == "__main__":
    main()
