"""Routes: 好差评 — ratings, appeals, rectifications."""

from typing import Literal

from fastapi import APIRouter, Request

from convenience.services import (
    applications,
    desks,
    ratings,
)
from convenience.services.models import Rating, Rectification
from convenience.services.routes.deps import (
    Actor,
    Reader,
    Supervisor,
    _body,
    _settings,
)
from convenience.services.schemas import (
    ActionIn,
    AppealDecisionIn,
    AppealIn,
    RatingIn,
)
from core.deps import SessionDep
from core.errors import NotFound
from core.security import Principal
from core.workflow import runner

router = APIRouter()


# --- 好差评 --------------------------------------------------------------------------------

@router.post("/ratings", status_code=201)
def rate_at_window(data: RatingIn, principal: Actor, session: SessionDep, request: Request
                   ) -> dict:
    """A rating from the window's device (评价器): the clerk's window stands for the phone."""
    applications.load_by_number(session, data.number, principal)  # his territory's only
    rating = ratings.rate(session, number=data.number, phone=None,
                          data=data.model_dump(), settings=_settings(request),
                          actor=principal.username, trusted=True)
    return ratings.rating_dict(rating)


@router.post("/ratings/{rating_id}/appeal")
def appeal_rating(rating_id: int, data: AppealIn, principal: Actor, session: SessionDep
                  ) -> dict:
    _rating_in_scope(session, rating_id, principal)
    return ratings.rating_dict(ratings.appeal(session, rating_id, reason=data.reason,
                                              version=data.version, actor=principal.username,
                                              now=runner.now_utc()))


@router.post("/ratings/{rating_id}/appeal/decision")
def decide_appeal(rating_id: int, data: AppealDecisionIn, principal: Supervisor,
                  session: SessionDep, request: Request) -> dict:
    _rating_in_scope(session, rating_id, principal)
    return ratings.rating_dict(ratings.decide_appeal(
        session, rating_id, upheld=data.upheld, decision=data.decision, version=data.version,
        actor=principal.username, now=runner.now_utc(), settings=_settings(request)))


def _rating_in_scope(session, rating_id: int, principal: Principal) -> None:
    rating = session.get(Rating, rating_id)
    if rating is None:
        raise NotFound(f"no rating {rating_id}", code="rating_not_found")
    applications.load(session, rating.application_id, principal)


@router.get("/rectifications/{rectification_id}")
def get_rectification(rectification_id: int, principal: Reader, session: SessionDep) -> dict:
    row = desks.load_scoped(session, Rectification, rectification_id, principal)
    return ratings.rectification_dict(session, row)


@router.post("/rectifications/{rectification_id}/actions/{name}")
def act_on_rectification(rectification_id: int, name: Literal["contact", "rectify",
                                                             "call_back"],
                         data: ActionIn, principal: Actor, session: SessionDep,
                         request: Request) -> dict:
    row = desks.load_scoped(session, Rectification, rectification_id, principal)
    ratings.act(session, row, name, principal=principal, data=_body(data),
                settings=_settings(request))
    return ratings.rectification_dict(session, row)
