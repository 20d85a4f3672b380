"""Fixtures of the document tests: a unit of the demo city with its 机关代字, and the
module app with the document routes (included here until api/app.py includes them)."""

import pytest
from sqlalchemy import text

from core.documents import numbering
from tests.factories import unique

AREA = "430202"  # 荷塘区 of the demo city
UNIT_NAME = "株洲市荷塘区综合行政执法局"

PENALTY = {
    "party_name": "张三丰",
    "party_id_number": "11010519491231002X",
    "party_address": "株洲市荷塘区月塘街道新华路1号",
    "facts": "当事人于2026年11月3日在荷塘区新华路占道经营，经责令改正拒不改正。",
    "evidence": "现场检查笔录一份、现场照片三张。",
    "violated_basis": "《城市市容和环境卫生管理条例》第十四条",
    "penalty_basis": "《城市市容和环境卫生管理条例》第三十六条",
    "penalty": "罚款人民币贰佰元。",
    "fine": 20000,
    "payment_account": "株洲市荷塘区财政局非税收入专户",
    "review_body": "株洲市荷塘区人民政府",
    "court": "株洲市荷塘区人民法院",
}


def make_unit(session, *, name: str = UNIT_NAME, area: str = AREA, agency: str = "株荷综执"
              ) -> int:
    unit_id = session.scalar(text(
        "INSERT INTO unit (code, name, kind, platform, seat_code) "
        "VALUES (:code, :name, 'department', 'grid', :area) RETURNING id"),
        {"code": unique("doc-unit"), "name": name, "area": area})
    session.execute(text("INSERT INTO unit_area (unit_id, area_code) VALUES (:u, :a)"),
                    {"u": unit_id, "a": area})
    numbering.set_rule(session, unit_id=unit_id, agency=agency, actor="test")
    return unit_id


@pytest.fixture
def unit(session, demo_city) -> int:
    return make_unit(session)


@pytest.fixture(scope="module")
def documents_app(module_app):
    """The module's app with the document and import routes, as api/app.py will have them."""
    from core import imports
    from core.documents.router import routers

    application, _ = module_app
    paths = {getattr(route, "path", None) for route in application.routes}
    if "/verify/{token}" not in paths:
        for router in (*routers(), imports.router):
            application.include_router(router)
        application.openapi_schema = None
    return application


@pytest.fixture
def docs_client(documents_app, client):
    return client
