"""Storing changes to people: the events, the new state, the bed counts and the waits that follow, in one
transaction.

`save_changes` stores one change (an officer's reclassification, a desk's step). `save_changes_many` stores a
batch (a shift's desk records, a plan's confirmations, the twin's hour): every change is first decided in memory,
in order — the same domain commands, the same `settle`, the bed counts checked against the pools as loaded once,
with the same refusals — so a refused change needs no savepoint; then the batch is written with one statement
per table: the people (each checked against the version it was read at), their events (chained to the head kept
on each person), the waits, one move per bed pool, the audit. If someone else changed one of the people, or took
beds, meanwhile (PostgreSQL lets other transactions commit in between), the write is rolled back and the batch
decided again with those people refused as changed meanwhile, or with the pools as they are now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select

from admitall.domain.errors import Conflict
from admitall.domain.facilities import BedPool, Pool, bed_changes
from admitall.domain.people import Person, PersonEvent
from admitall.domain.policy import Policy
from admitall.domain.settle import settle
from admitall.domain.waits import wait_key
from admitall.services.context import Actor, Context
from admitall.store.repositories.facilities import bed_unavailable, pool_allows
from admitall.store.repositories.persons import CHANGED_MEANWHILE, LostUpdates, Saved
from admitall.store.repositories.waits import Transition
from admitall.store.tables_linkage import person_merges
from admitall.store.uow import UnitOfWork

T = TypeVar("T")

# how often a batch is decided again when others' changes got in between (each time some people are refused, or
# the pools are read again); past that the batch fails as a whole
ATTEMPTS = 5


# a record merged into another is a pointer (services.linkage_merge): changes go to the survivor; an unmerge
# closes its merge before it changes the record back
_POINTERS = select(person_merges.c.merged_id).where(person_merges.c.unmerged_at.is_(None))
_POINTER = _POINTERS.where(person_merges.c.merged_id == bindparam("pid"))
MERGED_AWAY = (
    "person.merged_away",
    "该记录已合并到另一条记录，请在那条记录上操作",
    "This record was merged into another; act on that record",
)


class PoolsChanged(Conflict):
    """Beds that a batch counted on were taken by someone else between reading the pools and writing."""

    def __init__(self) -> None:
        super().__init__(
            "beds.changed_meanwhile",
            "床位刚被他人占用或预留，请重试",
            "Someone else took beds meanwhile; try again",
        )


def settled(policy: Policy, after: Person, events: Sequence[PersonEvent]) -> tuple[Person, list[PersonEvent]]:
    """The person and events once the placement fits them again (domain.settle), follow-up events appended."""
    follow_up = settle(policy, after, events[-1].stamp)
    return (follow_up[-1][0] if follow_up else after), [*events, *(event for _, event in follow_up)]


def same_identity(before: Person, after: Person) -> bool:
    """Whether a change left who the person is as it was (their details, when identified): if so, saving it sets
    the row's state only (`Saved.details_changed`)."""
    return after.details == before.details and after.identified_at == before.identified_at


def save_changes(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    before: Person,
    after: Person,
    events: Sequence[PersonEvent],
    action: str | None,
) -> Person:
    """Append the events, follow up so the placement fits the person (see `settle`), keep the person's waits
    (domain.waits) true, move the bed counts by the difference between the beds taken before and after, and put
    it on record (unless `action` is None: a batch records itself once). Raises, and so rolls the unit of work
    back, if a bed is no longer free, or if the person is a record merged into another (act on the survivor)."""
    if before.id is not None and uow.conn.execute(_POINTER, {"pid": before.id}).first() is not None:
        raise Conflict(*MERGED_AWAY)
    after, events = settled(ctx.policy, after, events)
    now = ctx.clock.now()
    uow.persons.save(after, events, now, details_changed=not same_identity(before, after))
    assert after.id is not None
    uow.waits.follow(after.id, wait_key(before, ctx.policy), after, ctx.policy, events[-1].stamp.occurred_at)
    for (facility, bed_type), (d_occupied, d_reserved) in sorted(bed_changes(before, after).items()):
        uow.facilities.adjust(facility, bed_type, d_occupied, d_reserved, now)
    if action is not None:
        uow.audit.record(now, actor.username, action, "person", after.id, **_audit_detail(after, events))
    return after


def _audit_detail(after: Person, events: Sequence[PersonEvent]) -> dict[str, Any]:
    return {"unit": after.unit_code, "events": [e.kind.value for e in events], "reason": events[0].stamp.reason}


