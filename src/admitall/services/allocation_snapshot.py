"""What a plan is made from: the people waiting (brief, classified, kept per process and brought up to date by
what changed since the last plan), the free beds of the open facilities, and what each facility with an hourly
admission rate can still take in this clock hour.

The waiting list is kept per database engine, jurisdiction and policy. Each plan reads the id of the newest
event; the people with an event after the one the list was last brought up to date at are read again (brief
rows, one statement per thousand). Every change a service makes to a person appends an event, so this is exact
on SQLite, where writers take turns (a writing unit of work holds the lock from its first statement) and event
ids are committed in order. On PostgreSQL an event with a smaller id may commit after one with a larger id has
been seen, so there the list is read whole every time (one statement of brief columns).

The list is also kept grouped as the engine plans it — by class and the place people leave from, oldest first,
a group's list made again (never changed in place) from the chunks of the old one that nobody left or joined when
some of its people change (services.waiting_members) — so that a plan costs the groups, what changed and the people
it places, not everyone waiting: a city where 100,000 contacts wait for a few quarantine rooms
plans in the time its groups take.

Where people wait from: a unit's place (its own, else its street's or district's) is set when the unit is added
and units are never removed, so the places are read again only when the number of units changed.

Changes by hand, without an event: a count of everyone waiting, on every plan, tells whether anybody came or went
(if so the list is read whole); a change to someone already waiting says nothing a count can see, so the list
is also read whole once it is older than REREAD_SECONDS (and so are the units' places).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from admitall.allocation.model import Candidate, Snapshot, WaitingGroup
from admitall.domain.facilities import Facility
from admitall.domain.people import Risk, Severity, Status
from admitall.domain.policy import Policy, PriorityClass
from admitall.domain.units import ancestors_of
from admitall.services.context import Context
from admitall.services.staffing_capacity import free_pools
from admitall.services.waiting_members import Key, Members
from admitall.store.repositories.waiting_list import BriefRow, WaitingList
from admitall.store.tables import units
from admitall.store.uow import UnitOfWork

_UNIT_PLACES = units.select().with_only_columns(units.c.code, units.c.lat, units.c.lon)
_UNIT_COUNT = select(func.count()).select_from(units)


class Waiting(NamedTuple):
    """One person who needs a bed, as a plan needs them."""

    person_id: int
    priority_class: PriorityClass | None
    waiting_since: datetime
    unit_code: str
    transfer_from: str | None  # the facility they are admitted at, when waiting for a transfer
    version: int


@cache
def _risks(text: str) -> frozenset[Risk]:
    return frozenset(Risk(r) for r in text.split(",") if r)


_STATUS = {s.value: s for s in Status}
_SEVERITY = {s.value: s for s in Severity}


def _waiting(policy: Policy, r: BriefRow) -> Waiting:
    assert r.waiting_since is not None  # the query reads only people with a waiting-since time
    cls = policy.classify_fields(
        _STATUS[r.status],
        _SEVERITY[r.severity] if r.severity else None,
        _risks(r.risks),
        r.birth_date,
        r.identified_at,
    )
    transfer = r.facility_code if r.placement == "admitted" else None
    return Waiting(r.id, cls, r.waiting_since, r.unit_code, transfer, r.version)


REREAD_SECONDS = 600.0

GroupKey = tuple[PriorityClass, str, float | None, float | None]  # class, origin and the origin's place


@dataclass
class _Kept:
    policy: Policy
    last_event: int
    people: dict[int, Waiting]
    places: _Places
    groups: dict[GroupKey, Members] = field(default_factory=dict)  # never changed once handed out
    transfers: frozenset[int] = frozenset()  # waiting for a transfer: placed from their facility, not a group
    read_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        groups: dict[GroupKey, list[Candidate]] = defaultdict(list)
        for w in self.people.values():
            key = _group_of(w, self.places)
            if key is not None:
                groups[key].append(_candidate(w, key))
        self.groups = {key: Members.of(members) for key, members in groups.items()}
        self.transfers = frozenset(w.person_id for w in self.people.values() if w.transfer_from is not None)

    def update(self, gone: list[int], fresh: list[Waiting]) -> None:
        """Take out `gone` (people who changed) and put in `fresh` (those of them who still need a bed, as they
        are now): the groups they left and joined get new member lists, which share every chunk of the old ones
        that nobody left or joined (services.waiting_members); every other group keeps its list."""
        leaving: dict[GroupKey, list[Key]] = defaultdict(list)
        for pid in gone:
            before = self.people.pop(pid, None)
            if before is not None and (key := _group_of(before, self.places)) is not None:
                leaving[key].append((before.waiting_since, pid))
        joining: dict[GroupKey, list[Candidate]] = defaultdict(list)
        for w in fresh:
            self.people[w.person_id] = w
            if (key := _group_of(w, self.places)) is not None:
                joining[key].append(_candidate(w, key))
        groups = dict(self.groups)
        for key in leaving.keys() | joining.keys():
            members = groups.get(key, Members()).changed(leaving.get(key, ()), joining.get(key, ()))
            if members:
                groups[key] = members
            else:
                groups.pop(key, None)
        self.groups = groups
        left = set(gone)
        transfers = (self.transfers - left) | {w.person_id for w in fresh if w.transfer_from is not None}
        self.transfers = frozenset(transfers)


def _group_of(w: Waiting, places: _Places) -> GroupKey | None:
    """The group a person waits in, or None: no class (nothing to plan), or waiting for a transfer."""
    if w.priority_class is None or w.transfer_from is not None:
        return None
    return (w.priority_class, *places.origin(w.unit_code))


def _candidate(w: Waiting, key: GroupKey) -> Candidate:
    assert w.priority_class is not None
    return Candidate(w.person_id, w.priority_class, w.waiting_since, key[1], key[2], key[3])


_KEPT: WeakKeyDictionary[Engine, dict[str | None, _Kept]] = WeakKeyDictionary()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class WaitingNow:
    """Who needs a bed within a root now: by id, grouped as the engine plans them, and those waiting for a
    transfer. Values handed out: a later plan never changes them."""

    people: dict[int, Waiting]
    groups: dict[GroupKey, Members]
    transfers: frozenset[int]
    places: _Places


def waiting_now(ctx: Context, uow: UnitOfWork, root: str | None) -> WaitingNow:
    """Everyone in the subtree of `root` (None: everywhere) who needs a bed."""
    waiting_list = WaitingList(uow.conn)
    policy = ctx.policy
    last = waiting_list.last_event()
    places = _unit_places(uow)
    with _LOCK:
        kept_here = _KEPT.setdefault(uow.conn.engine, {})
        kept = kept_here.get(root)
        incremental = uow.conn.dialect.name == "sqlite"
        if (
            kept is None
            or not incremental
            or time.monotonic() - kept.read_at > REREAD_SECONDS
            or kept.policy != policy
            or last < kept.last_event  # not the database the list was read from
            or (kept.places is not places and kept.places.places != places.places)
        ):
            kept = _Kept(policy, last, _read_whole(waiting_list, policy, root), places)
        else:
            kept.places = places
            if last != kept.last_event:
                changed = waiting_list.changed_after(kept.last_event)
                kept.update(changed, [_waiting(policy, r) for r in waiting_list.brief_of(root, changed)])
                kept.last_event = last
            if waiting_list.count(root) != len(kept.people):  # changed without an event: read whole
                kept = _Kept(policy, last, _read_whole(waiting_list, policy, root), places)
        if incremental:
            kept_here[root] = kept
        return WaitingNow(dict(kept.people), kept.groups, kept.transfers, places)


def waiting_people(ctx: Context, uow: UnitOfWork, root: str | None) -> dict[int, Waiting]:
    """Everyone in the subtree of `root` (None: everywhere) who needs a bed, by id."""
    return waiting_now(ctx, uow, root).people


def _read_whole(waiting_list: WaitingList, policy: Policy, root: str | None) -> dict[int, Waiting]:
    return {r.id: _waiting(policy, r) for r in waiting_list.brief(root)}


@dataclass
class _Places:
    units: int
    places: dict[str, tuple[float, float]]
    origins: dict[str, tuple[str, float | None, float | None]] = field(default_factory=dict)
    read_at: float = field(default_factory=time.monotonic)

    def origin(self, code: str) -> tuple[str, float | None, float | None]:
        found = self.origins.get(code)
        if found is None:
            found = self.origins[code] = _origin(code, self.places)
        return found


_PLACES: WeakKeyDictionary[Engine, _Places] = WeakKeyDictionary()


def _unit_places(uow: UnitOfWork) -> _Places:
    """The units' places and the origins found from them, read again when units were added."""
    count = int(uow.conn.execute(_UNIT_COUNT).scalar_one())
    with _LOCK:
        kept = _PLACES.get(uow.conn.engine)
        if kept is None or kept.units != count or time.monotonic() - kept.read_at > REREAD_SECONDS:
            rows = uow.conn.execute(_UNIT_PLACES)
            kept = _Places(count, {r.code: (r.lat, r.lon) for r in rows if r.lat is not None and r.lon is not None})
            _PLACES[uow.conn.engine] = kept
        return kept


