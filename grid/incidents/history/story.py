"""What happens to each incident: its fate (voided, merged, escalated, returned, reworked,
suspended, evaluated), drawn before it is lived, and the script of its moves — who makes
each one (a member of a real unit: the desk of the centre that holds it, the 承办人 or
desk of the unit it is dispatched to, the grid's worker) and how long they take. rules.py
makes the moves as the live system would.
"""

import random
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from core.workflow.kernel import Actor
from grid.incidents.enums import Source, State, Step

from .records import Incident
from .rules import Later, Rules
from .world import Unit, World

RATINGS = ((5, 0.55), (4, 0.3), (3, 0.1), (2, 0.03), (1, 0.02))

# Handling units, as (kind, department, seat level: the length of the grid code's prefix
# the unit sits at); each covers the grid it is dispatched for (core/units/demo.py).
VILLAGE_CENTRE = ("centre", "governance", 12)  # 村（居）: 保洁队, 调委会, 村委会
TOWNSHIP_CENTRE = ("centre", "governance", 9)  # 镇街: 环卫所, 市政所, 安全生产办, 司法所 …
ENFORCEMENT_TEAM = ("enforcement_team", "chengguan", 9)  # 乡镇（街道）综合行政执法队
MARKET_OFFICE = ("market_office", "market", 9)  # 市场监管所
CHENGGUAN_BRIGADE = ("brigade", "chengguan", 6)  # 区县城市管理综合执法大队
ECOLOGY_BRIGADE = ("brigade", "ecology", 6)  # 生态环境保护综合行政执法大队
# The grid worker fixes small things himself: his village centre handles, he is named.
GRID_WORKER = "grid_worker"

# Who handles each 大类: (unit, weight).
UNITS = {
    "B01": [(TOWNSHIP_CENTRE, 1)],
    "B02": [(TOWNSHIP_CENTRE, 1)],
    "B03": [(TOWNSHIP_CENTRE, 1)],
    "B04": [(TOWNSHIP_CENTRE, 1)],
    "S01": [(TOWNSHIP_CENTRE, 5), (VILLAGE_CENTRE, 3), (GRID_WORKER, 2),
            (ENFORCEMENT_TEAM, 1)],
    "S02": [(ENFORCEMENT_TEAM, 2), (TOWNSHIP_CENTRE, 1), (GRID_WORKER, 1)],
    "S03": [(ENFORCEMENT_TEAM, 1), (CHENGGUAN_BRIGADE, 1)],
    "S04": [(TOWNSHIP_CENTRE, 2)],
    "S05": [(ENFORCEMENT_TEAM, 3), (GRID_WORKER, 1)],
    "S06": [(MARKET_OFFICE, 1)],
    "Z01": [(VILLAGE_CENTRE, 3), (TOWNSHIP_CENTRE, 1)],
    "Z02": [(TOWNSHIP_CENTRE, 1)],
    "Z04": [(TOWNSHIP_CENTRE, 1)],
    "Z05": [(ECOLOGY_BRIGADE, 1)],
    "Z06": [(VILLAGE_CENTRE, 1)],
    "Z07": [(MARKET_OFFICE, 1)],
}
# Everything else, and what a unit that sent a task back leaves: the township's centre
# (综治中心), else the village's.
FALLBACK_UNITS = (TOWNSHIP_CENTRE, VILLAGE_CENTRE)
# Who keys in a report that no grid worker made: the desk of the centre at this level.
SOURCE_LEVEL = {Source.hotline: 6, Source.patrol: 9, Source.citizen_app: 12}
# Reports made on the spot come with a photo (a hotline call has none).
PHOTOGRAPHED = frozenset({Source.grid_worker, Source.patrol, Source.citizen_app})

DESCRIPTIONS = ("巡查发现{name}，请处理", "群众反映{name}，影响周边居民", "{name}，位置见定位",
                "{name}，已拍照留存", "{name}问题反复出现，请尽快处置")
