"""The operations: the city meeting the outbreak through AdmitAll's own services, on a simulated clock.

Every tick (the scenario's `tick_minutes`) the clock moves on and what fell due in the tick is done, each at its
own moment: people found are registered (`register_batch`), reclassified and their severity changed, arrivals
admitted or refused at the desk, the recovered and released discharged (`apply_steps`), and a severe or critical
patient whose frailty is spent dies — sooner while waiting without a bed. At every allocation time the city's
dispatcher runs the real engine and confirms its plan (`allocate`), and the assigned set off as the district's
vehicles allow (`transport_per_district_hour`; the rest stay assigned and leave in a later hour); at every
hour each reporting unit whose period closed reports it with the registry's figures, the hour's reports in one
batch (`submit_many`, the same rules and chains as one report), some late and some never, and the watch job
raises its alerts. The outcome of each service call is read back, so the simulation follows the registry, never
the other way round; what the run keeps per person is looked up by id, so an hour costs what changed in it.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from admitall.clock import ManualClock
from admitall.domain.access import Role
from admitall.domain.names import mobile_phone, person_name
from admitall.domain.people import Person, Placement, Status
from admitall.domain.units import level_of
from admitall.services import reporting, reporting_rules
from admitall.services.admission import allocate
from admitall.services.context import Actor, Context
from admitall.services.person_steps import Step, apply_steps
from admitall.services.registration.batch import register_batch
from admitall.services.watch import watch
from admitall.sim.city import SimCity
from admitall.sim.epidemic import Agent, Outbreak
from admitall.sim.observation import ObservationTwin
from admitall.sim.results import Recorder, Results
from admitall.sim.scenario import Scenario
from admitall.sim.staffing import staff_city
from admitall.sim.supplies import SupplyTwin
from admitall.sim.survey import SurveyTwin

# the city's field staff: they register people and send every unit's reports (a city-wide reporter)
FIELD = Actor(username="sim-field", role=Role.UNIT_OFFICER, unit_code=None, display_name="模拟：社区与街道")
DESK = Actor(username="sim-desk", role=Role.FACILITY_OFFICER, unit_code=None, display_name="模拟：收治点")
DISPATCH = Actor(username="sim-dispatch", role=Role.DISPATCHER, unit_code=None, display_name="模拟：调度")
LEAVING = {"recovered", "released", "excluded", "dead"}

Progress = Callable[[int, int], None]


@dataclass
class Tracked:
    """What the simulation knows of a person it registered: the registry's own state, read back."""

    agent: Agent
    person_id: int
    person: Person
    hazard: float = 0.0  # death hazard spent, against the agent's frailty


