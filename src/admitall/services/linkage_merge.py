"""Merge two records of one person, and undo it (issue 16 §2), keeping both histories and every count true.

A merge, in one transaction:
- the survivor is the record further along towards a bed (domain.linkage_merge.survivor_first): it keeps its
  placement; the other record's bed, if it held one, is released by its `merged` event (the bed pools move by
  the difference, as for any change);
- the survivor gets a `merged` marker, then what the other record brings as ordinary events: a higher category
  or severity, more risk flags, blank phone, sex, birth date or address filled (domain.merge; never lower, never
  overwritten). The other record's ID number stays with it (ID numbers are unique), and imports that meet it are
  sent to the survivor (services.linkage.survivors);
- the merged-away record gets a `merged` event: ruled out, no queue, no bed — a pointer to the survivor;
- the projections leave it out: its census entry is taken back (one change row), its flow rows are removed (and
  kept in the merge row, to be put back by the unmerge), so the screen counts the person once.

An unmerge appends `unmerged` events that put back each record's state from before the merge (the survivor's
only if nothing happened to them since: their later events stand), its bed if still free (else it waits again
from the time it waited before), its census entry and its flow rows. Nothing is rewritten: `admitall verify`
replays both histories, merge and unmerge included.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from admitall.domain.errors import Conflict
from admitall.domain.facilities import bed_changes
from admitall.domain.intake import PersonInput
from admitall.domain.lifecycle import apply
from admitall.domain.linkage_merge import MERGED_AWAY, SURVIVOR, restored, state_data, survivor_first
from admitall.domain.merge import merge as merge_registration
from admitall.domain.people import EventKind, Person, PersonEvent, Placement, Stamp, Status
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context
from admitall.store.repositories.facilities import pool_allows
from admitall.store.tables import person_events
from admitall.store.tables_census import event_flows, unit_census_changes
from admitall.store.tables_linkage import link_pairs, person_merges
from admitall.store.uow import UnitOfWork

_FLOW_COLUMNS = ("event_id", "unit_code", "occurred_at", "kind", "from_value", "to_value")


def _refused(code: str, zh: str, en: str) -> Conflict:
    return Conflict(f"linkage.{code}", zh, en)


def merged_away_ids() -> Any:
    """A subquery of the people merged away and not unmerged: every count leaves them out."""
    return select(person_merges.c.merged_id).where(person_merges.c.unmerged_at.is_(None))


def survivor_of(uow: UnitOfWork, person_id: int) -> int | None:
    """The person a merged-away record points to (None if it is not merged away)."""
    return uow.conn.execute(
        select(person_merges.c.survivor_id).where(
            person_merges.c.merged_id == person_id, person_merges.c.unmerged_at.is_(None)
        )
    ).scalar()


def _census_entry(uow: UnitOfWork, p: Person, n: int) -> None:
    """Take a merged-away record out of the census (n = -1), or put it back (n = +1)."""
    uow.conn.execute(
        insert(unit_census_changes).values(
            unit_code=p.unit_code, status=p.status.value, severity="", placement=p.placement.value, n=n
        )
    )


def _incoming(p: Person) -> PersonInput:
    """The other record as a registration, for domain.merge: its ID number stays its own (they are unique)."""
    return PersonInput(
        details=replace(p.details, document=None, unit_code=p.unit_code),
        status=p.status,
        severity=p.severity,
        risks=p.risks,
        identified_at=p.identified_at,
        source_ref=None,
    )


def merge_people(
    ctx: Context, uow: UnitOfWork, actor: Actor, first: Person, second: Person, stamp: Stamp, pair_id: int | None
) -> tuple[Person, Person]:
    """Merge two records (see the module); returns (survivor, merged away) as stored. The caller commits."""
    for p in (first, second):
        if p.status is Status.DEAD:
            raise _refused("dead", "死亡记录不能合并", "A death record cannot be merged")
        if survivor_of(uow, p.id or 0) is not None:
            raise _refused("already_merged", "该记录已合并到他人", "This record is already merged into another")
    survivor, other = survivor_first(first, second)
    assert survivor.id is not None and other.id is not None
    marker = PersonEvent(EventKind.MERGED, stamp, {"role": SURVIVOR, "other": other.id, "pair": pair_id})
    outcome = merge_registration(_apply(survivor, marker), _incoming(other), stamp)
    survivor_after = save_changes(ctx, uow, actor, survivor, outcome.person, [marker, *outcome.events], "merge_persons")
    away_event = PersonEvent(EventKind.MERGED, stamp, {"role": MERGED_AWAY, "other": survivor.id, "pair": pair_id})
    other_after = save_changes(ctx, uow, actor, other, _apply(other, away_event), [away_event], "merge_persons")
    flows = [
        {k: getattr(r, k) for k in _FLOW_COLUMNS}
        for r in uow.conn.execute(
            select(event_flows).where(
                event_flows.c.event_id.in_(select(person_events.c.id).where(person_events.c.person_id == other.id))
            )
        )
    ]
    if flows:
        uow.conn.execute(delete(event_flows).where(event_flows.c.event_id.in_([f["event_id"] for f in flows])))
    _census_entry(uow, other_after, -1)
    uow.conn.execute(
        insert(person_merges).values(
            pair_id=pair_id,
            survivor_id=survivor.id,
            merged_id=other.id,
            merged_at=stamp.recorded_at,
            merged_by=actor.username,
            survivor_before=state_data(survivor),
            merged_before={
                **state_data(other),
                "flows": [{**f, "occurred_at": f["occurred_at"].isoformat()} for f in flows],
            },
            survivor_version=survivor_after.version,
        )
    )
    return survivor_after, other_after


def _apply(p: Person, event: PersonEvent) -> Person:
    return replace(apply(p, event), id=p.id)


def _bed_free(uow: UnitOfWork, before: Person, target: Person) -> bool:
    """Whether the beds the restored state holds can be taken again."""
    moves = bed_changes(before, target)
    if not moves:
        return True
    pools = {(p.facility_code, p.bed_type.value): p for p in uow.facilities.pools(sorted({f for f, _ in moves}))}
    return all(
        (pool := pools.get(key)) is not None and pool_allows(pool, d_occ, d_res)
        for key, (d_occ, d_res) in moves.items()
    )


def unmerge_person(ctx: Context, uow: UnitOfWork, actor: Actor, merged_id: int, stamp: Stamp) -> dict[str, Any]:
    """Undo the merge that made `merged_id` a pointer (see the module). The caller commits."""
    row = uow.conn.execute(
        select(person_merges).where(person_merges.c.merged_id == merged_id, person_merges.c.unmerged_at.is_(None))
    ).first()
    if row is None:
        raise _refused(
            "not_merged", "该记录没有被合并，无需撤销", "This record is not merged; there is nothing to undo"
        )
    people = uow.persons.get_many([row.survivor_id, merged_id])
    survivor, other = people[row.survivor_id], people[merged_id]
    before = dict(row.merged_before)
    flows = before.pop("flows", [])
    target = restored(other, before)
    bed_kept = _bed_free(uow, other, target)
    if not bed_kept:  # the bed went to someone else meanwhile: wait again, from when it waited before
        since = target.waiting_since or other.identified_at
        target = replace(
            target,
            placement=Placement.WAITING,
            waiting_since=since,
            facility_code=None,
            bed_type=None,
            held_facility_code=None,
            held_bed_type=None,
        )
    state = state_data(target)
    uow.conn.execute(  # closed first: the record is no longer a pointer, so it may change back
        update(person_merges)
        .where(person_merges.c.id == row.id)
        .values(unmerged_at=stamp.recorded_at, unmerged_by=actor.username)
    )
    _census_entry(uow, other, +1)
    back = PersonEvent(EventKind.UNMERGED, stamp, {"role": MERGED_AWAY, "other": survivor.id, "state": state})
    other_after = save_changes(ctx, uow, actor, other, _apply(other, back), [back], "unmerge_persons")
    untouched = survivor.version == row.survivor_version
    survivor_state = dict(row.survivor_before) if untouched else {}
    if survivor_state and not _bed_free(uow, survivor, restored(survivor, survivor_state)):
        survivor_state = {}
    mark = PersonEvent(EventKind.UNMERGED, stamp, {"role": SURVIVOR, "other": merged_id, "state": survivor_state})
    survivor_after = save_changes(ctx, uow, actor, survivor, _apply(survivor, mark), [mark], "unmerge_persons")
    if flows:
        uow.conn.execute(
            insert(event_flows),
            [{**f, "occurred_at": datetime.fromisoformat(f["occurred_at"])} for f in flows],
        )
    if row.pair_id is not None:
        uow.conn.execute(
            update(link_pairs)
            .where(link_pairs.c.id == row.pair_id)
            .values(state="unmerged", decided_by=actor.username, decided_at=stamp.recorded_at)
        )
    return {
        "survivor": survivor_after.id,
        "restored": other_after.id,
        "survivor_restored": bool(survivor_state),
        "bed_kept": bed_kept,
    }


def survivors(uow: UnitOfWork, found: dict[Any, int]) -> dict[Any, int]:
    """`found` (key → person id) with every merged-away person replaced by the survivor they point to: an
    import row matching a merged-away record's ID number or source reference lands on the person it is now."""
    ids = set(found.values())
    pointers: dict[int, int] = {}
    wanted = ids
    for _ in range(10):  # a survivor merged away later points on: follow, a few steps at most
        rows = uow.conn.execute(
            select(person_merges.c.merged_id, person_merges.c.survivor_id).where(
                person_merges.c.merged_id.in_(sorted(wanted)), person_merges.c.unmerged_at.is_(None)
            )
        ).all()
        if not rows:
            break
        pointers.update({m: s for m, s in rows})
        wanted = {s for _, s in rows}

    def last(pid: int) -> int:
        for _ in range(10):
            if pid not in pointers:
                break
            pid = pointers[pid]
        return pid

    return {k: last(v) for k, v in found.items()} if pointers else found
