"""HTML pages: the area map, rendered by folium, drilling down from the city to its grids."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from core.deps import SessionDep
from geo.maps import build_area_map, load_map_view
from geo.router import Code

router = APIRouter(tags=["pages"])


@router.get("/map", response_class=HTMLResponse)
def city_map(session: SessionDep, request: Request) -> HTMLResponse:
    """The demo city (else the first city loaded), its levels as layers."""
    return _map_page(session, request, code=None)


@router.get("/map/{code}", response_class=HTMLResponse)
def area_map(session: SessionDep, request: Request, code: Code) -> HTMLResponse:
    """The same map, opened at one area: zoomed to it, its children drawn."""
    return _map_page(session, request, code=code)


def _map_page(session: Session, request: Request, *, code: str | None) -> HTMLResponse:
    settings = request.app.state.settings
    view = load_map_view(session, code=code, preferred_root=settings.demo_city)
    page = build_area_map(view=view, tile_url=settings.tile_url,
                          tile_attribution=settings.tile_attribution)
    return HTMLResponse(page.get_root().render())
