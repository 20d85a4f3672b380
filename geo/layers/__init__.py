"""Map layers that register: a layer is declared once (geo/layers/declaration.py) and
registered (geo/layers/registry.py); /tiles, /api/v1/layers, /ogc and the exports then
serve it, inside the caller's territory.

geo's own layer, the areas (geo/layers/areas.py), registers when this package is imported,
so it comes first; a platform declares its layers in its own `layers.py` and registers
them when the app is assembled, by a `register_layers()` function of its own.
"""

from geo.layers import areas
from geo.layers.declaration import (
    Cluster,
    ClusterSummary,
    Collection,
    Filter,
    Layer,
    ZoomFilter,
)
from geo.layers.registry import all, get, register, unregister  # noqa: A004

register(areas.AREAS)  # first: geo's own layer leads every list

__all__ = ["Cluster", "ClusterSummary", "Collection", "Filter", "Layer", "ZoomFilter", "all",
           "get", "register", "unregister"]
