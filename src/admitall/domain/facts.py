"""The recorded facts a scorecard is built from, each with the unit it belongs to and the moment it happened.

A scorecard counts facts within a window [start, end): waits (from the wait segments), reports (from the
reporting chain), directives and problems. Every fact carries a time so that it can be laid at the door of the
official who led the unit at that moment, and a reference (a person, a report slot, a directive, a problem) so
that a flag can show the facts behind it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from itertools import groupby
from typing import NamedTuple

from admitall.domain.policy import PriorityClass
from admitall.domain.waits import ADMITTED


class Kind(str, Enum):
    IDENTIFIED = "identified"  # a person newly found in the four categories
    DEMAND = "demand"  # a wait that was open at some time in the window
    PLACED = "placed"  # a wait that ended in admission in the window (value: minutes waited)
    STILL_WAITING = "still_waiting"  # a wait still open as the window closes (value: minutes so far)
    BREACH = "breach"  # a wait that went past its class's service-level target in the window
    REPORT_ON_TIME = "report_on_time"
    REPORT_LATE = "report_late"
    REPORT_MISSING = "report_missing"
    REPORT_RECEIVED = "report_received"
    REPORT_DISCREPANT = "report_discrepant"  # a report whose figures disagreed with the registry
    DIRECTIVE_ON_TIME = "directive_on_time"  # value: hours from issue to completion
    DIRECTIVE_LATE = "directive_late"
    DIRECTIVE_OVERDUE = "directive_overdue"  # past due and still not done
    PROBLEM_ON_TIME = "problem_on_time"  # value: hours from being raised to resolution
    PROBLEM_LATE = "problem_late"
    PROBLEM_OVERDUE = "problem_overdue"


class Fact(NamedTuple):
    kind: Kind
    unit_code: str
    at: datetime
    cls: str | None = None
    value: float = 0.0
    ref: str = ""


class Segment(NamedTuple):
    """One stored wait segment (see domain.waits)."""

    person_id: int
    unit_code: str
    cls: PriorityClass
    wait_started_at: datetime
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def wait_facts(
    segments: Iterable[Segment], start: datetime, end: datetime, sla: Mapping[PriorityClass, timedelta]
) -> Iterator[Fact]:
    """Demand, placements, waits still open, and service-level breaches in [start, end).

    A wait (one person, one `wait_started_at`) counts once for each: demand where it first falls in the window,
    a placement when it ended in admission, a breach at the first moment in the window it was past the target
    of the class it had then."""
    ordered = sorted(segments, key=lambda s: (s.person_id, s.wait_started_at, s.started_at))
    for (person_id, waited_from), group in groupby(ordered, key=lambda s: (s.person_id, s.wait_started_at)):
        segs = list(group)
        inside = [s for s in segs if s.started_at < end and (s.ended_at is None or s.ended_at > start)]
        if not inside:
            continue
        ref = str(person_id)
        first, last = inside[0], segs[-1]
        yield Fact(Kind.DEMAND, first.unit_code, max(first.started_at, start), first.cls.value, ref=ref)
        if last.outcome == ADMITTED and last.ended_at is not None and start <= last.ended_at < end:
            waited = _minutes(last.ended_at - waited_from)
            yield Fact(Kind.PLACED, last.unit_code, last.ended_at, last.cls.value, waited, ref)
        open_at_end = inside[-1]
        if open_at_end.ended_at is None or open_at_end.ended_at >= end:
            yield Fact(
                Kind.STILL_WAITING, open_at_end.unit_code, end, open_at_end.cls.value, _minutes(end - waited_from), ref
            )
        for s in inside:
            onset = max(s.started_at, waited_from + sla[s.cls], start)
            if onset < min(s.ended_at or end, end):
                yield Fact(Kind.BREACH, s.unit_code, onset, s.cls.value, _minutes(onset - waited_from), ref)
                break


class ReportSlot(NamedTuple):
    unit_code: str
    period_start: datetime
    deadline: datetime
    state: str  # on_time, late, missing (closed slots only)


_SLOT_KINDS = {"on_time": Kind.REPORT_ON_TIME, "late": Kind.REPORT_LATE, "missing": Kind.REPORT_MISSING}


def report_facts(slots: Iterable[ReportSlot], start: datetime, end: datetime) -> Iterator[Fact]:
    """One fact per expected report of a period that began in the window and is past its deadline, judged as the
    chain judged it, at its deadline (the moment it was due)."""
    for s in slots:
        kind = _SLOT_KINDS.get(s.state)
        if kind is not None and start <= s.period_start < end:
            yield Fact(kind, s.unit_code, s.deadline, ref=f"{s.unit_code}@{s.period_start.isoformat()}")


class Duty(NamedTuple):
    """Something a unit had to close by a time: a directive it received, a problem it raised for help."""

    kind: str  # directive or problem
    unit_code: str
    ref: str
    opened_at: datetime
    due_at: datetime
    closed_at: datetime | None


_DUTY_KINDS = {
    "directive": (Kind.DIRECTIVE_ON_TIME, Kind.DIRECTIVE_LATE, Kind.DIRECTIVE_OVERDUE),
    "problem": (Kind.PROBLEM_ON_TIME, Kind.PROBLEM_LATE, Kind.PROBLEM_OVERDUE),
}


def duty_facts(duties: Iterable[Duty], start: datetime, end: datetime, now: datetime) -> Iterator[Fact]:
    """Closed on time counts when it was closed; late or still open counts at the due time."""
    for d in duties:
        on_time, late, overdue = _DUTY_KINDS[d.kind]
        hours = round((d.closed_at - d.opened_at).total_seconds() / 3600, 2) if d.closed_at else 0.0
        if d.closed_at is not None and d.closed_at <= d.due_at:
            if start <= d.closed_at < end:
                yield Fact(on_time, d.unit_code, d.closed_at, value=hours, ref=d.ref)
        elif start <= d.due_at < end and d.due_at <= now:
            late_or_open = late if d.closed_at is not None and d.closed_at <= now else overdue
            yield Fact(late_or_open, d.unit_code, d.due_at, value=hours if late_or_open is late else 0.0, ref=d.ref)


@dataclass
class Facts:
    """Facts added up: counts by kind (and by class for waits), and the distributions the figures need."""

    counts: Counter[str] = field(default_factory=Counter)
    by_class: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> class -> n
    values: dict[str, list[float]] = field(default_factory=dict)  # "placed:critical", "directive", ... -> values
    population: int = 0
    # class -> the longest wait still open (minutes): waits still open are counted in by_class, their longest kept
    # here, so that a subtree with many waiting adds up in the time of its classes, not of its people
    longest: dict[str, float] = field(default_factory=dict)

    def add(self, f: Fact) -> None:
        kind = f.kind.value
        self.counts[kind] += 1
        if f.cls is not None:
            self.by_class.setdefault(kind, Counter())[f.cls] += 1
        if f.kind is Kind.STILL_WAITING:
            self.still(str(f.cls), 0, f.value)
            return
        key = _value_key(f)
        if key is not None:
            self.values.setdefault(key, []).append(f.value)

    def merge(self, other: Facts) -> None:
        self.counts.update(other.counts)
        for kind, classes in other.by_class.items():
            self.by_class.setdefault(kind, Counter()).update(classes)
        for key, values in other.values.items():
            self.values.setdefault(key, []).extend(values)
        self.population += other.population
        for cls, minutes in other.longest.items():
            self.still(cls, 0, minutes)

    def remove(self, f: Fact) -> None:
        """Take back a fact added before (a wait read again): its counts and its value, not a longest wait."""
        if f.kind is Kind.STILL_WAITING:
            raise ValueError("a wait still open is not taken back: its longest is not kept per fact")
        kind = f.kind.value
        _take(self.counts, kind)
        if f.cls is not None:
            classes = self.by_class[kind]
            _take(classes, f.cls)
            if not classes:
                del self.by_class[kind]
        key = _value_key(f)
        if key is not None:
            values = self.values[key]
            values.remove(f.value)
            if not values:
                del self.values[key]

    def still(self, cls: str, n: int, longest: float) -> None:
        """`n` more waits of the class still open (counted by `add` for a fact), the longest `longest` minutes."""
        if n:
            self.counts[Kind.STILL_WAITING.value] += n
            self.by_class.setdefault(Kind.STILL_WAITING.value, Counter())[cls] += n
        if longest > self.longest.get(cls, -1.0):
            self.longest[cls] = longest

    def n(self, kind: Kind) -> int:
        return self.counts[kind.value]


def _value_key(f: Fact) -> str | None:
    """Where a fact's value goes in Facts.values (the distributions the figures show), if anywhere."""
    if f.kind is Kind.PLACED:
        return f"{Kind.PLACED.value}:{f.cls}"
    if f.kind is Kind.DIRECTIVE_ON_TIME or f.kind is Kind.DIRECTIVE_LATE:
        return "directive"
    if f.kind is Kind.PROBLEM_ON_TIME or f.kind is Kind.PROBLEM_LATE:
        return "problem"
    return None


def _take(counts: Counter[str], key: str) -> None:
    left = counts[key] - 1
    if left < 0:
        raise ValueError(f"no {key} to take back")
    if left:
        counts[key] = left
    else:
        del counts[key]


def facts_of(items: Iterable[Fact], population: int = 0) -> Facts:
    facts = Facts(population=population)
    for f in items:
        facts.add(f)
    return facts
