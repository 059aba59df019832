"""The outbreak and how it is found: who comes forward, when, in which category, and how ill they become.

Pure: from a scenario and a seed to the people the city will have to deal with, each with the timeline of what
happens to them regardless of beds — identification, reclassification, severity, recovery, release. What beds
change (admission, death while waiting) is the operations' business (`runner`).

- Infections: a renewal model on days from the seed date, I(d) ~ Poisson(R(d) · Σ w(s) I(d−s)), w the
  discretised gamma generation interval, R a step schedule.
- A share of the infected fall ill enough to come to a fever clinic: onset after a log-normal incubation,
  presentation after an exponential delay whose mean depends on the date of onset. They are registered as
  febrile, most become suspected, and join the queue for a test; the testing capacity (positive results a day)
  confirms them first come, first served, after a turnaround.
- Febrile people who have something else are registered at a rate per 10,000 residents and ruled out.
- Every confirmed case's close contacts are traced; a few are infected and go on to fall ill in quarantine.
- A confirmed case's final clinical type is drawn; severe and critical cases pass through the milder types at
  fixed days from onset; survivors recover within a range of days from onset. Each case carries a frailty
  (an exponential draw) that the runner spends against the death hazard.

Time is in hours from the scenario's start (local midnight); people who came forward before it are found in the
first hours of the run.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from admitall.sim.scenario import Scenario, Spread, at

CASE, BACKGROUND, CONTACT = "case", "background", "contact"


@dataclass
class Agent:
    """One person the city will find. `steps` are (hour, action, to, severity): action is "reclassify" or
    "severity"; they are in time order and happen whatever beds do, unless the person dies first."""

    index: int
    community: str
    kind: str
    identified: float
    first_status: str
    age: int
    male: bool
    comorbidity: bool
    steps: list[tuple[float, str, str, str | None]] = field(default_factory=list)
    frailty: float = 0.0
    onset: float = 0.0  # hours; for the ill, the clinical course counts from it
    source: int | None = None  # a traced contact: the index of the case they were exposed to (sim.observation)


@dataclass
class Outbreak:
    """The people found in the run, in order of identification, and the infections behind them by day."""

    agents: list[Agent]
    infections: dict[date, int]
    hours: int


def _gamma_weights(spread: Spread, days: int = 30) -> list[float]:
    """The generation interval, discretised by day (day 1..days) from a gamma distribution."""
    shape = (spread.mean / spread.sd) ** 2
    scale = spread.sd**2 / spread.mean

    def cdf(x: float) -> float:
        # the regularised lower incomplete gamma by its series; shape and x are small here
        if x <= 0:
            return 0.0
        term = total = 1.0 / shape
        n = 1
        while term > total * 1e-12 and n < 500:
            term *= (x / scale) / (shape + n)
            total += term
            n += 1
        return total * math.exp(-x / scale + shape * math.log(x / scale) - math.lgamma(shape))

    weights = [cdf(d + 0.5) - cdf(d - 0.5) for d in range(1, days + 1)]
    total = sum(weights)
    return [w / total for w in weights]


def _lognormal(rng: random.Random, spread: Spread) -> float:
    sigma2 = math.log(1 + (spread.sd / spread.mean) ** 2)
    return rng.lognormvariate(math.log(spread.mean) - sigma2 / 2, math.sqrt(sigma2))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def infections_by_day(scenario: Scenario, rng: random.Random) -> dict[date, int]:
    """The renewal model from the seed date to the run's last day."""
    epidemic = scenario.epidemic
    weights = _gamma_weights(epidemic.generation_interval)
    end = scenario.start + timedelta(days=scenario.days)
    series: list[int] = [epidemic.seed_infections]
    day = epidemic.seed_date
    result = {day: epidemic.seed_infections}
    while day < end - timedelta(days=1):
        day += timedelta(days=1)
        pressure = sum(w * series[-s] for s, w in enumerate(weights, start=1) if s <= len(series))
        series.append(_poisson(rng, at(epidemic.r, day) * pressure))
        result[day] = series[-1]
    return result


