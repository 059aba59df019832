"""The waits of a stored day's scorecards, kept between the watch's rounds so that a round reads and counts again
only the people who changed since the last one, not everyone waiting.

A wait's facts (domain.facts.wait_facts) move with the clock in two ways only, once every segment of it lies
before the window's running end: a wait still open waits longer (its minutes so far), and one still open may
pass its class's target (a breach, at a moment known in advance). So each person's facts are kept split: what is
settled, the waits still open (unit, class, since when: counted per unit and class with their longest, by
`Facts.still`), and the breaches each open wait will have at its onset (a heap, taken as the window reaches them).

Who changed: every change to a person appends an event in the same transaction (architecture §2), and their
segments change only with them; so the people with an event after the newest one seen are read again. That holds
on SQLite, where writers take turns and event ids are committed in order; on PostgreSQL, where an event with a
smaller id may commit after a larger one was seen, the waits are read whole every round (as the allocation
snapshot does). The people whose segments the window's end crossed since the last round (a segment begun
since, or ending after the last round's end: dated ahead, or a closed window's waits that ended after it) are
read again too. Changes without an event (a rebuild, hand-written SQL) are caught by what a count can see: new
segments of people without an event, a different number of open segments; and the waits are read whole at
least every REREAD_SECONDS. The cards are then equal to a computation from nothing
(tests/integration/test_watch_incremental.py, test_twin_speed_watch.py).

A new day starts from the day before (`carry`): the segments each person had that reach past that day's end (a
wait still open at midnight) are kept with its state, and the new day's waits are those segments counted in the
new window, with the people who changed since read again, by the same rules as a round within a day; so the day's
first round costs the waits that changed overnight, not everyone still waiting (tests/integration/
test_watch_carry.py).
"""

from __future__ import annotations

import heapq
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select, text, union
from sqlalchemy.engine import Connection

from admitall.domain.facts import Fact, Facts, Kind, Segment
from admitall.domain.policy import PriorityClass
from admitall.domain.waits import ADMITTED
from admitall.store.bulk import chunks
from admitall.store.repositories.census import MERGED_AWAY
from admitall.store.repositories.waiting_list import WaitingList
from admitall.store.tables import UTCDateTime
from admitall.store.tables_accountability import wait_segments

REREAD_SECONDS = 600.0

_w = wait_segments.c
_CLASSES = {c.value: c for c in PriorityClass}
_OVERLAPPING = select(
    _w.id, _w.person_id, _w.unit_code, _w.priority_class, _w.wait_started_at, _w.started_at, _w.ended_at, _w.outcome
).where(
    _w.started_at < bindparam("end"),
    or_(_w.ended_at.is_(None), _w.ended_at > bindparam("start")),
    _w.person_id.not_in(MERGED_AWAY),  # a record merged into another counts once, as the survivor
)
_OVERLAPPING_OF = _OVERLAPPING.where(_w.person_id.in_(bindparam("ids", expanding=True)))
_NEWEST = select(func.coalesce(func.max(_w.id), 0))
# the people whose segments the window's moving end crossed since the last round: a segment begun since, or one
# that ends after the last round's end (their facts as of then treated it as open)
_CROSSED = union(
    select(_w.person_id).where(_w.started_at >= bindparam("since"), _w.started_at < bindparam("until")),
    select(_w.person_id).where(_w.ended_at >= bindparam("since")),
)
_OPEN = select(func.count()).select_from(wait_segments).where(_w.ended_at.is_(None))
# open segments begun at or after a window's end, which a finished day's kept waits never saw: a day's worth at
# most, found by the start's index (SQLite would rather walk every open segment, the `ended_at IS NULL` entries,
# reading each row for its start). Run only on SQLite, where the waits are kept between rounds.
_OPEN_LATER = text(
    "SELECT count(*) FROM wait_segments INDEXED BY ix_wait_segments_started_unit "
    "WHERE started_at >= :until AND ended_at IS NULL"
).bindparams(bindparam("until", type_=UTCDateTime()))
_NEW_OF = select(_w.person_id).where(_w.id > bindparam("after"))

Still = tuple[str, str, datetime]  # unit, class, waiting since


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


