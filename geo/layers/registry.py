"""The registered map layers: /tiles, /api/v1/layers, /ogc and the exports serve every
layer registered here, and only those.

geo registers its own (the areas) when the package is imported; a platform registers its
layers when the app is assembled. Registering the same declaration again does nothing, so
a platform's registering function may be called more than once.
"""

from collections.abc import Callable
from dataclasses import replace

from core.errors import Forbidden, NotFound
from core.security import Principal
from core.users.enums import ROLE_PERMISSIONS
from geo.layers.declaration import Collection, Layer

_LAYERS: dict[str, Layer] = {}
_COLLECTIONS: dict[str, Collection] = {}  # OGC collections by id, the layer set on each
_WATCHERS: list[Callable[[], None]] = []


class LayerConflict(ValueError):
    """Two declarations under one name: a programming error, found at start-up."""


def register(layer: Layer) -> Layer:
    """Serve `layer` from now on; the same declaration again is a no-op."""
    existing = _LAYERS.get(layer.name)
    if existing is layer:
        return layer
    if existing is not None:
        raise LayerConflict(f"a layer named {layer.name!r} is registered already")
    _check(layer)
    collections = _collections_of(layer)
    taken = sorted(c.id for c in collections if c.id in _COLLECTIONS)
    if taken:
        raise LayerConflict(f"the OGC collection {', '.join(taken)} is served already")
    _LAYERS[layer.name] = layer
    _COLLECTIONS.update((c.id, c) for c in collections)
    _changed()
    return layer


def unregister(name: str) -> None:
    """Stop serving a layer (a test's own layer, when the test ends)."""
    layer = _LAYERS.pop(name, None)
    if layer is None:
        return
    for collection in _collections_of(layer):
        _COLLECTIONS.pop(collection.id, None)
    _changed()


def get(name: str) -> Layer:
    layer = _LAYERS.get(name)
    if layer is None:
        raise NotFound(f"no layer {name!r}; the layers are {', '.join(_LAYERS)}")
    return layer


def all() -> tuple[Layer, ...]:  # noqa: A001  (the registry's own namespace)
    """Every layer, in the order registered."""
    return tuple(_LAYERS.values())


def collections() -> tuple[Collection, ...]:
    return tuple(_COLLECTIONS.values())


def get_collection(collection_id: str) -> Collection:
    collection = _COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(f"no collection {collection_id!r}; see /ogc/collections")
    return collection


def readable(name: str, principal: Principal) -> Layer:
    """The layer, if the caller's role may read it (each layer names its permission).
    Where: the scope, in every query."""
    layer = get(name)
    if layer.permission not in ROLE_PERMISSIONS[principal.role]:
        raise Forbidden(f"the role {principal.role} may not read the {name} layer")
    return layer


def filter_names() -> list[str]:
    """Every filter any layer declares, once each, in the order first declared."""
    return list(dict.fromkeys(name for layer in _LAYERS.values() for name in layer.filters))


def on_change(watcher: Callable[[], None]) -> None:
    """Call `watcher` now and whenever a layer comes or goes (the routes' documentation)."""
    _WATCHERS.append(watcher)
    watcher()


def _changed() -> None:
    for watcher in _WATCHERS:
        watcher()


def _collections_of(layer: Layer) -> tuple[Collection, ...]:
    declared = layer.collections or (Collection(layer.name, layer.title, layer.title_zh),)
    return tuple(replace(collection, layer=layer) for collection in declared)


def _check(layer: Layer) -> None:
    """What the outputs rely on, checked once, so a bad declaration fails at start-up."""
    problems = []
    # The map's layer control shows each title in the page's language (map-tiles.js).
    if not layer.title_zh or any(_is_cjk(char) for char in layer.title):
        problems.append("its title must be English and title_zh Chinese")
    if layer.zoom_filter is not None:
        chosen = layer.filters.get(layer.zoom_filter.name)
        if chosen is None or chosen.values is None:
            problems.append("its zoom filter needs a filter with a vocabulary")
        if "{" + layer.zoom_filter.name + "}" not in (layer.tile_source or ""):
            problems.append("its tile source must name the zoom filter")
    if layer.cluster is not None and layer.geometry_type != "Point":
        problems.append("only points are clustered")
    if layer.cluster is not None and layer.zoom_filter is not None:
        problems.append("a clustered layer takes no zoom filter")
    for collection in layer.collections:
        unknown = [name for name, _ in collection.fixed if name not in layer.filters]
        if unknown:
            problems.append(f"collection {collection.id} fixes unknown filters {unknown}")
    if problems:
        raise LayerConflict(f"layer {layer.name!r}: {'; '.join(problems)}")


def _is_cjk(char: str) -> bool:
    """A Han character or CJK or full-width punctuation."""
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"