@cache
def _up_the_tree(code: str) -> tuple[str, ...]:
    """The unit and its ancestors, nearest first (a pure function of the code: kept for every unit seen)."""
    return (code, *reversed(ancestors_of(code)))


def _origin(code: str, places: dict[str, tuple[float, float]]) -> tuple[str, float | None, float | None]:
    """The nearest unit up the tree that has a location: a community's street, or the street's district."""
    for unit in _up_the_tree(code):
        if unit in places:
            return unit, *places[unit]
    return code, None, None


def this_hour(ctx: Context, now: datetime) -> tuple[datetime, datetime]:
    """The clock hour (local time) that `now` falls in."""
    start = now.astimezone(ctx.settings.tz).replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=1)


def admission_slots(ctx: Context, uow: UnitOfWork, facilities: dict[str, Facility], now: datetime) -> dict[str, int]:
    """For each facility with an hourly admission rate: how many more people it can take this clock hour — its
    rate, less the people it admitted in this hour and those on their way to it now."""
    limited = {code: f.admissions_per_hour for code, f in facilities.items() if f.admissions_per_hour is not None}
    if not limited:
        return {}
    taken = WaitingList(uow.conn).taken_this_hour(sorted(limited), *this_hour(ctx, now))
    return {code: max(0, rate - taken.get(code, 0)) for code, rate in limited.items()}