@dataclass
class _Person:
    """One person's facts in the window: settled, waits still open, breaches to come (onset, fact)."""

    settled: list[Fact]
    still: list[Still]
    pending: list[tuple[datetime, Fact]]
    open_segments: int


def split(segments: list[Segment], start: datetime, until: datetime, sla: Mapping[PriorityClass, timedelta]) -> _Person:
    """A person's segments (sorted by wait and start) as domain.facts.wait_facts counts them up to `until`, split
    into what no longer moves while every segment lies before `until`, and what moves with the clock."""
    settled: list[Fact] = []
    still: list[Still] = []
    pending: list[tuple[datetime, Fact]] = []
    for (person_id, waited_from), group in groupby(segments, key=lambda s: (s.person_id, s.wait_started_at)):
        segs = list(group)
        inside = [s for s in segs if s.started_at < until and (s.ended_at is None or s.ended_at > start)]
        if not inside:
            continue
        ref = str(person_id)
        first, last = inside[0], segs[-1]
        settled.append(Fact(Kind.DEMAND, first.unit_code, max(first.started_at, start), first.cls.value, ref=ref))
        if last.outcome == ADMITTED and last.ended_at is not None and start <= last.ended_at < until:
            waited = _minutes(last.ended_at - waited_from)
            settled.append(Fact(Kind.PLACED, last.unit_code, last.ended_at, last.cls.value, waited, ref))
        open_at_end = inside[-1]
        if open_at_end.ended_at is None or open_at_end.ended_at >= until:
            still.append((open_at_end.unit_code, open_at_end.cls.value, waited_from))
        for s in inside:
            onset = max(s.started_at, waited_from + sla[s.cls], start)
            breach = Fact(Kind.BREACH, s.unit_code, onset, s.cls.value, _minutes(onset - waited_from), ref)
            if onset < min(s.ended_at or until, until):
                settled.append(breach)
                break
            if s.ended_at is None:  # the open segment: a breach once the window reaches its onset
                pending.append((onset, breach))
                break
    return _Person(settled, still, pending, sum(1 for s in segments if s.ended_at is None))


