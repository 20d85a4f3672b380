"""The default tree, as migration 0006 seeded it, and the migration matching the model."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, select, text

from core.db import Base
from core.workflow.durations import parse_duration
from grid.categories.models import MAJOR, MINOR, Category
from grid.categories.seed import DEFAULT_TREE, default_categories, seed_categories
from grid.incidents.enums import Step, Urgency


def test_the_seeded_tree_is_the_default_tree(session):
    stored = {c.code: c for c in session.scalars(select(Category))}
    assert set(stored) >= {row["code"] for row in default_categories()}
    majors = [c for c in stored.values() if c.level == MAJOR]
    minors = [c for c in stored.values() if c.level == MINOR]
    assert len(majors) == len(DEFAULT_TREE)
    assert 60 <= len(minors) <= 120
    for minor in minors:
        assert minor.parent is not None and minor.parent.level == MAJOR
        assert minor.code.startswith(minor.parent.code) and len(minor.code) == 5
        assert minor.filing_condition and minor.closing_condition, minor.code
        assert minor.version == 1 and minor.active
    for major in majors:
        assert major.parent_id is None and major.time_limits is None


def test_every_minor_has_a_valid_limit_for_every_step_and_urgency():
    for row in default_categories():
        if row["level"] != MINOR:
            continue
        limits = row["time_limits"]
        assert set(limits) == {str(u) for u in Urgency}, row["code"]
        for urgency in Urgency:
            assert set(limits[urgency]) == {str(s) for s in Step}, row["code"]
            for step in Step:
                parse_duration(limits[urgency][step])


def test_codes_are_unique_and_the_families_do_not_clash():
    codes = [row["code"] for row in default_categories()]
    assert len(codes) == len(set(codes))
    assert {code[0] for code in codes} == {"B", "S", "Z"}
    standards = {code: standard for code, _, standard, _ in DEFAULT_TREE}
    assert standards["B01"] == "GB/T 30428.2 部件"
    assert standards["S01"] == "GB/T 30428.2 事件"
    assert standards["Z01"] == "综治"


def test_known_anchors(session):
    names = dict(session.execute(select(Category.code, Category.name)).all())
    assert names["S01"] == "市容环境" and names["S0102"] == "暴露垃圾"
    assert names["S0101"] == "私搭乱建" and names["S0104"] == "道路不洁"
    assert names["S0501"] == "无照经营游商"
    assert names["B01"] == "公用设施" and names["B0102"] == "污水井盖"
    assert names["Z01"] == "矛盾纠纷" and names["Z02"] == "安全隐患"
    limits = {code: session.scalar(select(Category.time_limits).where(Category.code == code))
              for code in ("S0102", "S0104", "S0101")}
    assert limits["S0102"]["normal"]["handling"] == "1d"   # exposed rubbish: 1 working day
    assert limits["S0104"]["normal"]["handling"] == "5h"   # dirty road: 5 working hours
    assert limits["S0101"]["normal"]["handling"] == "15d"  # illegal building: 15 working days
    assert limits["S0101"]["critical"]["handling"] == "5d"


def test_seeding_is_idempotent_and_fills_gaps(session):
    assert seed_categories(session) == 0
    # The demo history reports S0104 (道路不洁): its incidents go first, then the 小类.
    session.execute(text("DELETE FROM incident WHERE category_id = "
                         "(SELECT id FROM category WHERE code = 'S0104')"))
    session.execute(delete(Category).where(Category.code == "S0104"))
    before = session.scalar(select(Category.version).where(Category.code == "S0102"))
    assert seed_categories(session) == 1
    session.expire_all()
    restored = session.scalar(select(Category).where(Category.code == "S0104"))
    assert restored.parent.code == "S01" and restored.time_limits["normal"]["handling"] == "5h"
    assert session.scalar(select(Category.version).where(Category.code == "S0102")) == before


def test_the_migration_matches_the_model(session):
    """What `alembic revision --autogenerate` would write for the category table: nothing."""

    def ours(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table == "category"

    context = MigrationContext.configure(session.connection(), opts={
        "include_object": ours, "compare_type": True})
    assert compare_metadata(context, Base.metadata) == []