def build_snapshot(ctx: Context, uow: UnitOfWork, root: str | None) -> tuple[Snapshot, dict[int, Waiting]]:
    """Everyone within `root` who needs a bed, and the free beds of every open facility (beds are the whole
    city's; people are the dispatcher's own). The people waiting go to the engine in their kept groups; only those
    waiting for a transfer are made candidates here (from their facility if it is open, else from their unit)."""
    now = ctx.clock.now()
    waiting = waiting_now(ctx, uow, root)
    facilities = {f.code: f for f in uow.facilities.in_subtree(None) if f.is_open(now)}
    pools = free_pools(ctx, uow, facilities, now)  # usable beds only: staff and supplies allow them (issue 18)
    places = waiting.places
    candidates = []
    for pid in sorted(waiting.transfers):
        w = waiting.people[pid]
        if w.priority_class is None:
            continue
        if w.transfer_from is not None and w.transfer_from in facilities:
            here = facilities[w.transfer_from]
            candidates.append(
                Candidate(w.person_id, w.priority_class, w.waiting_since, here.code, here.lat, here.lon, here.code)
            )
            continue
        origin, lat, lon = places.origin(w.unit_code)
        candidates.append(Candidate(w.person_id, w.priority_class, w.waiting_since, origin, lat, lon))
    groups = [
        WaitingGroup(cls, origin, lat, lon, members) for (cls, origin, lat, lon), members in waiting.groups.items()
    ]
    slots = admission_slots(ctx, uow, facilities, now)
    return Snapshot(candidates, pools, ctx.policy, slots, groups), waiting.people
