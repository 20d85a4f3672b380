"""/api/v1/categories: the incident category tree (大类/小类); admins edit it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from core.deps import Requires, SessionDep
from core.security import Principal
from grid.categories import service
from grid.categories.schemas import CategoryCreate, CategoryNode, CategoryUpdate
from grid.permissions import GridPermission

router = APIRouter(prefix="/api/v1/categories", tags=["categories"])

Code = Annotated[str, Path(pattern=r"^[A-Z][0-9]{2}([0-9]{2})?$",
                           description="大类 (S01) or 小类 (S0102) code")]
# Categories are not territorial: everyone who reads incidents reads the whole tree.
Reader = Annotated[Principal, Depends(Requires(GridPermission.incidents_read))]
Manager = Annotated[Principal, Depends(Requires(GridPermission.categories_manage))]


@router.get("", response_model=list[CategoryNode])
def category_tree(session: SessionDep, reader: Reader,
                  include_inactive: Annotated[bool, Query()] = False):
    """Every 大类 with its 小类, in display order."""
    return service.category_tree(session, include_inactive=include_inactive)


@router.get("/{code}", response_model=CategoryNode)
def get_category(session: SessionDep, reader: Reader, code: Code):
    """One category; a 大类 with all its 小类."""
    return service.category_node(service.get_category(session, code=code))


@router.post("", response_model=CategoryNode, status_code=201)
def create_category(session: SessionDep, manager: Manager, body: CategoryCreate):
    category = service.create_category(session, data=body, actor=manager.username)
    return service.category_node(category)


@router.patch("/{code}", response_model=CategoryNode)
def update_category(session: SessionDep, manager: Manager, code: Code, body: CategoryUpdate):
    category = service.update_category(session, code=code, data=body, version=body.version,
                                       actor=manager.username)
    return service.category_node(category)