@dataclass
class WaitState:
    """The waits of one window, kept between rounds (services.scorecard_rollup keeps it with the day's rollup)."""

    start: datetime
    end: datetime
    sla: Mapping[PriorityClass, timedelta]
    until: datetime = field(init=False)
    last_event: int = 0
    newest_segment: int = 0
    people: dict[int, _Person] = field(default_factory=dict)
    heap: list[tuple[datetime, int, int]] = field(default_factory=list)  # (onset, person, version)
    versions: dict[int, int] = field(default_factory=dict)
    open_segments: int = 0
    read_at: float = field(default_factory=time.monotonic)
    changed: set[str] = field(default_factory=set)  # units whose settled facts changed in the last round
    # per person, the segments read that reach past the window's end (a wait open then): what the next day carries
    carry: dict[int, list[Segment]] = field(default_factory=dict)
    whole: bool = True  # the last round read every wait
    # per unit, kept as people are put and taken: the settled facts added up, and the waits still open
    # (class -> since when -> how many), with their count and oldest per class once asked
    settled: dict[str, Facts] = field(default_factory=dict)
    opened: dict[str, dict[str, Counter[datetime]]] = field(default_factory=dict)
    _oldest: dict[str, dict[str, tuple[int, datetime]]] = field(default_factory=dict)

    def settled_of(self, unit: str) -> Facts | None:
        """The unit's own settled wait facts, added up (None if it has none)."""
        return self.settled.get(unit)

    def oldest(self, unit: str) -> Mapping[str, tuple[int, datetime]]:
        """The unit's own waits still open, per class: how many, and since when the longest."""
        found = self._oldest.get(unit)
        if found is None:
            found = {cls: (sum(since.values()), min(since)) for cls, since in self.opened.get(unit, {}).items()}
            self._oldest[unit] = found
        return found

    def facts(self) -> Iterator[Fact]:
        """Every wait fact of the window, one by one, as domain.facts.wait_facts gives them (for an official who
        led a unit part of the window)."""
        for pid, person in self.people.items():
            yield from person.settled
            for unit, cls, since in person.still:
                yield Fact(Kind.STILL_WAITING, unit, self.until, cls, _minutes(self.until - since), str(pid))

    def _put(self, pid: int, person: _Person | None, segments: list[Segment] | None = None) -> None:
        """Keep `person` (None: nobody) as `pid`'s facts, and `segments` (theirs, read) for the next day."""
        old = self.people.pop(pid, None)
        later = [s for s in segments or () if s.ended_at is None or s.ended_at > self.end]
        if later:
            self.carry[pid] = later
        else:
            self.carry.pop(pid, None)
        same = old is not None and person is not None and old.settled == person.settled
        if old is not None:
            self.open_segments -= old.open_segments
            if not same:
                self._settle(old.settled, -1)
            self._open(old.still, -1)
        self.versions[pid] = version = self.versions.get(pid, 0) + 1
        if person is None:
            return
        self.people[pid] = person
        self.open_segments += person.open_segments
        if not same:
            self._settle(person.settled, 1)
        self._open(person.still, 1)
        for onset, _ in person.pending:
            heapq.heappush(self.heap, (onset, pid, version))

    def _settle(self, facts: Iterable[Fact], sign: int) -> None:
        for f in facts:
            self.changed.add(f.unit_code)
            mine = self.settled.get(f.unit_code)
            if mine is None:
                mine = self.settled[f.unit_code] = Facts()
            if sign > 0:
                mine.add(f)
            else:
                mine.remove(f)
                if not mine.counts:
                    del self.settled[f.unit_code]

    def _open(self, still: Iterable[Still], sign: int) -> None:
        for unit, cls, since in still:
            self._oldest.pop(unit, None)
            classes = self.opened.setdefault(unit, {})
            waits = classes.setdefault(cls, Counter())
            left = waits[since] + sign
            if left:
                waits[since] = left
            else:
                del waits[since]
                if not waits:
                    del classes[cls]
                    if not classes:
                        del self.opened[unit]

    def _load(self, rows: Iterable[Row[Any]]) -> dict[int, list[Segment]]:
        found: dict[int, list[Segment]] = defaultdict(list)
        for _, pid, unit, cls, waited, started, ended, outcome in rows:
            found[pid].append(Segment(pid, unit, _CLASSES[cls], waited, started, ended, outcome))
        for segs in found.values():
            segs.sort(key=lambda s: (s.wait_started_at, s.started_at))
        return found

    def _due(self) -> None:
        """Breaches whose onset the window has now reached become settled facts."""
        while self.heap and self.heap[0][0] < self.until:
            onset, pid, version = heapq.heappop(self.heap)
            person = self.people.get(pid)
            if person is None or self.versions.get(pid) != version:
                continue
            for item in [p for p in person.pending if p[0] == onset]:
                person.pending.remove(item)
                person.settled.append(item[1])
                self._settle((item[1],), 1)


def _read_whole(conn: Connection, state: WaitState, last_event: int, newest: int) -> None:
    state.people.clear()
    state.carry.clear()
    state.heap.clear()
    state.open_segments = 0
    state.changed.clear()
    state.settled.clear()
    state.opened.clear()
    state._oldest.clear()
    state.whole = True
    rows = conn.execute(_OVERLAPPING, {"start": state.start, "end": state.until})
    for pid, segs in state._load(rows).items():
        state._put(pid, split(segs, state.start, state.until, state.sla), segs)
    state.last_event, state.newest_segment, state.read_at = last_event, newest, time.monotonic()