VOID_REASONS = ("误报，现场无此情况", "不属于受理范围", "信息不全，无法核实")
RETURN_REASONS = ("不属于本单位职责", "派遣信息不全", "现场找不到问题点位")
REWORK_REASONS = ("现场仍有残留", "整改不到位", "问题反弹")
SUSPEND_REASONS = ("等待产权认定", "需多部门协调", "涉及规划调整，待上级批复", "受天气影响暂缓施工")
ESCALATE_REASONS = ("村级无法处理，需镇街协调", "涉及多个部门", "群众反映强烈，需上级督办")


@dataclass(frozen=True, slots=True)
class _Fate:
    """What will happen to one incident, drawn before it is lived."""

    ending: str | None  # "void", "merge" or None (the seven steps)
    escalated: bool  # the village centre hands it up before filing
    returned: bool  # the first unit sends it back
    reworks: int  # failed verifications
    suspended: bool  # 挂账 while being handled
    evaluated: bool


class Story(Rules):
    """Lives incidents one after another, collecting timeline, hand-off and audit rows."""

    def __init__(self, world: World, r: random.Random, now: datetime) -> None:
        super().__init__(world, r, now)
        self.recent: deque[Incident] = deque()  # candidates to merge into (72 h window)

    # -- one incident's life

    def live(self, incident: Incident) -> None:
        fate = self._fate()
        target = self._merge_target(incident) if fate.ending == "merge" else None
        if target is not None:  # a second report of the same thing, at the same place
            incident.grid, incident.category = target.grid, target.category
            incident.ewkb, incident.duplicates = target.ewkb, [target]
        self._report(incident)
        with suppress(Later):  # the rest of its life is after `now`
            self._script(incident, fate, target)
        self._finish(incident)
        self.recent.append(incident)

    def _fate(self) -> _Fate:
        r = self.r
        ending = r.random()
        reworks = (1 + (r.random() < 0.15)) if r.random() < 0.07 else 0
        return _Fate("void" if ending < 0.03 else "merge" if ending < 0.06 else None,
                     r.random() < 0.03, r.random() < 0.08, reworks, r.random() < 0.025,
                     r.random() < 0.7)

    def _script(self, incident: Incident, fate: _Fate, target: Incident | None) -> None:
        """The seven steps, with the detours the fate holds; raises `Later` at `now`."""
        r = self.r
        if fate.escalated:
            self._escalate(incident, self._when(incident, r.uniform(0.05, 0.4)),
                           reason=r.choice(ESCALATE_REASONS))
        if fate.ending == "void":
            self._move(incident, "void", self._when(incident, self._share(0.02, 0.005)),
                       self._desk, reason=r.choice(VOID_REASONS))
            return
        if target is not None and self._merge(incident, target):
            return
        self._move(incident, "file", self._when(incident, self._share(0.02, 0.005)),
                   self._desk)
        self._dispatch(incident, share=self._share(0.02, 0.005))
        if fate.returned:
            self._move(incident, "return", self._when(incident, r.uniform(0.02, 0.2)),
                       self._handler, reason=r.choice(RETURN_REASONS))
            # Finding the right unit takes the centre longer, and is often late.
            self._dispatch(incident, share=self._share(0.3, 0.15, low=0.2, high=1.0),
                           again=True)
        self._move(incident, "accept", self._when(incident, r.uniform(0.01, 0.12)),
                   self._handler)
        if fate.suspended:
            self._suspend_and_resume(incident)
        for attempt in range(fate.reworks + 1):
            self._move(incident, "handle", self._when(
                incident, self._share(0.04, 0.01, low=0.2 if attempt == 0 else 0.1)),
                self._handler)
            if attempt < fate.reworks:
                self._move(incident, "rework", self._when(incident, r.uniform(0.1, 0.8)),
                           self._verifier, reason=r.choice(REWORK_REASONS))
        self._move(incident, "verify", self._when(incident, self._share(0.02, 0.005)),
                   self._verifier)
        self._move(incident, "close", self._after(incident, 0.2, 3.0), self._desk)
        if fate.evaluated:
            self._move(incident, "evaluate", self._after(incident, 2.0, 24.0),
                       self._leader, rating=self._pick(RATINGS))

    def _dispatch(self, incident: Incident, *, share: float, again: bool = False) -> None:
        """派遣 to a unit that covers the grid, and to one of its members by name."""
        unit, handler = self._handling(incident, again=again)
        self._move(incident, "dispatch", self._when(incident, share), self._desk,
                   handler_unit_id=unit.id, handler_user_id=handler.user_id)
        incident.handler = handler

    def _handling(self, incident: Incident, *, again: bool) -> tuple[Unit, Actor]:
        """The unit for the 大类 (its weights), and who there handles it; the unit that
        sent the task back is not asked twice."""
        grid = incident.grid
        choices = []
        for option, weight in UNITS.get(incident.category.code[:3], ()):
            found = self._handler_of(option, grid)
            if found is not None and not (again and found[0].id == incident.handler_unit_id):
                choices.append((found, weight))
        if choices:
            return self.r.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
        for option in FALLBACK_UNITS:
            found = self._handler_of(option, grid)
            if found is not None and found[0].id != incident.handler_unit_id:
                return found
        raise AssertionError(f"no unit can handle an incident in grid {grid.code}")

    def _handler_of(self, option, grid) -> tuple[Unit, Actor] | None:
        if option == GRID_WORKER:  # nobody looks after the grid: someone else fixes it
            if grid.worker is None:
                return None
            return self.world.centre(grid.code[:12]), grid.worker
        kind, department, level = option
        unit = self.world.unit_at(kind, department, grid.code[:level])
        members = self.world.handlers(unit.id) if unit is not None else []
        return (unit, self.r.choice(members)) if members else None

    def _suspend_and_resume(self, incident: Incident) -> None:
        """挂账 for weeks (most are still suspended now); the clock keeps what was left."""
        r = self.r
        self._move(incident, "suspend", self._when(incident, r.uniform(0.1, 0.6)),
                   self._leader, reason=r.choice(SUSPEND_REASONS))
        office_day = self.calendar.office_seconds_per_day / 3600
        self._move(incident, "resume", self._after(incident, 3 * office_day, 30 * office_day),
                   self._leader)

    def _merge(self, incident: Incident, target: Incident) -> bool:
        """并单 into an earlier report of the same thing, if that one is still open when
        the centre gets to it (else this one is filed like any other); as flows' merge:
        the target keeps the reporter, the two are linked, both timelines say so."""
        at = self._ready(incident, self._when(incident, self.r.uniform(0.05, 0.6)))
        if target.finished_at is not None and target.finished_at <= at:
            return False
        actor = self._desk(incident)
        at = self._move(incident, "merge", at, lambda _: actor, into=target.id)
        if incident.reporter.user_id not in target.reporter_ids:
            target.reporter_ids.add(incident.reporter.user_id)
            self.reporters.append((target, incident.reporter.user_id, incident.reported_at,
                                   incident))
        self.links.append((at, incident, target, actor.username))
        self._event(incident, at, actor.username, "link.merged",
                    data={"to": {"type": "incident", "id": target.id}})
        self._event(target, at, actor.username, "link.merged",
                    data={"from": {"type": "incident", "id": incident.id}})
        self._event(target, at, actor.username, "merged_in", data={"from": incident.id})
        return True

    def _merge_target(self, incident: Incident) -> Incident | None:
        """An open incident reported within the duplicate window before this one."""
        window = incident.reported_at - self.world.duplicate_window
        while self.recent and self.recent[0].reported_at < window:
            self.recent.popleft()
        for _ in range(10):
            if not self.recent:
                return None
            target = self.recent[self.r.randrange(len(self.recent))]
            if target.finished_at is None or target.finished_at > incident.reported_at:
                return target
        return None

    # -- who acts (each a member of a unit, as the kernel's Actor)

    def _desk(self, incident: Incident) -> Actor:
        """The desk of the centre that holds it: files, dispatches, closes."""
        return self.r.choice(self.world.clerks(incident.owner_unit_id))

    def _handler(self, incident: Incident) -> Actor:
        return incident.handler

    def _verifier(self, incident: Incident) -> Actor:
        """The grid's worker (核查), or the village centre's desk sends someone."""
        grid = incident.grid
        if grid.worker is not None:
            return grid.worker
        return self.r.choice(self.world.clerks(self.world.centre(grid.code[:12]).id))

    def _leader(self, incident: Incident) -> Actor:
        """The head (else the desk) of the centre that holds it, or of the township's when
        a village holds it: 挂账, 解挂 and 评价 are a leader's."""
        code = incident.owner_code if len(incident.owner_code) <= 9 else incident.grid.code[:9]
        return self.r.choice(self.world.leaders(self.world.centre(code).id))

    # -- time

    def _share(self, late: float, stall: float, *, low: float = 0.1, high: float = 0.9
               ) -> float:
        """The share of a step's limit a move takes: mostly within it, sometimes late,
        now and then stuck for several limits (what the sweep exists for)."""
        x = self.r.random()
        if x < stall:
            return self.r.uniform(3.0, 12.0)
        if x < stall + late:
            return self.r.uniform(1.05, 2.5)
        return self.r.uniform(low, high)

    def _when(self, incident: Incident, share: float) -> datetime:
        """`share` of the running step's office time after it started (or resumed)."""
        start, seconds = incident.base
        if seconds is None:  # working days: the office time up to the due instant
            seconds = self.calendar.working_seconds(start, incident.step_due_at)
            incident.base = (start, seconds)
        return self.calendar.add_working_seconds(start, share * seconds)

    def _after(self, incident: Incident, low_hours: float, high_hours: float) -> datetime:
        return self.calendar.add_working_seconds(
            incident.last_at, self.r.uniform(low_hours, high_hours) * 3600)

    def _pick(self, shares):
        return self.r.choices([v for v, _ in shares], weights=[s for _, s in shares])[0]

    # -- the report (service.report, on the simulated row)

    def _report(self, incident: Incident) -> None:
        grid, r = incident.grid, self.r
        village = self.world.centre(grid.code[:12])  # holds a new report
        incident.owner_unit_id, incident.owner_code = village.id, village.seat_code
        incident.description = r.choice(DESCRIPTIONS).format(name=incident.category.name)
        if incident.source == Source.grid_worker and grid.worker is None:
            incident.source = Source.patrol  # a grid nobody looks after is patrolled
        if incident.source == Source.grid_worker:
            incident.reporter = grid.worker
        else:  # keyed in by the desk of the centre that took it (hotline: the county's)
            level = SOURCE_LEVEL.get(incident.source, 12)
            incident.reporter = r.choice(self.world.clerks(
                self.world.centre(grid.code[:level]).id))
        incident.reporter_ids.add(incident.reporter.user_id)
        self.reporters.append((incident, incident.reporter.user_id, incident.reported_at,
                               None))
        incident.last_at = incident.reported_at
        self._open_case(incident, Step.filing, incident.reported_at)
        if incident.source in PHOTOGRAPHED:  # taken on the spot, with the phone's camera
            self.photos.append((incident.reported_at, incident, "report",
                                incident.reporter.user_id))
        actor = incident.reporter.username
        self._event(incident, incident.reported_at, actor, "report", to_state=State.reported,
                    data={"accuracy_m": None, "duplicates": [d.id for d in incident.duplicates]})
        self._audit(incident, incident.reported_at, actor, "incident.report",
                    after={"state": State.reported, "grid": grid.code,
                           "category": incident.category.code, "urgency": incident.urgency})
