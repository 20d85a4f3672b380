"""The service points' map layer (政务服务中心, 便民服务中心, 便民服务站), served by geo's
layer outputs (vector tiles, GeoJSON, OGC API Features, exports) once registered."""

from convenience.services.permissions import ServicePermission
from core.scope import Scope
from geo.layers import Filter, Layer, registry

KIND_LABELS = {"service_hall": "政务服务中心", "service_centre": "便民服务中心",
               "service_station": "便民服务站"}


def _point_scope(scope: Scope) -> tuple[str, dict]:
    """The active service units whose seat lies in the caller's territory."""
    return (f"(u.kind IN ('service_hall', 'service_centre', 'service_station') "
            f"AND u.is_active AND {scope.code_condition('u.seat_code', pyformat=True)})",
            scope.params)


SERVICE_POINTS = Layer(
    name="service_points", title="Service points", title_zh="政务服务网点",
    permission=ServicePermission.read, geometry_type="Point",
    source="unit u LEFT JOIN svc_point p ON p.unit_id = u.id",
    geom="u.location", key="u.id", key_type=int, tile_id="u.id",
    properties=(("id", "u.id"), ("name", "u.name"), ("kind", "u.kind"),
                ("area_code", "u.seat_code"), ("address", "p.address"),
                ("phone", "p.phone"),
                ("items", "(SELECT count(*) FROM svc_point_item pi WHERE pi.unit_id = u.id)")),
    scope=_point_scope,
    filters={"kind": Filter("u.kind = %(f_kind)s", lambda v: {"f_kind": str(v)},
                            title="类型", description="service_hall, service_centre or "
                            "service_station", values=KIND_LABELS)},
    short_names={"area_code": "area", "address": "addr"},
)


def register_layers() -> None:
    registry.register(SERVICE_POINTS)  # the same declaration again is a no-op
