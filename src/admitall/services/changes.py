"""Storing a change to a person: the events, the new state, the bed counts that follow, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from admitall.domain.facilities import bed_changes
from admitall.domain.people import Person, PersonEvent
from admitall.domain.settle import settle
from admitall.domain.waits import wait_key
from admitall.services.context import Actor, Context
from admitall.store.uow import UnitOfWork


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
    it on record (unless `action` is None: a batch
    records itself once). Raises, and so rolls the unit of work back, if a bed is no longer free."""
    follow_up = settle(ctx.policy, after, events[-1].stamp)
    events = [*events, *(event for _, event in follow_up)]
    if follow_up:
        after = follow_up[-1][0]
    now = ctx.clock.now()
    uow.persons.save(after, events, now)
    assert after.id is not None
    uow.waits.follow(after.id, wait_key(before, ctx.policy), after, ctx.policy, events[-1].stamp.occurred_at)
    for (facility, bed_type), (d_occupied, d_reserved) in sorted(bed_changes(before, after).items()):
        uow.facilities.adjust(facility, bed_type, d_occupied, d_reserved, now)
    if action is not None:
        uow.audit.record(
            now,
            actor.username,
            action,
            "person",
            after.id,
            unit=after.unit_code,
            events=[event.kind.value for event in events],
            reason=events[0].stamp.reason,
        )
    return after
