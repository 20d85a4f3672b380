"""The entity register as map layers (geo/layers): tiles, GeoJSON, OGC API Features and
exports, coloured by `last_result` (written by the inspections part). Two declarations, so
the risk class reaches only staff: `market_entities` for every reader of the register,
`market_entity_risk` with the class for those holding market:risk-read."""

from core.scope import Scope
from geo.layers import Cluster, ClusterSummary, Filter, Layer, register
from market_supervision.register.enums import (
    ENTITY_TYPE_LABELS,
    INDUSTRY_PATTERN,
    LAST_RESULT_LABELS,
    RiskClass,
)
from market_supervision.register.permissions import MarketPermission


def _scope(scope: Scope) -> tuple[str, dict]:
    return f"({scope.code_condition('e.area_code', pyformat=True)})", scope.params


def _result_bind(value: object) -> dict:
    return {"f_last_result": None if value == "none" else str(value)}


FILTERS = {
    "last_result": Filter("e.last_result IS NOT DISTINCT FROM %(f_last_result)s", _result_bind,
                          title="最近检查结果", description="the last published result; none: "
                          "never inspected",
                          values={**LAST_RESULT_LABELS, "none": "未检查"}),
    "type": Filter("e.type = ANY(%(f_type)s)", lambda v: {"f_type": list(v)}, title="主体类型",
                   description="entity types", many=True,
                   values={str(k): label for k, label in ENTITY_TYPE_LABELS.items()}),
    "industry": Filter("e.industry LIKE %(f_industry)s", lambda v: {"f_industry": f"{v}%"},
                       title="行业", description="a GB/T 4754 code or its prefix",
                       pattern=INDUSTRY_PATTERN, hint="industry is a code such as H or H62"),
}
PROPERTIES = (("id", "e.id"), ("uscc", "e.uscc"), ("name", "e.name"), ("type", "e.type"),
              ("industry", "e.industry"), ("last_result", "e.last_result"),
              ("last_result_at", "e.last_result_at"), ("area_code", "e.area_code"))
TILE_SOURCE = "(SELECT * FROM market_entity WHERE location && {box} OFFSET 0) e"
CLUSTER_SOURCE = ("(SELECT location, area_code, last_result, type, industry, last_result_at, "
                  "risk_class FROM market_entity WHERE location && {box} OFFSET 0) e")
# Below z14 without a filter, the clusters are summed from market_entity_cell (kept by
# market_entity's triggers, migration 0024): the same counts and centres as counting the
# points, from a few thousand rows instead of up to a city's 500,000 entities.
CELLS = "market_entity_cell"
CLUSTER = Cluster(
    below=14, source=CLUSTER_SOURCE,
    carry=(("last_result", "e.last_result"),),
    counts=(("failed", "last_result = 'fail'"), ("inspected", "last_result IS NOT NULL")),
    summary=ClusterSummary(table=CELLS, levels=(10, 11, 12, 13),
                           sums=(("failed", "failed"), ("inspected", "inspected"))))
# Staff only (market:risk-read): the clusters count the classes too.
RISK_CLUSTER = Cluster(
    below=14, source=CLUSTER_SOURCE,
    carry=(("last_result", "e.last_result"), ("risk_class", "e.risk_class")),
    counts=(("failed", "last_result = 'fail'"), ("inspected", "last_result IS NOT NULL"),
            *((f"risk_{c.lower()}", f"risk_class = '{c}'") for c in "ABCD")),
    summary=ClusterSummary(table=CELLS, levels=(10, 11, 12, 13),
                           sums=(("failed", "failed"), ("inspected", "inspected"),
                                 *((f"risk_{c}", f"risk_{c}") for c in "abcd"))))
SHORT = {"last_result": "result", "last_result_at": "result_at", "area_code": "area",
         "risk_class": "risk"}

ENTITIES = Layer(
    name="market_entities", title="Market entities", title_zh="市场主体",
    permission=MarketPermission.read, geometry_type="Point",
    source="market_entity e", geom="e.location", key="e.id", key_type=int, tile_id="e.id",
    properties=PROPERTIES, scope=_scope, filters=FILTERS, temporal="e.last_result_at",
    tile_source=TILE_SOURCE,
    tile_priority="CASE e.last_result WHEN 'fail' THEN 0 WHEN 'rectified' THEN 1 ELSE 2 END",
    cluster=CLUSTER, short_names=SHORT)

ENTITY_RISK = Layer(
    name="market_entity_risk", title="Market entities with credit-risk class (internal)",
    title_zh="市场主体信用风险分类（内部）",
    permission=MarketPermission.risk_read, geometry_type="Point",
    source="market_entity e", geom="e.location", key="e.id", key_type=int, tile_id="e.id",
    properties=(*PROPERTIES, ("risk_class", "e.risk_class")), scope=_scope,
    filters={**FILTERS, "risk_class": Filter(
        "e.risk_class = ANY(%(f_risk)s)", lambda v: {"f_risk": list(v)}, title="信用风险分类",
        description="A (low) to D (high)", many=True,
        values={str(c): f"{c}类" for c in RiskClass})},
    temporal="e.last_result_at", tile_source=TILE_SOURCE,
    tile_priority="CASE e.risk_class WHEN 'D' THEN 0 WHEN 'C' THEN 1 ELSE 2 END",
    cluster=RISK_CLUSTER, short_names=SHORT)


def register_layers() -> None:
    for layer in (ENTITIES, ENTITY_RISK):
        register(layer)
