"""The demo city's recent past: weeks of incidents at a city's daily volume, in every state.

`generate_history` plans the reports (plan.py: when, where, what), then lives each
incident forward in Python — story.py: what people do, each a member of a real unit;
rules.py: the move decided by the kernel's pure `decide` with INCIDENT_WORKFLOW and
applied as the runner applies it, with the step clock of core/workflow/clocks.py on the
working calendar; sweeps.py: the sweep and the hand-offs replayed as time passes. A move
that would come after `now` does not happen, so recent incidents are caught mid-way.
Everything is written in bulk (write.py): incidents, hand-offs, reporters, step clocks
(case_clock), links, the timeline and the audit; and their photos (photos.py). world.py
reads the city once; records.py holds the simulated rows.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from core.db import next_ids
from core.progress import StageProgress
from core.settings import Settings

from .photos import write_photos
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
    clocks: int = 0
    photos: int = 0


def generate_history(session: Session, *, city_code: str, days: int, per_day: int, seed: int,
                     now: datetime, settings: Settings, progress: StageProgress | None = None
                     ) -> HistoryCounts:
    """`days` × `per_day` incidents reported over the `days` before `now` in the city's
    grids (its areas, workers, units and members loaded), lived through to `now` and
    written with their timelines, hand-offs, clocks, reporters and audit events. Same
    seed, same `now`, same history. Flushes; the caller commits (the audit rows are
    written unsealed, like every other: the sealer chains them after the commit).
    """
    total = max(days, 0) * max(per_day, 0)
    if total == 0:
        return HistoryCounts()
    world = World.read(session, city_code=city_code, settings=settings, now=now)
    plans = plan_reports(world, np.random.default_rng(seed), total=total, days=days, now=now)
    # Ids first (oldest first), so that what names an incident can name it by its id.
    for incident, id_ in zip(plans, next_ids(session, "incident", total), strict=True):
        incident.id = id_
    place_reports(session, plans, seed=seed)
    story = Story(world, random.Random(seed), now)
    for done, incident in enumerate(plans, start=1):
        story.live(incident)
        if progress and (done % 500 == 0 or done == total):
            progress("history", done, total)
    write(session, story, plans, progress=progress)
    photos = write_photos(session, story.photos, media_dir=settings.media_dir, seed=seed)
    by_state = Counter(str(incident.state) for incident in plans)
    return HistoryCounts(len(plans), len(story.events), len(story.handoffs),
                         len(story.reporters), len(story.audits), dict(sorted(by_state.items())),
                         len(story.clocks), photos)
