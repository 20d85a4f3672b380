"""The entity layer's low zooms summed from market_entity_cell (migration 0024, issue 14
§6): kept current by every write to the register (insert, update, delete, an import's upsert),
and a summed tile says what counting the points says — the same clusters, counts and
centres; the risk counts only on the staff layer."""

import math
from dataclasses import replace

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from core.scope import Scope
from geo.layers.tiles import render
from market_supervision.register.layers import ENTITIES, ENTITY_RISK

TOTALS = """SELECT level, sum(n), sum(failed), sum(inspected), sum(risk_d)
            FROM market_entity_cell WHERE area_code LIKE :t || '%' GROUP BY level
            ORDER BY level"""


def _totals(session, township):
    return [tuple(row) for row in session.execute(text(TOTALS), {"t": township})]


def _expected(session, township):
    n, failed, inspected, risk_d = session.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE last_result = 'fail'), "
        "count(last_result), count(*) FILTER (WHERE risk_class = 'D') "
        "FROM market_entity WHERE area_code LIKE :t || '%'"), {"t": township}).one()
    return [(level, n, failed, inspected, risk_d) for level in (10, 11, 12, 13)]


def test_the_cells_follow_every_write(session, register):
    township = register.township
    assert _totals(session, township) == _expected(session, township)  # the inserts
    ids = register.entity_ids
    session.execute(text("UPDATE market_entity SET last_result = 'fail' WHERE id = ANY(:ids)"),
                    {"ids": ids[:7]})
    session.execute(text("UPDATE market_entity SET last_result = 'pass', risk_class = 'D' "
                         "WHERE id = ANY(:ids)"), {"ids": ids[7:12]})
    # moved far away within the register's grids: its cell changes
    session.execute(text(
        "UPDATE market_entity SET location = (SELECT ST_PointOnSurface(geom) FROM area "
        "WHERE code = :grid) WHERE id = :id"),
        {"grid": session.scalar(text("SELECT max(area_code) FROM market_entity "
                                     "WHERE id = ANY(:ids)"), {"ids": ids}), "id": ids[0]})
    session.execute(text("DELETE FROM market_entity_risk WHERE entity_id = ANY(:ids)"),
                    {"ids": ids[-3:]})
    session.execute(text("DELETE FROM market_entity WHERE id = ANY(:ids)"), {"ids": ids[-3:]})
    expected = _expected(session, township)
    assert expected[0][1:4] == (77, 7, 12)
    assert _totals(session, township) == expected


def _tile_of(lon, lat, z):
    n = 2**z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def _clusters(session, layer, z, x, y, scope):
    tile = render(session, layer=layer, scope=scope, z=z, x=x, y=y, budget=5000)
    decoded = mapbox_vector_tile.decode(tile.data) if tile.data else {}
    features = decoded.get(layer.name, {}).get("features", [])
    return {f["id"]: (f["properties"], f["geometry"]["coordinates"]) for f in features}


@pytest.mark.parametrize("z", [8, 10, 11, 12, 13])
def test_a_summed_tile_is_the_counted_tile(session, register, z):
    ids = register.entity_ids
    session.execute(text("UPDATE market_entity SET last_result = 'fail' WHERE id = ANY(:ids)"),
                    {"ids": ids[::5]})
    session.execute(text("UPDATE market_entity SET last_result = 'pass' WHERE id = ANY(:ids)"),
                    {"ids": ids[1::5]})
    lon, lat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM market_entity "
                                    "WHERE id = :id"), {"id": ids[0]}).one()
    x, y = _tile_of(lon, lat, z)
    scope = Scope.of_areas([register.county])
    for layer in (ENTITIES, ENTITY_RISK):
        counted = replace(layer, cluster=replace(layer.cluster, summary=None))
        summed = _clusters(session, layer, z, x, y, scope)
        points = _clusters(session, counted, z, x, y, scope)
        assert summed and set(summed) == set(points)
        for key, (properties, centre) in summed.items():
            assert properties == points[key][0]
            assert centre == pytest.approx(points[key][1], abs=1)  # tile pixels
        assert sum(p["count"] for p, _ in summed.values()) >= 1


def test_risk_counts_only_on_the_staff_layer(session, register):
    lon, lat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM market_entity "
                                    "WHERE id = :id"), {"id": register.entity_ids[0]}).one()
    x, y = _tile_of(lon, lat, 10)
    scope = Scope.of_areas([register.county])
    public = _clusters(session, ENTITIES, 10, x, y, scope)
    staff = _clusters(session, ENTITY_RISK, 10, x, y, scope)
    assert not any(name.startswith("risk") for p, _ in public.values() for name in p)
    assert staff and all({"risk_a", "risk_b", "risk_c", "risk_d"} <= set(p)
                         for p, _ in staff.values())
    assert sum(p["risk_d"] for p, _ in staff.values()) >= 1


