"""What the inspections part registers when the platform plugs in: its permissions, case
types, layers and the event subscriber that opens a draw's inspections (idempotent)."""

from core.workflow import case_types, events
from market_supervision.inspections import subscribers
from market_supervision.inspections.case_type import INSPECTION, REFERRAL
from market_supervision.inspections.layers import register_layers
from market_supervision.inspections.permissions import grant_all


def setup() -> None:
    grant_all()
    case_types.register(INSPECTION)
    case_types.register(REFERRAL)
    register_layers()
    events.subscribe(subscribers.DRAW_MADE, subscribers.open_drawn_inspections)
