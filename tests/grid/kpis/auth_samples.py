"""The authorization matrix's samples for the KPI rankings and report (grid/kpis/router.py
/kpis/units, /kpis/workers, /kpis/report.pdf), merged by tests/api/test_authorization.py
into its `SAMPLES`: an area inside the actor's territory answers, one outside is 404. No
grants of its own (kpi:read is the grid's, in the matrix's core table)."""

from typing import Any


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


def _ranking(path: str):
    def build(ctx, inside: bool):
        code = ctx.actor.inside if inside else ctx.actor.outside

        def check(body):
            assert body["subject"]["code"] == code
        return _call("GET", path, params={"area": code}, check=check)
    return build


def _report(ctx, inside: bool):
    """The PDF report (grid/kpis/report.py): an area inside answers a PDF (its content is
    read in tests/api/test_kpi_report_pdf.py), one outside is 404."""
    code = ctx.actor.inside if inside else ctx.actor.outside
    return _call("GET", "/api/v1/kpis/report.pdf", params={"area": code})


AUTH_SAMPLES = {
    ("GET", "/api/v1/kpis/report.pdf"): ("NOT_FOUND", _report),
    ("GET", "/api/v1/kpis/units"): ("NOT_FOUND", _ranking("/api/v1/kpis/units")),
    ("GET", "/api/v1/kpis/workers"): ("NOT_FOUND", _ranking("/api/v1/kpis/workers")),
}