def test_a_tile_outside_the_territory_sums_nothing(session, register):
    lon, lat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM market_entity "
                                    "WHERE id = :id"), {"id": register.entity_ids[0]}).one()
    x, y = _tile_of(lon, lat, 11)
    elsewhere = session.scalar(text(
        "SELECT code FROM area WHERE level = 'county' AND code <> :c ORDER BY code LIMIT 1"),
        {"c": register.county})
    assert _clusters(session, ENTITIES, 11, x, y, Scope.of_areas([elsewhere])) == {}


def test_an_import_s_upsert_is_counted_by_the_triggers(session, register):
    """A roster import's one upsert (INSERT … ON CONFLICT DO UPDATE) is counted by the
    statement triggers like any write (the bulk switch of 0024 is gone, migration 0030):
    an existing entity moved to another grid, with its result and class kept, and new
    ones, counted as counting the points counts them."""
    import csv
    import io

    from market_supervision.register.codes import issue_code
    from market_supervision.register.imports import import_entities

    township, ids = register.township, register.entity_ids
    session.execute(text("UPDATE market_entity SET last_result = 'fail' WHERE id = ANY(:ids)"),
                    {"ids": ids[:3]})
    moved = session.execute(text(
        "SELECT uscc, area_code FROM market_entity WHERE id = ANY(:ids) ORDER BY id"),
        {"ids": ids[:3]}).all()
    grid, lon, lat = session.execute(text(
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
        "WHERE level = 'grid' AND code LIKE :t || '%' AND code <> ALL(:taken) ORDER BY code "
        "LIMIT 1"), {"t": township, "taken": [a for _, a in moved]}).one()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["统一社会信用代码", "名称", "类型", "地址", "经度", "纬度", "行业"])
    rows = [(uscc, "迁入商户", "公司", "新址", lon, lat, "F52") for uscc, _ in moved]
    rows += [(issue_code("individual", register.county, 70_000 + i), f"新商户{i}",
              "个体工商户", "新路", lon, lat, "F52") for i in range(4)]
    writer.writerows(rows)
    result = import_entities(session, principal=register.manager, filename="名录.csv",
                             data=buffer.getvalue().encode("utf-8-sig"))
    assert (result.created, result.updated) == (4, 3)
    assert session.scalar(text("SELECT count(*) FROM market_entity WHERE area_code = :g "
                               "AND last_result = 'fail'"), {"g": grid}) == 3
    assert _totals(session, township) == _expected(session, township)
    assert session.scalar(text(
        "SELECT count(*) FROM pg_proc WHERE proname = 'market_entity_cell_add'")) == 0
    session.execute(text("DELETE FROM market_entity_risk WHERE entity_id = ANY(:ids)"),
                    {"ids": ids[-2:]})
    session.execute(text("DELETE FROM market_entity WHERE id = ANY(:ids)"), {"ids": ids[-2:]})
    assert _totals(session, township) == _expected(session, township)
    cells = session.execute(text(
        "SELECT level, gx, gy, n, sx, sy FROM market_entity_cell WHERE area_code = :g AND n <> 0 "
        "ORDER BY 1, 2, 3"), {"g": grid}).all()
    counted = session.execute(text(f"""
        SELECT level, gx, gy, n, sx, sy FROM (
            SELECT l.level, floor((x + {HALF!r}) / ({2 * HALF!r} / 2 ^ (5 + l.level)))::int gx,
                   floor((y + {HALF!r}) / ({2 * HALF!r} / 2 ^ (5 + l.level)))::int gy,
                   count(*)::int n, sum(x) sx, sum(y) sy
            FROM (SELECT ST_X(location) * {HALF / 180!r} x,
                         ln(tan(radians(45 + ST_Y(location) / 2))) * 6378137.0 y
                  FROM market_entity WHERE area_code = :g) p
            CROSS JOIN unnest(ARRAY[10, 11, 12, 13]) l(level) GROUP BY 1, 2, 3) c
        ORDER BY 1, 2, 3"""), {"g": grid}).all()
    assert [c[:4] for c in cells] == [c[:4] for c in counted]
    assert all(math.isclose(a[4], b[4]) and math.isclose(a[5], b[5])
               for a, b in zip(cells, counted, strict=True))


HALF = 20037508.342789244  # geo/layers/tiles.py MERCATOR_HALF
