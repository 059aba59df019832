"""Waits: the stretches of time a person spends needing a bed, as a record the scorecards can count.

A wait runs from the person's `waiting_since` until they are admitted (or leave the four categories). It is kept
as segments: a new segment starts whenever the person's priority class or unit changes during the wait, so the
class a person had at any moment, and the unit that answered for them, stay on record. A segment ends with the
outcome `admitted`, `left`, or `changed` (the wait goes on in the next segment).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from admitall.domain.lifecycle import apply
from admitall.domain.people import Person, PersonEvent, Placement
from admitall.domain.policy import Policy, PriorityClass

ADMITTED, LEFT, CHANGED = "admitted", "left", "changed"


class WaitKey(NamedTuple):
    """What a wait segment is about: the same key, the same segment."""

    wait_started_at: datetime
    priority_class: PriorityClass
    unit_code: str


def wait_key(p: Person, policy: Policy) -> WaitKey | None:
    """The segment a person is in now, or None if they are not waiting for a bed."""
    if p.waiting_since is None:
        return None
    cls = policy.classify(p)
    if cls is None:
        return None
    return WaitKey(p.waiting_since, cls, p.unit_code)


def wait_change(before: WaitKey | None, after: WaitKey | None, person_after: Person) -> tuple[str | None, bool]:
    """(the outcome that ends the open segment, or None to leave it; whether a new segment opens)."""
    if before == after:
        return None, False
    if before is None:
        return None, True
    if after is not None and after.wait_started_at == before.wait_started_at:
        return CHANGED, True
    admitted = person_after.placement is Placement.ADMITTED and person_after.waiting_since is None
    return (ADMITTED if admitted else LEFT), after is not None


class SegmentChange(NamedTuple):
    """What one change to a person does to their waits: end the open segment, open a new one, or both."""

    close: str | None  # the outcome ending the open segment
    close_at: datetime | None
    open: WaitKey | None
    open_at: datetime | None


def follow(
    before: WaitKey | None, open_since: datetime | None, after_person: Person, policy: Policy, at: datetime
) -> SegmentChange:
    """The change to the waits when a person goes from `before` (open since `open_since`) to `after_person` at
    `at`. A segment never ends before it began: a back-dated change ends it where it started."""
    after = wait_key(after_person, policy)
    outcome, opens = wait_change(before, after, after_person)
    close_at = max(at, open_since) if outcome is not None and open_since is not None else None
    open_at = None
    if opens and after is not None:
        open_at = close_at if outcome == CHANGED and close_at is not None else after.wait_started_at
    return SegmentChange(outcome, close_at, after if opens else None, open_at)


def segments_from_history(
    events: Iterable[PersonEvent], policy: Policy
) -> list[tuple[WaitKey, datetime, datetime | None, str | None]]:
    """The wait segments a history implies, event by event: (key, started, ended, outcome). Rebuilds the
    projection for people stored before it existed, and checks the one kept on save."""
    state: Person | None = None
    key: WaitKey | None = None
    since: datetime | None = None
    found: list[tuple[WaitKey, datetime, datetime | None, str | None]] = []
    for event in events:
        state = apply(state, event)
        change = follow(key, since, state, policy, event.stamp.occurred_at)
        if change.close is not None and key is not None and since is not None:
            found[-1] = (key, since, change.close_at, change.close)
        if change.open is not None and change.open_at is not None:
            key, since = change.open, change.open_at
            found.append((key, since, None, None))
        elif change.close is not None:
            key, since = None, None
    return found
