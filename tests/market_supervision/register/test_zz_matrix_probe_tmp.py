"""TEMPORARY probe (the matrix helper's; deleted after the run)."""
import pytest
from sqlalchemy import text

from core.security import Principal
from core.users.enums import Role
from market_supervision.register import imports
from market_supervision.register.codes import issue_code


def test_probe(session, demo_city):
    a, b = session.execute(text("SELECT code FROM area WHERE level = 'county' ORDER BY code LIMIT 2")).scalars().all()
    grid_b = session.scalar(text("SELECT min(code) FROM area WHERE level='grid' AND code LIKE :c || '%'"), {"c": b})
    grid_a = session.scalar(text("SELECT min(code) FROM area WHERE level='grid' AND code LIKE :c || '%'"), {"c": a})
    lon, lat = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area WHERE code=:g"), {"g": grid_a}).one()
    blon, blat = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area WHERE code=:g"), {"g": grid_b}).one()
    uscc = issue_code("company", "430200", 95_000_001)
    entity = session.scalar(text(
        "INSERT INTO market_entity (uscc, name, type, address, location, area_code, industry) "
        "VALUES (:u, '乙县主体', 'company', '乙县路', ST_SetSRID(ST_MakePoint(:x, :y), 4326), :g, 'H62') RETURNING id"),
        {"u": uscc, "g": grid_b, "x": blon, "y": blat})
    who = Principal(1, "probe", Role.market_inspector, a)
    csv = f"统一社会信用代码,名称,类型,地址,经度,纬度,行业\n{uscc},甲县改名,company,甲县路,{lon},{lat},H62\n"
    with pytest.raises(imports.ImportRejected) as refused:
        imports.import_entities(session, principal=who, filename="x.csv", data=csv.encode())
    print("PROBE", refused.value.extra["errors"])
    # the owner's own re-import still updates it
    owner = Principal(1, "probe", Role.market_inspector, b)
    csv = f"统一社会信用代码,名称,类型,地址,经度,纬度,行业\n{uscc},乙县改名,company,乙县路,{blon},{blat},H62\n"
    print("PROBE2", imports.import_entities(session, principal=owner, filename="x.csv", data=csv.encode()))
