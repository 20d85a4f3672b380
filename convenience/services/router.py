"""The part's API routes: thin, the rules are in the services. Staff routes under
/api/v1/convenience need a token; /api/v1/convenience/public answers residents without
one (no personal data out; a resident proves an application is his with its phone).
One module per section in routes/ (catalogue and points, applications and bundles,
ratings, desks, KPIs and limits, public); this one composes them."""

from fastapi import APIRouter

from convenience.services.routes import applications, catalogue, desks, kpis, ratings
from convenience.services.routes.public import public

router = APIRouter(prefix="/api/v1/convenience", tags=["convenience"])
for section in (catalogue, applications, ratings, desks, kpis):
    router.include_router(section.router)

__all__ = ["public", "router"]
