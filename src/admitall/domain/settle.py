"""After a change to who a person is (category, severity, risk), make their place fit them again.

A contact in a quarantine room who is now confirmed, or a shelter patient who turned severe, holds a bed their
class may no longer take: they now wait for a transfer (from the moment of the change). One who improved
back into their bed no longer does. One on the way to a bed that no longer fits goes back to the queue.
"""

from __future__ import annotations

from dataclasses import replace

from admitall.domain.lifecycle import cancel_assignment, cancel_transfer, need_transfer
from admitall.domain.people import Person, PersonEvent, Placement, Stamp
from admitall.domain.policy import Policy


def settle(policy: Policy, p: Person, stamp: Stamp) -> list[tuple[Person, PersonEvent]]:
    """The follow-up changes that make the placement fit the person's class, in order (at most two: an
    assignment cancelled back to a held bed that does not fit either is then a transfer need)."""
    changes: list[tuple[Person, PersonEvent]] = []
    while len(changes) < 3:
        step = _next_step(policy, p, stamp)
        if step is None:
            return changes
        changes.append(step)
        p = step[0]
    raise AssertionError("settling a placement did not converge")


def _next_step(policy: Policy, p: Person, stamp: Stamp) -> tuple[Person, PersonEvent] | None:
    fits = policy.fits(p, p.bed_type)
    if p.placement is Placement.ADMITTED:
        if not fits and not p.awaiting_transfer:
            return need_transfer(p, stamp)
        if fits and p.awaiting_transfer:
            return cancel_transfer(p, stamp)
    elif p.placement in (Placement.ASSIGNED, Placement.IN_TRANSIT) and not fits:
        why = "类别或病情已变，原分配的床位不再适合 / the class changed; the assigned bed no longer fits"
        return cancel_assignment(p, replace(stamp, reason=why))
    return None
