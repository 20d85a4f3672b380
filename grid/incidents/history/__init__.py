"""The demo city's recent past: weeks of incidents at a city's daily volume, in every state.

`generate_history` plans the reports (plan.py: when, where, what), then lives each
incident forward in Python (story.py: what people do; rules.py: what the live system does
with it — the workflow's checks and effects, the step clock on the working calendar, the
deadline sweep replayed as time passes; a move that would come after `now` does not
happen, so recent incidents are caught mid-way), and writes everything in bulk
(write.py). world.py reads the city once; records.py holds the simulated rows.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from core.progress import StageProgress
from core.settings import Settings

from .plan import place_reports, plan_reports
from .story import Story
from .world import World
from .write import write

__all__ = ["HistoryCounts", "generate_history"]


@dataclass(frozen=True)
class HistoryCounts:
    incidents: int = 0
    events: int = 0
    handoffs: int = 0
    reporters: int = 0
    audit_events: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


def generate_history(session: Session, *, city_code: str, days: int, per_day: int, seed: int,
                     now: datetime, settings: Settings, progress: StageProgress | None = None
                     ) -> HistoryCounts:
    """`days` × `per_day` incidents reported over the `days` before `now` in the city's
    grids, lived through to `now` and written with their timelines, hand-offs, reporters
    and audit events. Same seed, same `now`, same history. Flushes; the caller commits,
    once: the chain head moves once per audit statement (migration 0009), so a month of a
    city's moves (~220,000 audit rows) fits in one transaction.
    """
    total = max(days, 0) * max(per_day, 0)
    if total == 0:
        return HistoryCounts()
    world = World.read(session, city_code=city_code, settings=settings)
    plans = plan_reports(world, np.random.default_rng(seed), total=total, days=days, now=now)
    place_reports(session, plans, seed=seed)
    story = Story(world, random.Random(seed), now)
    for done, incident in enumerate(plans, start=1):
        story.live(incident)
        if progress and (done % 500 == 0 or done == total):
            progress("history", done, total)
    write(session, story, plans, progress=progress)
    by_state = Counter(str(incident.state) for incident in plans)
    return HistoryCounts(len(plans), len(story.events), len(story.handoffs),
                         len(story.reporters), len(story.audits), dict(sorted(by_state.items())))