class _Found:
    """Builds the agents; keeps the test queue (by time of joining it) and the people to trace."""

    def __init__(
        self, scenario: Scenario, rng: random.Random, communities: list[str], weights: list[float], hours: int | None
    ) -> None:
        self.s, self.rng = scenario, rng
        self.communities, self.cumulative = communities, []
        self.by_street: dict[str, list[str]] = {}  # a case's contacts live in its street
        for c in communities:
            self.by_street.setdefault(c[:9], []).append(c)
        total = 0.0
        for w in weights:
            total += w
            self.cumulative.append(total)
        self.hours = hours or scenario.days * 24
        self.agents: list[Agent] = []
        self.queue: list[tuple[float, int]] = []  # (joins the test queue at, agent index)
        self.origin = scenario.start

    def hour_of(self, day: date, fraction: float) -> float:
        return ((day - self.origin).days + fraction) * 24

    def community(self) -> str:
        return self.rng.choices(self.communities, cum_weights=self.cumulative)[0]

    def new(self, kind: str, community: str, identified: float, status: str, *, ill: bool) -> Agent:
        rng = self.rng
        age = min(95, max(1, int(rng.gauss(55 if ill else 40, 16))))
        if ill and rng.random() < self.s.clinical.elderly_share:
            age = rng.randint(65, 90)
        agent = Agent(
            index=len(self.agents),
            community=community,
            kind=kind,
            identified=identified,
            first_status=status,
            age=age,
            male=rng.random() < 0.5,
            comorbidity=ill and rng.random() < self.s.clinical.comorbidity_share,
            frailty=rng.expovariate(1.0),
        )
        self.agents.append(agent)
        return agent

    def falls_ill(self, agent: Agent, onset: float, presents: float) -> None:
        """From presentation: febrile (already, or reclassified from contact), perhaps suspected, then the test
        queue. `onset` is kept on the agent for the clinical course once confirmed."""
        d = self.s.detection
        if agent.first_status == "contact":
            agent.steps.append((presents, "reclassify", "fever", None))
        joins = presents
        if self.rng.random() < d.suspected_share:
            joins = presents + self.rng.expovariate(1 / max(d.fever_to_suspected_hours, 0.01))
            agent.steps.append((joins, "reclassify", "suspected", None))
        agent.onset = onset
        heapq.heappush(self.queue, (joins, agent.index))

    def cases(self, infections: dict[date, int]) -> None:
        e, d = self.s.epidemic, self.s.detection
        for day, n in infections.items():
            for _ in range(n):
                if self.rng.random() >= e.care_seeking_share:
                    continue
                infected = self.hour_of(day, self.rng.random())
                onset = infected + 24 * _lognormal(self.rng, e.incubation)
                onset_day = self.origin + timedelta(hours=onset)
                presents = onset + 24 * self.rng.expovariate(1 / at(d.onset_to_presentation, onset_day))
                if presents >= self.hours:
                    continue
                found = presents if presents >= 0 else self.rng.uniform(0, 6)
                self.falls_ill(self.new(CASE, self.community(), found, "fever", ill=True), onset, found)

    def background(self, population: int) -> None:
        d = self.s.detection
        per_day = d.background_fever_per_10k_day * population / 10_000
        for day in range(-(-self.hours // 24)):
            for _ in range(_poisson(self.rng, per_day)):
                found = (day + self.rng.random()) * 24
                if found >= self.hours:
                    continue
                agent = self.new(BACKGROUND, self.community(), found, "fever", ill=False)
                out = found + self.rng.expovariate(1 / d.rule_out_hours)
                if self.rng.random() < d.background_suspected_share:
                    agent.steps.append((found + (out - found) * self.rng.random(), "reclassify", "suspected", None))
                agent.steps.append((out, "reclassify", "excluded", None))

    def test_and_trace(self) -> None:
        """Hour by hour: the testing capacity confirms the queue in order; each confirmation is traced. Whoever
        the capacity has not confirmed within `suspected_resolved_days` of joining the queue is excluded then
        (retested negative: the sample taken late, or the infection over) and leaves the queue."""
        d = self.s.detection
        resolve = 24 * d.suspected_resolved_days if d.suspected_resolved_days else math.inf
        budget = 0.0
        for hour in range(self.hours):
            day = self.origin + timedelta(hours=hour)
            budget += at(d.confirmations_per_day, day) / 24
            while self.queue and self.queue[0][0] + resolve <= hour:
                joined, index = heapq.heappop(self.queue)  # retested negative until the window closed
                self.agents[index].steps.append((joined + resolve, "reclassify", "excluded", None))
            while self.queue and self.queue[0][0] < hour + 1 and budget >= 1:
                joined, index = heapq.heappop(self.queue)
                budget -= 1
                confirmed = max(float(hour), joined) + d.test_turnaround_hours
                if confirmed < self.hours:
                    self.confirm(self.agents[index], confirmed)
            if not self.queue or self.queue[0][0] >= hour + 1:
                budget = min(budget, 1.0)

    def confirm(self, agent: Agent, confirmed: float) -> None:
        c, rng = self.s.clinical, self.rng
        onset = agent.onset
        final = rng.choices(list(c.severity), weights=list(c.severity.values()))[0]
        course = []
        if final in ("severe", "critical"):
            course.append((onset + 24 * c.severe_from_onset_days, "severe"))
        if final == "critical":
            course.append((onset + 24 * c.critical_from_onset_days, "critical"))
        reached = [sev for t, sev in course if t <= confirmed]
        first = reached[-1] if reached else ("mild" if final == "mild" else "moderate")
        agent.steps.append((confirmed, "reclassify", "confirmed", first))
        agent.steps += [(t, "severity", sev, None) for t, sev in course if t > confirmed]
        span = c.severe_recovery_from_onset_days if final in ("severe", "critical") else c.recovery_from_onset_days
        retests = 24 * rng.uniform(*c.discharge_retests_days) if c.discharge_retests_days else 0.0
        recovers = max(onset + 24 * rng.uniform(*span), agent.steps[-1][0] + 24) + retests
        agent.steps.append((recovers, "reclassify", "recovered", None))
        agent.steps.append((recovers + 24 * c.recovery_station_days, "reclassify", "released", None))
        self.trace(agent, confirmed)

    def trace(self, case: Agent, confirmed: float) -> None:
        d = self.s.detection
        nearby = self.by_street.get(case.community[:9]) or [case.community]
        for _ in range(_poisson(self.rng, d.contacts_per_case)):
            found = confirmed + self.rng.expovariate(1 / max(d.contact_trace_hours, 0.01))
            if found >= self.hours:
                continue
            contact = self.new(CONTACT, self.rng.choice(nearby), found, "contact", ill=False)
            contact.source = case.index
            if self.rng.random() < d.contact_infected_share:
                onset = found + 24 * self.rng.uniform(1, 7)
                self.falls_ill(contact, onset - 24 * self.rng.uniform(0, 3), onset)
            else:
                contact.steps.append((found + 24 * d.observation_days, "reclassify", "released", None))


def simulate_outbreak(
    scenario: Scenario,
    communities: list[str],
    populations: list[int],
    *,
    seed: int | None = None,
    hours: int | None = None,
) -> Outbreak:
    """Everyone the city will find during the run (the scenario's days, or `hours` from its start),
    deterministic for a scenario and seed."""
    rng = random.Random(scenario.seed if seed is None else seed)
    infections = infections_by_day(scenario, rng)
    found = _Found(scenario, rng, communities, [float(p) for p in populations], hours)
    found.cases(infections)
    found.background(sum(populations))
    found.test_and_trace()
    hours = found.hours
    for agent in found.agents:
        agent.steps = sorted((s for s in agent.steps if s[0] < hours), key=lambda s: s[0])
    agents = sorted(found.agents, key=lambda a: (a.identified, a.index))
    return Outbreak(agents, infections, hours)
