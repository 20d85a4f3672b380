"""HTML pages: the area map, rendered by folium, drilling down from the user's area to grids.

The pages are public shells (api/app.py PUBLIC_PATHS): the same for every visitor, with
no area data in them and no database behind them. The page's script logs in and takes
everything it shows from the authenticated API, inside the user's scope.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from geo.maps import build_area_map
from geo.router import Code

router = APIRouter(tags=["pages"])


@router.get("/map", response_class=HTMLResponse)
def scope_map(request: Request) -> HTMLResponse:
    """The map, opened (after login) at the user's own area: a grid worker's at his grids."""
    return _map_page(request, start=None)


@router.get("/map/{code}", response_class=HTMLResponse)
def area_map(request: Request, code: Code) -> HTMLResponse:
    """The same map, opened at one area if the user may see it."""
    return _map_page(request, start=code)


def _map_page(request: Request, *, start: str | None) -> HTMLResponse:
    settings = request.app.state.settings
    page = build_area_map(start=start, tile_url=settings.tile_url,
                          tile_attribution=settings.tile_attribution)
    return HTMLResponse(page.get_root().render())
