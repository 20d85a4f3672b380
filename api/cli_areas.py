"""`gridgov areas …`: the area hierarchy (geo/): import a boundary file, check the coverage,
count the areas of each level."""

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli_output import err
from api.cli_output import fail as _fail
from core.db import session_scope
from core.errors import DomainError
from core.progress import stage_bars
from core.settings import get_settings
from geo.enums import AreaLevel

areas_app = typer.Typer(help="The area hierarchy: import, check, count.", no_args_is_help=True)


@areas_app.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(help="GeoJSON, Shapefile or GeoPackage")],
    level: Annotated[AreaLevel, typer.Option(help="level of every feature in the file")],
    crs: Annotated[str | None, typer.Option(help="source CRS: EPSG:xxxx, gcj02 or bd09")] = None,
    parent: Annotated[str | None, typer.Option(help="code every feature must extend")] = None,
    background: Annotated[bool, typer.Option("--background",
                                             help="run on a Celery worker")] = False,
) -> None:
    """Import a boundary file; all of it or, with the reasons, none of it."""
    if background:
        return _import_in_background(file, level, crs, parent)
    from geo.importer import import_areas

    try:
        with stage_bars(err) as update, session_scope() as session:
            report = import_areas(
                session, path=file, level=level, crs=crs, parent_code=parent,
                tolerance_m2=get_settings().area_tolerance_m2, actor="cli",
                progress=lambda done, total: update("import", done, total))
    except DomainError as exc:
        _fail(exc)
    err.print(f"imported {report.imported} {report.level} area(s) "
              f"from {escape(str(file))} ({report.crs})")


def _import_in_background(file: Path, level: AreaLevel, crs: str | None,
                          parent: str | None) -> None:
    from geo.tasks import import_areas_task

    result = import_areas_task.delay(str(file.resolve()), str(level), crs, parent)
    err.print(f"task {result.id} queued")
    with stage_bars(err) as update:
        while not result.ready():
            if result.state == "PROGRESS":
                update("import", result.info["done"], result.info["total"])
            time.sleep(0.2)
    outcome = result.get(propagate=True)
    if outcome["status"] != "imported":
        err.print(f"[red]error:[/red] {escape(outcome['detail'])}")
        raise typer.Exit(2)
    err.print(f"imported {outcome['imported']} {outcome['level']} area(s) ({outcome['crs']})")


@areas_app.command("check")
def areas_check(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    tolerance: Annotated[float | None, typer.Option(help="m² below which to ignore")] = None,
    prefix: Annotated[str | None, typer.Option(help="check only codes starting so")] = None,
) -> None:
    """Find gaps, overlaps and children outside their parent. Exit 1 when any is found."""
    from geo.coverage import check_coverage

    tolerance = get_settings().area_tolerance_m2 if tolerance is None else tolerance
    with session_scope() as session:
        report = check_coverage(session, tolerance_m2=tolerance, prefix=prefix)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        _print_coverage(report)
    raise typer.Exit(0 if report.clean else 1)


def _print_coverage(report) -> None:
    console = Console()
    if report.clean:
        console.print("[green]clean:[/green] no gap, overlap or child outside its parent")
        return
    for kind, findings in report.as_dict().items():
        if not findings:
            continue
        table = Table(title=f"{kind} ({len(findings)})")
        for column in ("codes", "area m²", "point (lon, lat)"):
            table.add_column(column)
        for f in findings:
            table.add_row(", ".join(f["codes"]), f"{f['area_m2']:,.1f}",
                          f"{f['point'][0]:.6f}, {f['point'][1]:.6f}")
        console.print(table)


@areas_app.command("count")
def areas_count(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """How many areas each level has."""
    from geo.service import count_by_level

    with session_scope() as session:
        counts = count_by_level(session)
    if as_json:
        print(json.dumps(counts))
    else:
        for level, count in counts.items():
            print(f"{level:<9}{count:>9,}")
