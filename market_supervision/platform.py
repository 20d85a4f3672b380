"""市场监管 plugs in here (core/platforms.py): its parts, each owned on its own."""

from core.platforms import compose

PLATFORM = compose("market_supervision", "市场监管",
                   ("market_supervision.register.part", "market_supervision.inspections.part"))
