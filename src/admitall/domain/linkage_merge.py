"""Merging two records of one person, and undoing it (合并与撤销合并), as events of both people's histories.

A merge appends a `merged` event to both people: the survivor's is a marker (the changes the other record brings
follow it as ordinary events: a higher category, a higher severity, more risk flags, blank details filled — never
lower, domain.merge); the other's turns its record into a pointer: ruled out of the four categories, no place in
any queue, no bed. An unmerge appends an `unmerged` event to both with the state each had before the merge
(`state_data`), which the event restores field by field — the histories are never rewritten, and replaying them
gives the state stored. Which record survives is `survivor_first`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from admitall.domain.errors import TransitionRefused
from admitall.domain.people import (
    BED_HOLDING,
    CATEGORY_RANK,
    EventKind,
    Person,
    PersonEvent,
    Placement,
    Risk,
    Severity,
    Status,
    check_invariants,
    details_data,
    details_from,
)

SURVIVOR, MERGED_AWAY = "survivor", "merged_away"
# the placement a survivor is chosen by: the one further along towards a bed keeps it
_PLACEMENT_RANK = {
    Placement.ADMITTED: 4,
    Placement.IN_TRANSIT: 3,
    Placement.ASSIGNED: 2,
    Placement.WAITING: 1,
    Placement.LEFT: 0,
}


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def state_data(p: Person) -> dict[str, Any]:
    """Everything a merge may change of a person, as JSON: what an unmerge restores."""
    return {
        "status": p.status.value,
        "severity": p.severity.value if p.severity else None,
        "risks": sorted(r.value for r in p.risks),
        "status_since": _iso(p.status_since),
        "placement": p.placement.value,
        "waiting_since": _iso(p.waiting_since),
        "facility_code": p.facility_code,
        "bed_type": p.bed_type,
        "held_facility_code": p.held_facility_code,
        "held_bed_type": p.held_bed_type,
        "details": details_data(p.details),
    }


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def restored(p: Person, state: Mapping[str, Any]) -> Person:
    """The person with the state of `state_data` put back (an empty state changes nothing)."""
    if not state:
        return p
    return replace(
        p,
        status=Status(state["status"]),
        severity=Severity(state["severity"]) if state.get("severity") else None,
        risks=frozenset(Risk(r) for r in state.get("risks", ())),
        status_since=_time(state.get("status_since")),
        placement=Placement(state["placement"]),
        waiting_since=_time(state.get("waiting_since")),
        facility_code=state.get("facility_code"),
        bed_type=state.get("bed_type"),
        held_facility_code=state.get("held_facility_code"),
        held_bed_type=state.get("held_bed_type"),
        details=details_from(state["details"]) if state.get("details") else p.details,
    )


def apply_linkage(p: Person, event: PersonEvent) -> Person:
    """The state after a `merged` or `unmerged` event (called by lifecycle.apply)."""
    if event.kind is EventKind.MERGED:
        if event.data.get("role") != MERGED_AWAY:
            return p  # the survivor's marker: what the other record brings follows as events of their own
        if p.status is Status.DEAD:
            raise TransitionRefused("dead_is_final", "死亡是最终状态，不能再变更", "death is final; nothing follows it")
        new = replace(
            p,
            status=Status.EXCLUDED,
            severity=None,
            status_since=event.stamp.occurred_at,
            placement=Placement.LEFT,
            waiting_since=None,
            facility_code=None,
            bed_type=None,
            held_facility_code=None,
            held_bed_type=None,
        )
    else:
        new = restored(p, event.data.get("state") or {})
    check_invariants(new)
    return new


def survivor_first(a: Person, b: Person) -> tuple[Person, Person]:
    """(survivor, merged away): the record further along towards a bed survives (it keeps its placement, the
    other's bed is released); of two holding beds, the one of the higher category (its bed fits the merged person,
    whose category is the higher one); then the one with an ID number (it cannot be copied: ID numbers are unique);
    then the older record. The survivor's category and severity are raised to the other's if higher, so the order
    never lowers them."""

    def key(p: Person) -> tuple[int, int, int, int]:
        assert p.id is not None
        in_bed = p.placement in BED_HOLDING
        return (
            _PLACEMENT_RANK[p.placement],
            CATEGORY_RANK.get(p.status, 0) if in_bed else 0,
            p.details.document is not None,
            -p.id,
        )

    return (a, b) if key(a) >= key(b) else (b, a)