def refresh_waits(
    conn: Connection,
    kept: WaitState | None,
    start: datetime,
    end: datetime,
    until: datetime,
    sla: Mapping[PriorityClass, timedelta],
    previous: WaitState | None = None,
) -> WaitState:
    """The window's waits as of `until`: `kept` brought up to date by what changed since (see the module's
    docstring), or, for a window not kept yet, the `previous` day's waits open at its end carried into it and
    brought up to date the same way; else read whole."""
    waiting_list = WaitingList(conn)
    last_event = waiting_list.last_event()
    newest = int(conn.execute(_NEWEST).scalar_one())
    same = kept is not None and kept.start == start and kept.end == end
    base = kept if same else previous if kept is None and previous is not None and previous.end == start else None
    usable = (
        base is not None
        and conn.dialect.name == "sqlite"
        and base.sla == sla
        and until >= base.until
        and last_event >= base.last_event
        and time.monotonic() - base.read_at <= REREAD_SECONDS
    )
    if not usable or base is None:
        state = kept if same and kept is not None else WaitState(start, end, dict(sla))
        state.until = until
        _read_whole(conn, state, last_event, newest)
        return state
    state = base if same else _next_day(base, start, end)
    since = state.until
    state.until = until
    state.changed = set()
    state.whole = False
    changed = set(waiting_list.changed_after(state.last_event)) if last_event != state.last_event else set()
    if newest > state.newest_segment:
        owners = set(conn.execute(_NEW_OF, {"after": state.newest_segment}).scalars())
        if not owners <= changed:  # segments written without an event for their person
            _read_whole(conn, state, last_event, newest)
            return state
    if until != since:
        changed.update(conn.execute(_CROSSED, {"since": since, "until": until}).scalars())
    if not same:
        _carry(state, base, changed)
    for chunk in chunks(sorted(changed)):
        found = state._load(conn.execute(_OVERLAPPING_OF, {"start": start, "end": until, "ids": chunk}))
        for pid in chunk:
            segs = found.get(pid)
            state._put(pid, split(segs, start, until, sla) if segs else None, segs)
    state._due()
    state.last_event, state.newest_segment = last_event, newest
    open_now = int(conn.execute(_OPEN).scalar_one()) - int(conn.execute(_OPEN_LATER, {"until": until}).scalar_one())
    if open_now != state.open_segments:  # closed or removed without an event
        _read_whole(conn, state, last_event, newest)
    return state


def _next_day(previous: WaitState, start: datetime, end: datetime) -> WaitState:
    """An empty state for the window after `previous`'s, as up to date as it (the carried waits go in next)."""
    state = WaitState(start, end, previous.sla)
    state.until = previous.until
    state.last_event, state.newest_segment, state.read_at = (
        previous.last_event,
        previous.newest_segment,
        previous.read_at,
    )
    return state


def _carry(state: WaitState, previous: WaitState, changed: set[int]) -> None:
    """The people of `previous` with a segment reaching into `state`'s window, not changed since (those are read
    again): their segments as read, counted in the new window (`state.until` already its running end). Most
    carry one wait still open: its facts are made here as `split` makes them, and added up per unit and class
    at once (`state` is empty: nothing to take back)."""
    start, until, sla = state.start, state.until, state.sla
    counted: Counter[tuple[str, str, str]] = Counter()  # (unit, kind, class) -> settled facts
    for pid, segs in previous.carry.items():
        if pid in changed:
            continue
        if len(segs) > 1 or segs[0].ended_at is not None:
            inside = [s for s in segs if s.started_at < until and (s.ended_at is None or s.ended_at > start)]
            if inside:
                state._put(pid, split(inside, start, until, sla), inside)
            continue
        s = segs[0]
        if s.started_at >= until:
            continue
        unit, cls, since, ref = s.unit_code, s.cls.value, s.wait_started_at, str(pid)
        settled = [Fact(Kind.DEMAND, unit, max(s.started_at, start), cls, ref=ref)]
        onset = max(s.started_at, since + sla[s.cls], start)
        breach = Fact(Kind.BREACH, unit, onset, cls, _minutes(onset - since), ref)
        state.versions[pid] = version = state.versions.get(pid, 0) + 1
        pending = []
        if onset < until:
            settled.append(breach)
            counted[(unit, Kind.BREACH.value, cls)] += 1
        else:
            pending.append((onset, breach))
            state.heap.append((onset, pid, version))
        counted[(unit, Kind.DEMAND.value, cls)] += 1
        state.people[pid] = _Person(settled, [(unit, cls, since)], pending, 1)
        state.carry[pid] = segs
        state.open_segments += 1
        waits = state.opened.setdefault(unit, {}).setdefault(cls, Counter())
        waits[since] += 1
    heapq.heapify(state.heap)
    state._oldest.clear()
    for (unit, kind, cls), n in counted.items():
        facts = state.settled.get(unit)
        if facts is None:
            facts = state.settled[unit] = Facts()
        facts.counts[kind] += n
        facts.by_class.setdefault(kind, Counter())[cls] += n
        state.changed.add(unit)
