"""What a run measured, hour by hour and day by day, kept as the run goes so that an hour costs little.

Every person the run registered is in exactly one state at every hour — waiting, assigned, in transit,
admitted, left, dead — and the recorder checks that the states add up to everyone registered, every hour.
The figures come from the people's changes as the registry returned them (counters kept as the run goes) and
from the bed pools (one read an hour), never from a scan of everyone.

A day's row holds the figures as of 24:00 local time, like the bulletins. Their names are stable (they are
checked against published figures): `in_beds_confirmed_by_severity` and `queue_confirmed_by_severity` (confirmed
people in a bed, and waiting for one — waiting, assigned or in transit — by clinical type), `in_beds` and `queue`
(everyone, by category), `by_kind` (each facility kind: beds `open` in its open facilities, beds `occupied` in
all of them, a closed shelter keeping its patients), `deaths_total` and `discharged_total` (cumulative from the
run's start: confirmed people who died, and who recovered — in a bed or not, as the bulletins count the cured),
`suspected_stock` (people in the suspected category, wherever they are) and `reports.completeness` (the share
of the day's expected reports that came in).
"""

from __future__ import annotations

import csv
import heapq
import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from admitall.domain.facilities import Facility
from admitall.domain.people import Person, Placement, Status
from admitall.domain.policy import Policy, PriorityClass
from admitall.services.context import Context
from admitall.services.tabular import csv_cell
from admitall.sim.city import SimCity
from admitall.sim.epidemic import Agent
from admitall.sim.scenario import Scenario
from admitall.store.tables import persons

STATES = ("waiting", "assigned", "in_transit", "admitted", "left", "dead")
FLOWS = ("identified", "confirmed", "admitted", "refused", "deaths_waiting", "deaths_in_bed", "recovered")


SEVERITIES = ("mild", "moderate", "severe", "critical")
AS_OF_MIDNIGHT = ("in_beds_confirmed_by_severity", "by_kind", "deaths_total", "discharged_total", "suspected_stock")


def _by_severity(counts: Counter[str]) -> dict[str, int]:
    """Every clinical type, in order, zeros included: a stable shape for comparison."""
    return {level: counts[level] for level in SEVERITIES}


def state_of(p: Person) -> str:
    if p.status is Status.DEAD:
        return "dead"
    return str(p.placement.value)


def key_of(p: Person) -> tuple[str, str, str]:
    return state_of(p), p.status.value, p.severity.value if p.severity else ""


@dataclass
class Results:
    scenario: dict[str, Any]
    summary: dict[str, Any]
    daily: list[dict[str, Any]]
    hourly: list[dict[str, Any]]
    refused: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "summary": self.summary,
            "refused": self.refused,
            "daily": self.daily,
            "hourly": self.hourly,
        }

    def csv(self, which: str) -> str:
        """The daily or hourly rows as CSV, nested figures flattened (`beds.icu.occupied`), with every column any
        row has (a category or a class may first appear on a later day), grouped under their top-level figure in
        the order the figures first appear; an absent figure is empty."""
        rows = self.daily if which == "daily" else self.hourly
        flat = [_flat(r) for r in rows]
        tops: dict[str, list[str]] = {}
        for raw, r in zip(rows, flat, strict=True):
            for top in raw:
                tops.setdefault(top, [])
            for key in r:
                columns = tops.setdefault(key.split(".", 1)[0], [])
                if key not in columns:
                    columns.append(key)
        out = io.StringIO()
        if flat:
            writer = csv.DictWriter(out, fieldnames=[k for columns in tops.values() for k in columns], restval="")
            writer.writeheader()
            writer.writerows({k: csv_cell(v) for k, v in r.items()} for r in flat)
        return out.getvalue()


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, dict):
            flat.update(_flat(v, f"{prefix}{k}."))
        else:
            flat[prefix + k] = v
    return flat


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


