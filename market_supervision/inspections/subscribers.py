"""Events the inspections part listens to (core/workflow/events.py, through the outbox).

- `market.draw.made` {"draw_id"}: a draw's targets are drawn (the register publishes it):
  their inspections open, by their paired inspectors (idempotent: one per target).
"""

from sqlalchemy.orm import Session

from core.settings import get_settings
from market_supervision.inspections import opening

DRAW_MADE = "market.draw.made"


def open_drawn_inspections(session: Session, payload: dict) -> None:
    opening.open_for_draw(session, draw_id=int(payload["draw_id"]), actor="system",
                          settings=get_settings())

