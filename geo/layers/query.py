"""The conditions every output of a layer shares: territory, bbox, filters, time, keyset.

The territory is always the first condition: no output can leave it out.
"""

from core.scope import Scope
from geo.layers.declaration import Layer
from geo.layers.params import Selection


def conditions(layer: Layer, *, scope: Scope, selection: Selection) -> tuple[str, dict]:
    """A WHERE clause body and its parameters (psycopg placeholders)."""
    territory, params = layer.scope(scope)
    parts = [territory]
    if selection.bbox is not None:
        parts.append(f"ST_Intersects({layer.geom}, ST_MakeEnvelope(%(bbox_w)s, %(bbox_s)s, "
                     "%(bbox_e)s, %(bbox_n)s, 4326))")
        params.update(zip(("bbox_w", "bbox_s", "bbox_e", "bbox_n"), selection.bbox,
                          strict=True))
    for name, value in selection.filters:
        declared = layer.filters[name]
        parts.append(declared.sql)
        params.update(declared.bind(value))
    interval = selection.interval
    if interval is not None and layer.temporal is not None:
        if interval.start is not None:
            parts.append(f"{layer.temporal} >= %(t_start)s")
            params["t_start"] = interval.start
        if interval.end is not None:
            parts.append(f"{layer.temporal} {'<' if interval.end_open else '<='} %(t_end)s")
            params["t_end"] = interval.end
    if selection.after is not None:
        parts.append(f"{layer.key} > %(after)s")
        params["after"] = selection.after
    return " AND ".join(parts), params


def feature_json(layer: Layer) -> str:
    """One row as a GeoJSON Feature, built by PostgreSQL (no parsing in Python)."""
    properties = ", ".join(f"'{name}', {expr}" for name, expr in layer.properties)
    return (f"json_build_object('type', 'Feature', 'id', {layer.key}, "
            f"'geometry', ST_AsGeoJSON({layer.geom}, 7)::json, "
            f"'properties', json_build_object({properties}))::text")


def page_sql(layer: Layer, *, scope: Scope, selection: Selection,
             limit: int) -> tuple[str, dict]:
    """key, feature JSON of up to limit + 1 rows in key order (the extra one: is there a
    next page)."""
    where, params = conditions(layer, scope=scope, selection=selection)
    params["limit"] = limit + 1
    return (f"SELECT {layer.key}, {feature_json(layer)} FROM {layer.source} WHERE {where} "
            f"ORDER BY {layer.key} LIMIT %(limit)s"), params


def one_sql(layer: Layer, *, scope: Scope, key: int | str, filters: tuple = ()
            ) -> tuple[str, dict]:
    """One feature by key, inside the territory and the filters (an OGC collection's own:
    a township is no item of `grids`)."""
    where, params = conditions(layer, scope=scope, selection=Selection(filters=filters))
    params["key"] = key
    return (f"SELECT {feature_json(layer)} FROM {layer.source} "
            f"WHERE {layer.key} = %(key)s AND {where}"), params


def rows_sql(layer: Layer, *, scope: Scope, selection: Selection,
             limit: int) -> tuple[str, dict]:
    """Properties and WKB geometry of every matching row (exports), in key order."""
    where, params = conditions(layer, scope=scope, selection=selection)
    params["limit"] = limit + 1
    columns = ", ".join(f"{expr} AS {name}" for name, expr in layer.properties)
    return (f"SELECT {columns}, ST_AsBinary({layer.geom}) AS geometry FROM {layer.source} "
            f"WHERE {where} ORDER BY {layer.key} LIMIT %(limit)s"), params