class Recorder:
    def __init__(self, scenario: Scenario, city: SimCity, policy: Policy) -> None:
        self.s, self.city, self.policy = scenario, city, policy
        self.stock: Counter[tuple[str, str, str]] = Counter()
        self.flows: Counter[str] = Counter()
        self.reports: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.day_waits: dict[str, list[float]] = defaultdict(list)
        self.deadlines: dict[int, datetime] = {}  # person id -> past SLA from
        self.due: list[tuple[datetime, int]] = []  # (deadline, person id) not yet passed; stale ones skipped
        self.past: set[int] = set()  # people waiting past their deadline now
        self.clock_at = datetime.min.replace(tzinfo=city.start.tzinfo)  # the last hour closed
        self.hourly: list[dict[str, Any]] = []
        self.daily: list[dict[str, Any]] = []
        self.day_flows: Counter[str] = Counter()
        self.day_reports: Counter[str] = Counter()
        self.registered = 0
        self.deaths_total = 0  # confirmed people
        self.discharged_total = 0  # confirmed people who recovered
        self.kinds: dict[str, str] | None = None  # facility code -> kind, read at the first hour
        self.facilities: list[Facility] = []

    # --- as the run goes -------------------------------------------------------------------------------------

    def identified(self, agent: Agent, person: Person) -> None:
        self.registered += 1
        self.flows["identified"] += 1
        self.stock[key_of(person)] += 1
        self._deadline(person)

    def changed(self, before: Person, after: Person, at: datetime) -> None:
        """One person's change, read back from the registry: stock moves, flows count, waits are measured."""
        self.stock[key_of(before)] -= 1
        self.stock[key_of(after)] += 1
        if before.status is not Status.CONFIRMED and after.status is Status.CONFIRMED:
            self.flows["confirmed"] += 1
        if after.status is Status.DEAD and before.status is not Status.DEAD:
            # waiting for the bed they need: not admitted, or admitted to one that no longer fits them
            unfit = before.placement is not Placement.ADMITTED or before.awaiting_transfer
            waiting = unfit and before.status is Status.CONFIRMED
            self.flows["deaths_waiting" if waiting else "deaths_in_bed"] += 1
        if after.status is Status.RECOVERED and before.status is not Status.RECOVERED:
            self.flows["recovered"] += 1
        if before.status is Status.CONFIRMED and after.status is Status.DEAD:
            self.deaths_total += 1
        if before.status is Status.CONFIRMED and after.status is Status.RECOVERED:
            self.discharged_total += 1
        if after.placement is Placement.ADMITTED and before.placement is not Placement.ADMITTED:
            self.flows["admitted"] += 1
            cls = self.policy.classify(before)
            if cls is not None and before.waiting_since is not None:
                self.day_waits[cls.value].append((at - before.waiting_since).total_seconds() / 3600)
        self._deadline(after)

    def _deadline(self, p: Person) -> None:
        assert p.id is not None
        cls = self.policy.classify(p) if p.waiting_since is not None and p.status is not Status.DEAD else None
        self.past.discard(p.id)
        if cls is None or p.placement is Placement.ADMITTED:
            self.deadlines.pop(p.id, None)
        else:
            assert p.waiting_since is not None
            deadline = p.waiting_since + self.policy.sla[cls]
            if self.deadlines.get(p.id) != deadline:
                heapq.heappush(self.due, (deadline, p.id))
            elif deadline < self.clock_at:
                self.past.add(p.id)
            self.deadlines[p.id] = deadline

    def _past_sla(self, now: datetime) -> int:
        """How many wait past their deadline at `now`: the deadlines passed since the last hour join the count
        (a heap, so an hour costs what changed, not everyone waiting)."""
        self.clock_at = now
        while self.due and self.due[0][0] < now:
            deadline, pid = heapq.heappop(self.due)
            if self.deadlines.get(pid) == deadline:
                self.past.add(pid)
        return len(self.past)

    def refused(self, action: str, code: str) -> None:
        """A step the registry refused (a rule, or a bed gone): counted by action and rule, never hidden."""
        self.refusals[f"{action}:{code}"] += 1

    def refused_at_desk(self) -> None:
        self.flows["refused"] += 1

    def report(self, how: str) -> None:
        self.reports[how] += 1

    def hour(self, hour: float, ctx: Context) -> None:
        """Close an hour: a row of stocks, flows and beds; and a day's row at local midnight."""
        now = self.city.start + timedelta(hours=hour)
        states: Counter[str] = Counter()
        waiting: Counter[str] = Counter()
        severity: Counter[str] = Counter()
        in_beds: Counter[str] = Counter()
        in_beds_severity: Counter[str] = Counter()
        suspected = 0
        for (state, status, level), n in self.stock.items():
            states[state] += n
            if status == Status.SUSPECTED.value and state not in ("left", "dead"):
                suspected += n
            if state == "admitted":
                in_beds[status] += n
                if status == Status.CONFIRMED.value and level:
                    in_beds_severity[level] += n
            if state in ("waiting", "assigned", "in_transit"):
                waiting[status] += n
                if status == Status.CONFIRMED.value and level:
                    severity[level] += n
        if sum(states.values()) != self.registered:
            raise AssertionError(f"{now}: {sum(states.values())} people in the states, {self.registered} registered")
        with ctx.uow() as uow:
            if self.kinds is None:
                found = uow.facilities.in_subtree(None)
                self.kinds = {f.code: f.type.value for f in found}
                self.facilities = found
            pools = uow.facilities.pools()
        open_now = {f.code for f in self.facilities if f.is_open(now)}
        beds: dict[str, dict[str, int]] = {}
        by_kind: dict[str, dict[str, int]] = {}
        for p in pools:
            kind = by_kind.setdefault(self.kinds.get(p.facility_code, "?"), {"open": 0, "occupied": 0})
            kind["occupied"] += p.occupied
            if p.facility_code not in open_now:
                continue
            kind["open"] += p.capacity
            b = beds.setdefault(p.bed_type.value, {"capacity": 0, "occupied": 0, "reserved": 0})
            b["capacity"] += p.capacity
            b["occupied"] += p.occupied
            b["reserved"] += p.reserved
        row = {
            "hour": now.isoformat(),
            **{f: self.flows[f] for f in FLOWS},
            "states": {s: states[s] for s in STATES},
            "queue": dict(sorted((k, v) for k, v in waiting.items() if v)),
            "queue_confirmed_by_severity": _by_severity(severity),
            "in_beds": dict(sorted((k, v) for k, v in in_beds.items() if v)),
            "in_beds_confirmed_by_severity": _by_severity(in_beds_severity),
            "by_kind": dict(sorted(by_kind.items())),
            "deaths_total": self.deaths_total,
            "discharged_total": self.discharged_total,
            "suspected_stock": suspected,
            "past_sla": self._past_sla(now),
            "beds": beds,
            "reports": {k: self.reports[k] for k in ("on_time", "late", "missing")},
        }
        self.hourly.append(row)
        self.day_flows.update(self.flows)
        self.day_reports.update(self.reports)
        self.flows.clear()
        self.reports.clear()
        if round(hour) % 24 == 0:
            self._close_day(now, row)

    def _close_day(self, now: datetime, last: dict[str, Any]) -> None:
        expected = sum(self.day_reports.values())
        waits = {
            cls: {
                "n": len(v),
                "median_h": round(statistics.median(v), 2),
                "p90_h": round(_percentile(v, 0.9), 2),
                "max_h": round(max(v), 2),
                "past_sla": sum(1 for w in v if w > self.policy.sla[PriorityClass(cls)].total_seconds() / 3600),
            }
            for cls, v in sorted(self.day_waits.items())
            if v
        }
        self.daily.append(
            {
                "day": (now - timedelta(hours=1)).astimezone(self.city.start.tzinfo).date().isoformat(),
                **{f: self.day_flows[f] for f in FLOWS},
                "states": last["states"],
                "queue": last["queue"],
                "queue_confirmed_by_severity": last["queue_confirmed_by_severity"],
                "in_beds": last["in_beds"],
                **{k: last[k] for k in AS_OF_MIDNIGHT},
                "past_sla": last["past_sla"],
                "beds": last["beds"],
                "waits": waits,
                "reports": {
                    **{k: self.day_reports[k] for k in ("on_time", "late", "missing")},
                    "completeness": round(100 * (expected - self.day_reports["missing"]) / expected, 1)
                    if expected
                    else None,
                    "timeliness": round(100 * self.day_reports["on_time"] / expected, 1) if expected else None,
                },
            }
        )
        self.day_flows.clear()
        self.day_reports.clear()
        self.day_waits.clear()

    # --- at the end ------------------------------------------------------------------------------------------

    def results(self, identified_by_kind: Counter[str]) -> Results:
        return Results(
            scenario={
                "name": self.s.name,
                "title_zh": self.s.title_zh,
                "title_en": self.s.title_en,
                "start": self.s.start.isoformat(),
                "days": self.s.days,
                "seed": self.s.seed,
                "settings": list(self.s.settings),
            },
            summary=summarise(self.hourly, self.daily, identified_by_kind),
            daily=self.daily,
            hourly=self.hourly,
            refused=dict(sorted(self.refusals.items())),
        )


