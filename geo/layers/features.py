"""GeoJSON of a layer: pages by bbox (keyset paging), and single features.

PostgreSQL writes each Feature's JSON; here the page is only joined, never parsed.
"""

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.errors import NotFound
from core.scope import Scope
from geo.layers.declaration import Layer
from geo.layers.params import Selection
from geo.layers.query import one_sql, page_sql


@dataclass(frozen=True)
class Page:
    features: list[str]  # GeoJSON Feature texts, in key order
    next_after: int | str | None  # the key to continue after; None: the last page


def read_page(session: Session, *, layer: Layer, scope: Scope, selection: Selection,
              limit: int) -> Page:
    sql, params = page_sql(layer, scope=scope, selection=selection, limit=limit)
    rows = session.connection().exec_driver_sql(sql, params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([row[1] for row in rows], rows[-1][0] if more else None)


def read_one(session: Session, *, layer: Layer, scope: Scope, feature_id: str,
             filters: tuple = ()) -> str:
    """One Feature's JSON; outside the territory (or the filters) it does not exist (404)."""
    key = _key(layer, feature_id)
    if key is not None:
        sql, params = one_sql(layer, scope=scope, key=key, filters=filters)
        row = session.connection().exec_driver_sql(sql, params).first()
        if row is not None:
            return row[0]
    raise NotFound(f"no feature {feature_id!r} in the {layer.name} of your territory")


def _key(layer: Layer, feature_id: str) -> int | str | None:
    if layer.key_type is int:
        return int(feature_id) if feature_id.isdigit() and len(feature_id) < 19 else None
    return feature_id


def collection_text(features: list[str], **members: object) -> str:
    """A FeatureCollection: `members` (links, numberReturned, ...) and the features."""
    head = json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False,
                      default=str)
    return f'{head[:-1]}, "features": [{",".join(features)}]}}'