class Run:
    def __init__(self, ctx: Context, scenario: Scenario, outbreak: Outbreak, city: SimCity) -> None:
        if not isinstance(ctx.clock, ManualClock):
            raise TypeError("the simulation needs a ManualClock")
        self.ctx, self.s, self.outbreak, self.city = ctx, scenario, outbreak, city
        self.clock: ManualClock = ctx.clock
        self.rng = random.Random(scenario.seed * 7919 + 1)
        self.tracked: dict[int, Tracked] = {}  # agent index -> tracked
        self.index_of: dict[int, int] = {}  # person id -> agent index
        self.to_depart: dict[str, deque[int]] = {}  # district -> the assigned waiting for a vehicle, in order
        self.departing: set[int] = set()  # agent indices in `to_depart`
        self.vehicles: Counter[str] = Counter()  # district -> people who set off this hour
        self.events: list[tuple[float, int, str, int]] = []  # (hour, seq, kind, agent index or unit serial)
        self.seq = 0
        self.recorder = Recorder(scenario, city, ctx.policy)
        self.reporting_units: dict[str, list[str]] = {}
        for code, level in sorted(city.units.items()):
            if level in scenario.operations.report_every_minutes:
                self.reporting_units.setdefault(level, []).append(code)
        for agent in outbreak.agents:
            self.push(agent.identified, "identify", agent.index)
        self.agents = {a.index: a for a in outbreak.agents}
        self.at_risk: set[int] = set()  # severe and critical patients alive: the death hazard applies
        self.kinds: Counter[str] = Counter()
        self.on_hour: Callable[[Run, float], None] | None = None  # for tests: look at the registry each hour
        self.late: list[tuple[str, float]] = []  # reports to be sent late: (unit, hour of the period)
        # the contacts' exposures and twice-daily checks, when the scenario plays them
        start = city.start.astimezone(ctx.settings.tz)
        self.observation = ObservationTwin(ctx, FIELD, start) if scenario.operations.observation else None
        survey = scenario.operations.survey  # the door-to-door survey, when the scenario plays it (sim.survey)
        self.survey = SurveyTwin(ctx, FIELD, survey, start, scenario.seed) if survey is not None else None
        # the staff and the medical teams on their dates, when the scenario plays them (sim.staffing, issue 18)
        self.staffing = staff_city(ctx, scenario, scenario.staffing) if scenario.staffing is not None else None
        # deliveries on a schedule and consumption by occupancy, when the scenario plays them (sim.supplies)
        plan = scenario.supplies
        self.supplies = SupplyTwin(ctx, plan, scenario.facilities) if plan is not None else None
        if self.supplies is not None:
            self.supplies.on_day(start.date(), self.moment(0), None)

    def push(self, hour: float, kind: str, key: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (hour, self.seq, kind, key))

    def moment(self, hour: float) -> datetime:
        return (self.city.start + timedelta(hours=hour)).astimezone(UTC)

    def run(self, progress: Progress | None = None, stop: Callable[[], bool] | None = None) -> Results:
        """Play every tick of the outbreak; `stop`, asked at each local midnight, ends the run there early (a
        bench with a deadline keeps the days it ran)."""
        ops = self.s.operations
        tick = ops.tick_minutes / 60
        ticks = int(self.outbreak.hours / tick)
        for k in range(1, ticks + 1):
            now = k * tick
            self.clock.set(self.moment(now))
            minute = round(now * 60)
            if minute % 1440 == 0:  # the start is a local midnight: a facility opening now is stocked before a plan
                self.daily(now)
            self.due(now)
            self.deaths(now, tick)
            if minute % 60 == tick * 60 % 60:  # the first tick of an hour: the vehicles are back
                self.vehicles.clear()
            if minute % ops.allocate_every_minutes == 0:
                self.allocate(now)
            self.dispatch(now)
            if minute % 60 == 0:
                self.report(now)
                self.observe(now)
                self.canvass(now)
                self.recorder.hour(now, self.ctx)
                if self.on_hour is not None:
                    self.on_hour(self, now)
                if ops.watch_every_minutes and minute % ops.watch_every_minutes == 0:
                    watch(self.ctx, holder="sim")
            if progress is not None:
                progress(k, ticks)
            if stop is not None and minute % 1440 == 0 and k < ticks and stop():
                break
        results = self.recorder.results(self.kinds)
        if self.survey is not None:
            results.summary["survey"] = self.survey.outcome()
        if self.staffing is not None:
            results.summary["staffing"] = self.staffing
        if self.supplies is not None:
            results.summary["supplies"] = self.supplies.outcome()
        return results

    def daily(self, now: float) -> None:
        """At a local midnight: the day ended's consumption and the new day's deliveries (sim.supplies)."""
        if self.supplies is None:
            return
        local = self.moment(now).astimezone(self.ctx.settings.tz)
        self.supplies.on_day(local.date(), self.clock.now(), (local - timedelta(days=1)).date())

    # --- what falls due in a tick --------------------------------------------------------------------------

    def due(self, now: float) -> None:
        found: list[Agent] = []
        steps: list[tuple[Step, int]] = []
        late_reports: list[int] = []
        while self.events and self.events[0][0] <= now:
            hour, _, kind, key = heapq.heappop(self.events)
            if kind == "identify":
                if key not in self.tracked:  # not found before by the survey
                    found.append(self.agents[key])
            elif kind == "step":
                step = self.timeline_step(key, hour)
                if step is not None:
                    steps.append((step, key))
            elif kind == "arrive":
                refused = self.rng.random() < self.s.operations.refusal_share
                reason = "病情与床位不符，请重新分配" if refused else None
                action = "refuse" if refused else "admit"
                pid = self.tracked[key].person_id
                steps.append((Step(pid, action, reason=reason, occurred_at=self.moment(hour)), key))
            elif kind == "report":
                late_reports.append(key)
        if found:
            self.register(found)
        self.apply(steps)
        self.submit([self.late[serial] for serial in late_reports], late=True)

    def register(self, agents: list[Agent]) -> None:
        rows = [(a.index, self.row(a)) for a in agents]
        summary = register_batch(self.ctx, FIELD, rows, source="sim")
        assert not summary.rejections, summary.rejections[:3]
        self.track(agents, summary.person_ids)

    def track(self, agents: list[Agent], person_ids: dict[int, int]) -> None:
        """Follow the people registered for these agents (agent index → person id), as stored."""
        with self.ctx.uow() as uow:
            people = uow.persons.get_many(person_ids.values())
        for a in agents:
            pid = person_ids[a.index]
            self.tracked[a.index] = Tracked(a, pid, people[pid])
            self.index_of[pid] = a.index
            self.kinds[a.kind] += 1
            self.recorder.identified(a, people[pid])
            if a.steps:
                self.push(a.steps[0][0], "step", a.index)

    def row(self, a: Agent) -> dict[str, str | None]:
        born = (self.moment(a.identified) - timedelta(days=a.age * 365 + 180)).date()
        return {
            "name": person_name(self.s.seed, a.index, male=a.male),
            "phone": mobile_phone(self.s.seed, a.index),
            "category": a.first_status,
            "unit_code": a.community,
            "identified_at": self.moment(a.identified).isoformat(timespec="seconds"),
            "sex": "男" if a.male else "女",
            "birth_date": born.isoformat(),
            "risk": "comorbidity" if a.comorbidity else "",
            "source_ref": f"sim-{a.index}",
        }

    def timeline_step(self, index: int, hour: float) -> Step | None:
        """The agent's next step on its own timeline, as the service step that fits where the person is."""
        t = self.tracked[index]
        _, action, to, severity = t.agent.steps.pop(0)
        if t.agent.steps:
            self.push(t.agent.steps[0][0], "step", index)
        if t.person.status is Status.DEAD:
            return None
        at = self.moment(hour)
        if action == "severity":
            return Step(t.person_id, "severity", to=to, occurred_at=at)
        if to in LEAVING and t.person.placement is Placement.ADMITTED:
            return Step(t.person_id, "outcome", to=to, occurred_at=at)
        return Step(t.person_id, "reclassify", to=to, severity=severity, occurred_at=at, reason=_REASONS.get(to))

    def apply(self, steps: list[tuple[Step, int]]) -> None:
        """The steps through the registry in one batch; the people as stored are read back."""
        if not steps:
            return
        summary = apply_steps(self.ctx, DESK, [s for s, _ in steps], source="sim")
        index_of = {s.person_id: key for s, key in steps}
        last_at = {s.person_id: s.occurred_at for s, _ in steps}
        for pid, person in summary.done.items():
            self.follow(index_of[pid], person, last_at[pid] or self.clock.now())
        for step, code, _ in summary.refused:
            self.recorder.refused(step.action, code)
        refused = {s.person_id for s, _, _ in summary.refused}
        for step, _ in steps:
            if step.action == "refuse" and step.person_id not in refused:
                self.recorder.refused_at_desk()

    def follow(self, index: int, person: Person, at: datetime) -> None:
        """Take the registry's word for a person's new state; keep who is at risk of dying."""
        t = self.tracked[index]
        self.recorder.changed(t.person, person, at)
        t.person = person
        severe = person.severity is not None and person.severity.value in self.s.clinical.death_per_day
        if person.status is Status.CONFIRMED and severe:
            self.at_risk.add(index)
        else:
            self.at_risk.discard(index)

    def deaths(self, now: float, tick: float) -> None:
        """Severe and critical patients spend their frailty against the hazard; faster while waiting."""
        c = self.s.clinical
        dying: list[tuple[Step, int]] = []
        for index in sorted(self.at_risk):
            t = self.tracked[index]
            p = t.person
            assert p.severity is not None
            rate = c.death_per_day[p.severity.value] * tick / 24
            if p.placement is not Placement.ADMITTED or p.awaiting_transfer:  # not in a bed that fits them
                rate *= c.waiting_death_multiplier
            t.hazard += rate
            if t.hazard >= t.agent.frailty:
                action = "outcome" if p.placement is Placement.ADMITTED else "reclassify"
                dying.append((Step(t.person_id, action, to="dead", occurred_at=self.moment(now)), index))
        self.apply(dying)

    def observe(self, now: float) -> None:
        """The hour's exposures and checks (sim.observation); a contact a check found febrile is read back."""
        if self.observation is None:
            return
        converted = self.observation.on_hour(self, now)
        if not converted:
            return
        with self.ctx.uow() as uow:
            people = uow.persons.get_many(converted)
        for pid, person in people.items():
            self.follow(self.index_of[pid], person, self.clock.now())

    def canvass(self, now: float) -> None:
        """The hour's door-to-door visits (sim.survey); the ill they registered are tracked from now on."""
        if self.survey is None:
            return
        started = time.process_time()
        found = self.survey.on_hour(self, now)
        if found:
            self.track([self.agents[i] for i in found], found)
        self.survey.cpu_seconds += time.process_time() - started

    def allocate(self, now: float) -> None:
        """The real engine's plan, confirmed; the newly assigned (read back) join their district's line for a
        vehicle."""
        plan = allocate(self.ctx, DISPATCH, commit=True)
        ids = [item["person"] for item in plan.get("confirmed_people", [])]
        if not ids:
            return
        with self.ctx.uow() as uow:
            people = uow.persons.get_many(ids)
        at = self.moment(now)
        for pid in ids:
            index = self.index_of[pid]
            self.follow(index, people[pid], at)
            if index not in self.departing:
                self.departing.add(index)
                self.to_depart.setdefault(self.tracked[index].agent.community[:6], deque()).append(index)

    def dispatch(self, now: float) -> None:
        """The assigned set off in order, as many an hour from each district as its vehicles carry (0: no
        limit); whoever is no longer assigned (reclassified, dead) is dropped from the line."""
        limit = self.s.operations.transport_per_district_hour
        low, high = self.s.operations.transport_minutes
        departing = []
        for district, line in self.to_depart.items():
            while line and not (limit and self.vehicles[district] >= limit):
                index = line.popleft()
                self.departing.discard(index)
                t = self.tracked[index]
                if t.person.placement is not Placement.ASSIGNED:
                    continue
                self.vehicles[district] += 1
                departing.append((Step(t.person_id, "depart", occurred_at=self.moment(now)), index))
                self.push(now + self.rng.uniform(low, high) / 60, "arrive", index)
        self.apply(departing)

    def report(self, now: float) -> None:
        """Each level whose period closes now reports it: most at once, some late, a few never. The hour's
        reports go in one batch (`submit_many`), as a district collecting its streets' reports sends them."""
        ops = self.s.operations
        batch: list[tuple[str, float]] = []
        for level, codes in self.reporting_units.items():
            minutes = ops.report_every_minutes[level]
            if round(now * 60) % minutes:
                continue
            start = now - minutes / 60
            for code in codes:
                draw = self.rng.random()
                if draw < ops.report_missing_share:
                    self.recorder.report("missing")
                elif draw < ops.report_missing_share + ops.report_late_share:
                    self.late.append((code, start))
                    self.push(now + self.rng.uniform(0.25, 0.9), "report", len(self.late) - 1)
                else:
                    batch.append((code, start))
        self.submit(batch, late=False)

    def submit(self, batch: list[tuple[str, float]], *, late: bool) -> None:
        """The units' reports for the periods from the given hours, attested as drafted: the registry's figures,
        counted for all units at once by the submission itself; a refusal is counted, never hidden."""
        if not batch:
            return
        with self.ctx.uow() as uow:
            schedules = reporting_rules.schedules_of(uow)
        wanted = [
            (code, reporting_rules.period_of(self.ctx, schedules[level_of(code)], self.moment(hour)))
            for code, hour in batch
        ]
        reports = [
            reporting.ReportInput(
                unit_code=code,
                period_start=period.start,
                reported={},
                as_drafted=True,  # the registry's figures, counted once at submission
                attested_by=f"值班员{code[-3:]}",
                attest=True,
                idempotency_key=f"sim-{code}-{period.start.isoformat()}",
            )
            for code, period in wanted
        ]
        outcome = reporting.submit_many(self.ctx, FIELD, reports)
        for r in outcome["results"]:
            if r["outcome"] == "refused":
                self.recorder.refused("report", r["error"]["code"])
            else:
                self.recorder.report("late" if late else "on_time")


_REASONS = {
    "excluded": "核酸检测阴性，排除",
    "released": "观察期满，解除观察",
    "recovered": "治愈",
    "fever": "观察期间出现发热",
}
