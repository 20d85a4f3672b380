"""The `gridgov` command line (api/cli.py), driven by typer's CliRunner and, once, as the
installed console script in a subprocess.

The CLI opens its own sessions and commits, so whatever a test plants is committed under
the synthetic city 980100 (lon 102.0–102.2, lat 40.0–40.1) and deleted in a `finally`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely import Point
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from core.db import get_engine
from geo.crs import wgs84_to_gcj02
from geo.enums import LEVELS, AreaLevel
from tests.geo.fixtures.boundaries import delete_subtree, feature, plant, rect, write_boundaries

PREFIX = "9801"
CITY = "980100"
CITY_BOX = rect(102.0, 40.0, 102.2, 40.1)
WEST, EAST = "980101", "980102"
WEST_BOX, EAST_BOX = rect(102.0, 40.0, 102.1, 40.1), rect(102.1, 40.0, 102.2, 40.1)


@pytest.fixture
def cli(database_url):
    """Run the CLI in-process against the test database (DATABASE_URL is exported by the
    `database_url` fixture; the cached engine is reset so it is the one used)."""
    get_engine.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(arg) for arg in args])

    yield run
    get_engine().dispose()
    get_engine.cache_clear()


@pytest.fixture
def committed(engine):
    """Plant committed areas under 9801; the whole 9801 subtree is deleted afterwards."""
    def plant_committed(*areas):
        with Session(engine) as session:
            plant(session, areas)
            session.commit()

    try:
        yield plant_committed
    finally:
        with engine.begin() as connection:
            delete_subtree(connection, PREFIX)


def codes_in_database(engine, prefix: str = PREFIX) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(
            text("SELECT code FROM area WHERE code LIKE :prefix || '%' ORDER BY code"),
            {"prefix": prefix}).scalars())


def counts_in_database(engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT level, count(*) FROM area GROUP BY level"))
        counts = dict(rows.all())
    return {str(level): counts.get(str(level), 0) for level in LEVELS}


def one_line(output: str) -> str:
    """Rich wraps stderr at 80 columns; join the lines back for substring checks."""
    return " ".join(output.split())


# --- areas count --------------------------------------------------------------------


def test_count_json_prints_one_object_with_the_five_levels(cli, engine):
    result = cli("areas", "count", "--json")

    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert list(counts) == ["city", "county", "township", "village", "grid"]
    assert counts == counts_in_database(engine)


def test_count_follows_the_database(cli, engine, committed):
    before = json.loads(cli("areas", "count", "--json").stdout)
    committed((CITY, AreaLevel.city, CITY_BOX), (WEST, AreaLevel.county, WEST_BOX),
              (EAST, AreaLevel.county, EAST_BOX))

    after = json.loads(cli("areas", "count", "--json").stdout)

    assert after == {**before, "city": before["city"] + 1, "county": before["county"] + 2}


def test_count_without_json_prints_a_line_per_level(cli, engine):
    result = cli("areas", "count")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [str(level) for level in LEVELS]
    expected = counts_in_database(engine)
    assert [int(line.split()[1].replace(",", "")) for line in lines] == list(expected.values())


def test_the_installed_console_script_counts(database_url, engine):
    """`gridgov` as installed in the venv, in its own process, reading DATABASE_URL."""
    script = Path(sys.executable).with_name("gridgov")
    assert script.exists(), f"{script} is not installed (pip install -e .)"

    completed = subprocess.run([str(script), "areas", "count", "--json"], capture_output=True,
                               text=True, timeout=120,
                               env={**os.environ, "DATABASE_URL": database_url})

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == counts_in_database(engine)


# --- areas check --------------------------------------------------------------------


def test_check_json_on_a_clean_database_exits_0_with_three_empty_lists(cli):
    result = cli("areas", "check", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"gaps": [], "overlaps": [], "outside_parent": []}


def test_check_exits_1_after_a_planted_overlap(cli, committed):
    """The east county reaches 0.01° into the west one (both inside the city)."""
    committed((CITY, AreaLevel.city, CITY_BOX), (WEST, AreaLevel.county, WEST_BOX),
              (EAST, AreaLevel.county, rect(102.09, 40.0, 102.2, 40.1)))

    result = cli("areas", "check", "--json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    overlaps = [f for f in report["overlaps"] if f["codes"][0].startswith(PREFIX)]
    assert [sorted(f["codes"]) for f in overlaps] == [[WEST, EAST]]
    assert overlaps[0]["area_m2"] == pytest.approx(9.5e6, rel=0.05)  # 0.01° × 0.1° at lat 40
    assert 102.09 < overlaps[0]["point"][0] < 102.1


def test_check_prefix_and_tolerance_narrow_the_check(cli, committed):
    committed((CITY, AreaLevel.city, CITY_BOX), (WEST, AreaLevel.county, WEST_BOX),
              (EAST, AreaLevel.county, rect(102.09, 40.0, 102.2, 40.1)))

    assert cli("areas", "check", "--json", "--prefix", PREFIX).exit_code == 1
    assert cli("areas", "check", "--json", "--prefix", "9802").exit_code == 0
    assert cli("areas", "check", "--json", "--prefix", PREFIX,
               "--tolerance", "1e8").exit_code == 0


def test_check_without_json_prints_a_table_of_findings(cli, committed):
    committed((CITY, AreaLevel.city, CITY_BOX), (WEST, AreaLevel.county, WEST_BOX),
              (EAST, AreaLevel.county, rect(102.09, 40.0, 102.2, 40.1)))

    result = cli("areas", "check", "--prefix", PREFIX)

    assert result.exit_code == 1
    assert "overlaps (1)" in result.stdout
    assert f"{WEST}, {EAST}" in result.stdout


# --- areas import -------------------------------------------------------------------


def test_import_of_a_good_file_writes_and_commits_it(cli, engine, committed, tmp_path):
    committed((CITY, AreaLevel.city, CITY_BOX))
    path = write_boundaries(tmp_path / "counties.gpkg",
                            [feature(WEST, WEST_BOX), feature(EAST, EAST_BOX)])

    result = cli("areas", "import", path, "--level", "county", "--parent", CITY)

    assert result.exit_code == 0, result.output
    assert f"imported 2 county area(s) from {path} (EPSG:4326)" in one_line(result.stderr)
    assert codes_in_database(engine) == [CITY, WEST, EAST]
    with engine.connect() as connection:
        parents = connection.execute(text(
            "SELECT DISTINCT p.code FROM area c JOIN area p ON p.id = c.parent_id "
            "WHERE c.code IN (:west, :east)"), {"west": WEST, "east": EAST}).scalars().all()
    assert parents == [CITY]


def test_import_with_a_declared_crs(cli, engine, committed, tmp_path):
    committed((CITY, AreaLevel.city, CITY_BOX))
    gcj_west = shapely.transform(
        WEST_BOX, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    path = write_boundaries(tmp_path / "gcj.geojson", [feature(WEST, gcj_west)], crs=None)

    result = cli("areas", "import", path, "--level", "county", "--crs", "gcj02")

    assert result.exit_code == 0, result.output
    assert "(gcj02)" in one_line(result.stderr)
    with engine.connect() as connection:
        west, south, east, north = connection.execute(text(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM area "
            "WHERE code = :code"), {"code": WEST}).one()
    assert (west, south, east, north) == pytest.approx((102.0, 40.0, 102.1, 40.1), abs=1e-8)


def test_import_of_a_bad_file_exits_2_names_the_feature_and_writes_nothing(
        cli, engine, committed, tmp_path):
    """One good county and one given as a point: exit 2, the point's code in the message,
    and neither county in the database (read through a fresh connection)."""
    committed((CITY, AreaLevel.city, CITY_BOX))
    path = write_boundaries(tmp_path / "bad.geojson",
                            [feature(WEST, WEST_BOX), feature(EAST, Point(102.15, 40.05))])

    result = cli("areas", "import", path, "--level", "county")

    assert result.exit_code == 2, result.output
    message = one_line(result.stderr)
    assert "error: bad.geojson: nothing imported" in message
    assert f"feature 2 (code {EAST}): geometry is Point" in message
    assert codes_in_database(engine) == [CITY]


def test_import_of_a_child_outside_its_parent_exits_2(cli, engine, committed, tmp_path):
    committed((CITY, AreaLevel.city, CITY_BOX))
    too_wide = rect(102.1, 40.0, 102.3, 40.1)
    path = write_boundaries(tmp_path / "wide.geojson",
                            [feature(WEST, WEST_BOX), feature(EAST, too_wide)])

    result = cli("areas", "import", path, "--level", "county")

    assert result.exit_code == 2, result.output
    assert f"feature code {EAST}:" in one_line(result.stderr)
    assert "lies outside its parent" in one_line(result.stderr)
    assert codes_in_database(engine) == [CITY]


@pytest.mark.parametrize(("args", "expected"), [
    (["--crs", "EPSG:999999"], "unknown CRS 'EPSG:999999'"),
    (["--parent", "980199"], "parent 980199 does not exist"),
], ids=["unknown-crs", "missing-parent"])
def test_import_with_bad_options_exits_2(cli, engine, committed, tmp_path, args, expected):
    committed((CITY, AreaLevel.city, CITY_BOX))
    path = write_boundaries(tmp_path / "counties.geojson", [feature(WEST, WEST_BOX)])

    result = cli("areas", "import", path, "--level", "county", *args)

    assert result.exit_code == 2, result.output
    assert expected in one_line(result.stderr)
    assert codes_in_database(engine) == [CITY]


def test_import_of_a_missing_file_exits_2(cli, tmp_path):
    result = cli("areas", "import", tmp_path / "nowhere.geojson", "--level", "county")

    assert result.exit_code == 2, result.output
    assert "no such file" in one_line(result.stderr)


def test_import_of_an_unknown_level_is_a_usage_error(cli, tmp_path):
    path = write_boundaries(tmp_path / "counties.geojson", [feature(WEST, WEST_BOX)])

    result = cli("areas", "import", path, "--level", "province")

    assert result.exit_code == 2
    assert "province" in result.output


def test_import_error_text_is_printed_verbatim(cli, engine, committed, tmp_path):
    """A code in the file that looks like Rich markup ('[/b]') must be shown as written,
    with exit 2 — not parsed as markup (which raises MarkupError, a traceback, exit 1)."""
    committed((CITY, AreaLevel.city, CITY_BOX))
    path = write_boundaries(tmp_path / "markup.geojson", [feature("[/b]", WEST_BOX)])

    result = cli("areas", "import", path, "--level", "county")

    assert result.exit_code == 2, repr(result.exception)
    assert "code '[/b]' must be digits only" in one_line(result.stderr)
    assert codes_in_database(engine) == [CITY]


def test_users_create_makes_an_account_that_can_log_in(cli, engine, demo_city, settings):
    """The first admin comes from the command line; a weak password is refused with exit 2.

    The login runs on an app with sessions of its own (committed), like the real server.
    """
    from fastapi.testclient import TestClient

    from api.app import create_app

    weak = cli("users", "create", "--username", "cli_admin_weak", "--password", "short",
               "--role", "admin", "--scope", "430200")
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output
    made = cli("users", "create", "--username", "cli_admin", "--password", "Tianyuan-2026-ok",
               "--role", "admin", "--scope", "430200")
    try:
        assert made.exit_code == 0, made.output
        with TestClient(create_app(settings)) as server:
            login = server.post("/api/v1/auth/token",
                                data={"username": "cli_admin", "password": "Tianyuan-2026-ok"})
        assert login.status_code == 200 and login.json()["token_type"] == "bearer"
    finally:
        with Session(engine) as session:
            session.execute(text("DELETE FROM app_user WHERE username LIKE 'cli_admin%'"))
            session.commit()
