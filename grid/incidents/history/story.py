"""What happens to each incident: its fate (voided, merged, escalated, returned, reworked,
suspended, evaluated), drawn before it is lived, and the script of its moves — who makes
each one and how long it takes them. rules.py makes the moves as the live system would.
"""

import random
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from core.users.enums import Role
from grid.incidents.enums import Source, State, Step

from .records import Incident
from .rules import Later, Rules
from .world import Actor, World

# Where each handling role sits, as a prefix length of the grid code.
UNIT_LEVEL = {Role.village_staff: 12, Role.township_staff: 9, Role.enforcement_officer: 6,
              Role.market_inspector: 6}
# Who keys in a report that no grid worker made, and at which level they sit.
SOURCE_ROLE = {Source.hotline: (Role.county_dispatcher, 6), Source.patrol: (Role.township_staff, 9)}
RATINGS = ((5, 0.55), (4, 0.3), (3, 0.1), (2, 0.03), (1, 0.02))

# Who handles each 大类: (unit, role, weight); the grid worker fixes small things himself.
UNITS = {
    "B01": [("市政设施维护所", Role.township_staff, 1)],
    "B02": [("交通设施维护所", Role.township_staff, 1)],
    "B03": [("环卫所", Role.township_staff, 1)],
    "B04": [("园林绿化所", Role.township_staff, 1)],
    "S01": [("环卫所", Role.township_staff, 5), ("村（居）保洁队", Role.village_staff, 3),
            ("网格员", Role.grid_worker, 2), ("城管执法中队", Role.enforcement_officer, 1)],
    "S02": [("城管执法中队", Role.enforcement_officer, 2), ("环卫所", Role.township_staff, 1),
            ("网格员", Role.grid_worker, 1)],
    "S03": [("城管执法中队", Role.enforcement_officer, 1)],
    "S04": [("应急管理办", Role.township_staff, 1), ("市政设施维护所", Role.township_staff, 1)],
    "S05": [("城管执法中队", Role.enforcement_officer, 3), ("网格员", Role.grid_worker, 1)],
    "S06": [("市场监管所", Role.market_inspector, 1)],
    "Z01": [("村（居）调委会", Role.village_staff, 3), ("司法所", Role.township_staff, 1)],
    "Z02": [("安全生产办", Role.township_staff, 1)],
    "Z04": [("消防工作站", Role.township_staff, 1)],
    "Z05": [("生态环境执法中队", Role.enforcement_officer, 1)],
    "Z06": [("村（居）委会", Role.village_staff, 1)],
    "Z07": [("市场监管所", Role.market_inspector, 1)],
}
DEFAULT_UNITS = [("综治中心", Role.township_staff, 1)]

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
                       self._centre(incident), reason=r.choice(VOID_REASONS))
            return
        if target is not None and self._merge(incident, target):
            return
        self._move(incident, "file", self._when(incident, self._share(0.02, 0.005)),
                   self._centre(incident))
        self._dispatch(incident, share=self._share(0.02, 0.005))
        if fate.returned:
            self._move(incident, "return", self._when(incident, r.uniform(0.02, 0.2)),
                       incident.handler, reason=r.choice(RETURN_REASONS))
            # Finding the right unit takes the centre longer, and is often late.
            self._dispatch(incident, share=self._share(0.3, 0.15, low=0.2, high=1.0),
                           again=True)
        self._move(incident, "accept", self._when(incident, r.uniform(0.01, 0.12)),
                   incident.handler)
        if fate.suspended:
            self._suspend_and_resume(incident)
        for attempt in range(fate.reworks + 1):
            self._move(incident, "handle", self._when(
                incident, self._share(0.04, 0.01, low=0.2 if attempt == 0 else 0.1)),
                incident.handler)
            if attempt < fate.reworks:
                self._move(incident, "rework", self._when(incident, r.uniform(0.1, 0.8)),
                           self._verifier(incident), reason=r.choice(REWORK_REASONS))
        self._move(incident, "verify", self._when(incident, self._share(0.02, 0.005)),
                   self._verifier(incident))
        self._move(incident, "close", self._after(incident, 0.2, 3.0), self._centre(incident))
        if fate.evaluated:
            self._move(incident, "evaluate", self._after(incident, 2.0, 24.0),
                       self._supervisor(incident), rating=self._pick(RATINGS))

    def _dispatch(self, incident: Incident, *, share: float, again: bool = False) -> None:
        options = UNITS.get(incident.category.code[:3], DEFAULT_UNITS)
        if again:  # the unit that sent it back is not asked twice
            options = [o for o in options if o[0] != incident.handler_unit] or DEFAULT_UNITS
        unit, role, _ = self.r.choices(options, weights=[o[2] for o in options])[0]
        grid = incident.grid
        if role is Role.grid_worker and grid.worker_user_id is None:
            unit, role, _ = DEFAULT_UNITS[0]  # nobody looks after the grid to fix it
        if role is Role.grid_worker:
            handler = (role, grid.worker_username, grid.worker_user_id)
        else:
            handler = self.world.at_unit(role, grid.code[:UNIT_LEVEL[role]])
        self._move(incident, "dispatch", self._when(incident, share), self._centre(incident),
                   handler_unit=unit, handler_user_id=handler[2])
        incident.handler = handler

    def _suspend_and_resume(self, incident: Incident) -> None:
        """挂账 for weeks (most are still suspended now); the clock keeps what was left."""
        r = self.r
        self._move(incident, "suspend", self._when(incident, r.uniform(0.1, 0.6)),
                   self._supervisor(incident), reason=r.choice(SUSPEND_REASONS))
        office_day = self.calendar.office_seconds_per_day / 3600
        self._move(incident, "resume", self._after(incident, 3 * office_day, 30 * office_day),
                   self._supervisor(incident))

    def _merge(self, incident: Incident, target: Incident) -> bool:
        """并单 into an earlier report of the same thing, if that one is still open when
        the centre gets to it (else this one is filed like any other)."""
        at = self._ready(incident, self._when(incident, self.r.uniform(0.05, 0.6)))
        if target.finished_at is not None and target.finished_at <= at:
            return False
        centre = self._centre(incident)
        at = self._move(incident, "merge", at, centre, into=target)
        incident.merged_into = target
        if incident.reporter_id not in target.reporter_ids:
            target.reporter_ids.add(incident.reporter_id)
            self.reporters.append((target, incident.reporter_id, incident.reported_at, incident))
        self._event(target, at, centre[1], "merged_in", data={"from": incident})
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

    # -- who acts

    def _verifier(self, incident: Incident) -> Actor:
        grid = incident.grid
        if grid.worker_username is not None:
            return Role.grid_worker, grid.worker_username, grid.worker_user_id
        return self.world.at_unit(Role.village_staff, grid.code[:12])

    def _supervisor(self, incident: Incident) -> Actor:
        return self.world.at_unit(Role.supervisor, incident.grid.code[:9])

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
        incident.owner_code = grid.code[:12]
        incident.description = r.choice(DESCRIPTIONS).format(name=incident.category.name)
        if incident.source == Source.grid_worker and grid.worker_user_id is None:
            incident.source = Source.patrol  # a grid nobody looks after is patrolled
        if incident.source == Source.grid_worker:
            incident.reporter_id = grid.worker_user_id
            incident.reporter_actor = grid.worker_username
        else:
            # The reporter of record must be an account: the desk's demo account where it
            # sits, else the grid's worker, who checks such reports on the spot (核实).
            role, level = SOURCE_ROLE.get(incident.source, (None, 15))
            who = self.world.at_unit(role, grid.code[:level]) if role else None
            incident.reporter_id = (who[2] if who and who[2] else grid.worker_user_id
                                    or self.world.accounts[Role.admin].id)
            incident.reporter_actor = who[1] if who else f"{incident.source}@{grid.code}"
        incident.reporter_ids.add(incident.reporter_id)
        self.reporters.append((incident, incident.reporter_id, incident.reported_at, None))
        incident.last_at = incident.reported_at
        self._start_step(incident, Step.filing, incident.reported_at)
        self._event(incident, incident.reported_at, incident.reporter_actor, "report",
                    to_state=State.reported,
                    data={"accuracy_m": None, "duplicates": list(incident.duplicates)})
        self._audit(incident, incident.reported_at, incident.reporter_actor, "incident.report",
                    after={"state": State.reported, "grid": grid.code,
                           "category": incident.category.code, "urgency": incident.urgency})