def summarise(hourly: list[dict[str, Any]], daily: list[dict[str, Any]], kinds: Counter[str]) -> dict[str, Any]:
    """The figures a planner compares runs by: deaths while waiting, the backlog's peak and when it cleared."""
    peak = max(hourly, key=lambda r: r["past_sla"], default=None)
    cleared = None
    if peak is not None and peak["past_sla"] > 0:
        after = hourly[hourly.index(peak) :]
        cleared = next((r["hour"] for r in after if r["past_sla"] == 0), None)
    total = Counter[str]()
    for r in hourly:
        total.update({f: r[f] for f in FLOWS})
    last = hourly[-1] if hourly else {"states": {}, "queue": {}}
    return {
        "found": dict(sorted(kinds.items())),
        **{f: total[f] for f in FLOWS},
        "deaths": total["deaths_waiting"] + total["deaths_in_bed"],
        "peak_past_sla": peak["past_sla"] if peak else 0,
        "peak_past_sla_at": peak["hour"] if peak and peak["past_sla"] else None,
        "backlog_cleared_at": cleared,
        "hours_to_clear_backlog": _hours_between(peak["hour"], cleared) if peak and cleared else None,
        "waiting_at_end": sum(last["queue"].values()),
        "states_at_end": last["states"],
        "days": len(daily),
    }


def _hours_between(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 3600


_BY_STATE = select(persons.c.status, persons.c.placement, func.count()).group_by(persons.c.status, persons.c.placement)


def registry_states(ctx: Context) -> Counter[str]:
    """Everyone in the registry by the run's state (their placement, or dead), counted from the people themselves
    and not from the census: the conservation check of a run (tests, bench), never the recorder's own path."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(_BY_STATE).all()
    stored: Counter[str] = Counter()
    for status, placement, n in rows:
        stored["dead" if status == "dead" else placement] += n
    return stored
