"""The layers' filters in the OpenAPI document.

The routes read a layer's filters from the query string by their declared names, so
FastAPI cannot see them in the routes' signatures. Each route hands FastAPI a list of them
instead (`openapi_extra`), kept current here as layers register: FastAPI adds it to the
route's parameters when it writes the document, after the app is assembled.
"""

from geo.layers import registry


def filter_parameters(*, many_as_list: bool) -> list[dict]:
    """The OpenAPI query parameters of every registered filter, as a list that follows the
    registry. `many_as_list`: a filter taking several values may repeat (else: commas)."""
    parameters: list[dict] = []

    def refresh() -> None:
        parameters[:] = [_parameter(name, many_as_list=many_as_list)
                         for name in registry.filter_names()]

    registry.on_change(refresh)
    return parameters


def _parameter(name: str, *, many_as_list: bool) -> dict:
    declared = [(layer.name, layer.filters[name]) for layer in registry.all()
                if name in layer.filters]
    many = any(chosen.many for _, chosen in declared)
    several = ("repeat the parameter or separate by commas" if many_as_list
               else "comma-separated")
    description = "; ".join(
        f"{layer}: {chosen.description}" + (f" ({several})" if chosen.many else "")
        for layer, chosen in declared)
    schema = ({"type": "array", "items": {"type": "string"}} if many and many_as_list
              else {"type": "string"})
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}