@dataclass
class Batch:
    """Changes decided in memory, in order; `people` is everyone's state as of the changes decided so far."""

    ctx: Context
    uow: UnitOfWork
    actor: Actor
    people: dict[int, Person]
    pools: dict[Pool, BedPool]
    stale: set[int]  # people someone else changed meanwhile: every change to them is refused
    read: set[str]  # the facilities whose pools are in `pools`
    saved: dict[int, Saved] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    deltas: dict[Pool, tuple[int, int]] = field(default_factory=dict)
    audit: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)  # (person, action, detail)
    pointers: set[int] | None = None  # records merged into another (services.linkage_merge): nothing applies to them

    def add(self, before: Person, after: Person, events: Sequence[PersonEvent], action: str | None) -> Person:
        """As `save_changes`, in memory: settle, check the beds (raising as `adjust` would, nothing kept), then
        keep the change for `write`. Returns the person after it."""
        assert before.id is not None and before.id == after.id
        if before.id in self.stale:
            raise Conflict(*CHANGED_MEANWHILE)
        if self.pointers is None:  # the records merged into another, read once a batch
            self.pointers = set(self.uow.conn.execute(_POINTERS).scalars())
        if before.id in self.pointers:
            raise Conflict(*MERGED_AWAY)
        after, events = settled(self.ctx.policy, after, events)
        moves = sorted(bed_changes(before, after).items())
        self._load_pools({facility for (facility, _), _ in moves} - self.read)
        for pool, (d_occupied, d_reserved) in moves:
            found = self.pools.get(pool)
            if found is None or not pool_allows(found, d_occupied, d_reserved):
                raise bed_unavailable(*pool)
        for pool, (d_occupied, d_reserved) in moves:
            p = self.pools[pool]
            self.pools[pool] = replace(p, occupied=p.occupied + d_occupied, reserved=p.reserved + d_reserved)
            o, r = self.deltas.get(pool, (0, 0))
            self.deltas[pool] = (o + d_occupied, r + d_reserved)
        earlier = self.saved.get(before.id)
        details_changed = not same_identity(before, after) or (earlier is not None and earlier.details_changed)
        self.saved[before.id] = Saved(after, [*(earlier.events if earlier else ()), *events], details_changed)
        at = events[-1].stamp.occurred_at
        self.transitions.append(Transition(before.id, wait_key(before, self.ctx.policy), after, at))
        if action is not None:
            self.audit.append((before.id, action, _audit_detail(after, events)))
        self.people[before.id] = after
        return after

    def _load_pools(self, facilities: set[str]) -> None:
        """Pools of facilities that were not foreseen, read when first needed."""
        if facilities:
            self.pools.update(_pools(self.uow, facilities))
            self.read |= facilities

    def write(self, now: datetime) -> None:
        """One statement per table; raises `LostUpdates` or `PoolsChanged` (the caller rolls back and retries)."""
        uow = self.uow
        uow.persons.save_many(list(self.saved.values()), now)
        if not uow.facilities.adjust_many(self.deltas, now):
            raise PoolsChanged()
        uow.waits.follow_many(self.transitions, self.ctx.policy)
        user = self.actor.username
        uow.audit.record_many(
            [
                (now, user, action, "person", pid, d["unit"], {k: v for k, v in d.items() if k != "unit"})
                for pid, action, d in self.audit
            ]
        )


def _pools(uow: UnitOfWork, facilities: Iterable[str]) -> dict[Pool, BedPool]:
    return {(p.facility_code, p.bed_type.value): p for p in uow.facilities.pools(sorted(set(facilities)))}


def save_changes_many(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    people: Mapping[int, Person],
    decide: Callable[[Batch], T],
    *,
    facilities: Iterable[str] = (),
) -> T:
    """Decide a batch with `decide` (which calls `Batch.add` for each change, in order, and keeps what it
    refused), then write it; returns what `decide` returned for the batch that was written. The pools of the
    facilities the people are at or bound for, and of `facilities` (those the changes send people to), are read
    once."""
    stale: set[int] = set()
    read = {f for p in people.values() for f in (p.facility_code, p.held_facility_code) if f is not None}
    read.update(facilities)
    pools = _pools(uow, read) if read else {}
    for attempt in range(ATTEMPTS):
        batch = Batch(ctx, uow, actor, dict(people), dict(pools), stale, set(read))
        outcome = decide(batch)
        if not batch.saved:
            return outcome
        try:
            with uow.conn.begin_nested():
                batch.write(ctx.clock.now())
            return outcome
        except LostUpdates as e:
            if attempt == ATTEMPTS - 1:
                raise
            stale |= e.ids
        except PoolsChanged:
            if attempt == ATTEMPTS - 1:
                raise
            read = batch.read
            pools = _pools(uow, read)
    raise AssertionError("unreachable")
