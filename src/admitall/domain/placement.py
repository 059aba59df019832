"""Placement rules: assignment, transit, admission, refusal and transfer between beds.

A transfer (a shelter patient who turns severe goes up to a designated hospital; one who improves goes down)
keeps the bed the person occupies — the held bed — until they are admitted at the new one; refused there,
they stay where they were, still waiting for a transfer.
"""

from __future__ import annotations

from admitall.domain.errors import TransitionRefused
from admitall.domain.people import EventKind, Person, PersonEvent, Placement, changed

IN_PROGRESS = (Placement.ASSIGNED, Placement.IN_TRANSIT)


def _refuse(rule: str, zh: str, en: str) -> TransitionRefused:
    return TransitionRefused(rule, zh, en)


def _assign(p: Person, event: PersonEvent) -> Person:
    facility, bed = str(event.data["facility_code"]), str(event.data["bed_type"])
    if p.placement is Placement.WAITING:
        return changed(p, placement=Placement.ASSIGNED, facility_code=facility, bed_type=bed)
    if p.awaiting_transfer:
        return changed(
            p,
            placement=Placement.ASSIGNED,
            facility_code=facility,
            bed_type=bed,
            held_facility_code=p.facility_code,
            held_bed_type=p.bed_type,
        )
    raise _refuse(
        "assign_needs_waiting",
        "只能为待收治或待转院人员分配床位",
        "only a person waiting for a bed or for a transfer can be assigned one",
    )


def _back(p: Person, event: PersonEvent) -> Person:
    """Refused at the facility, or the assignment cancelled: back where they were, in the same place in line."""
    if p.placement not in IN_PROGRESS:
        raise _refuse(
            "refusal_needs_assignment",
            "只有已分配床位的人员才能被拒收或取消分配",
            "only a person with an assigned bed can be refused or have the assignment cancelled",
        )
    if not event.stamp.reason:
        raise _refuse("refusal_needs_reason", "拒收或取消分配必须说明原因", "a refusal or cancellation needs a reason")
    if p.held_facility_code is not None:
        return changed(
            p,
            placement=Placement.ADMITTED,
            facility_code=p.held_facility_code,
            bed_type=p.held_bed_type,
            held_facility_code=None,
            held_bed_type=None,
        )
    return changed(p, placement=Placement.WAITING, facility_code=None, bed_type=None)


def apply_placement(p: Person, event: PersonEvent) -> Person:
    """The state after a placement event, or TransitionRefused naming the rule it breaks."""
    kind = event.kind
    if p.placement is Placement.LEFT:
        raise _refuse(
            "no_placement_after_leaving",
            f"{p.status.zh}人员不在收治流程中",
            f"a person who is {p.status.en} is not in the admission workflow",
        )
    if kind is EventKind.ASSIGNED:
        return _assign(p, event)
    if kind is EventKind.DEPARTED:
        if p.placement is not Placement.ASSIGNED:
            raise _refuse(
                "transit_needs_assignment",
                "只有已分配床位的人员才能转运",
                "only a person with an assigned bed can be in transit",
            )
        return changed(p, placement=Placement.IN_TRANSIT)
    if kind is EventKind.ADMITTED:
        if p.placement not in IN_PROGRESS:
            raise _refuse(
                "admission_needs_assignment",
                "只有已分配床位的人员才能入院收治",
                "only a person with an assigned bed can be admitted",
            )
        return changed(p, placement=Placement.ADMITTED, waiting_since=None, held_facility_code=None, held_bed_type=None)
    if kind in (EventKind.REFUSED, EventKind.ASSIGNMENT_CANCELLED):
        return _back(p, event)
    if kind is EventKind.TRANSFER_NEEDED:
        if p.placement is not Placement.ADMITTED or p.waiting_since is not None:
            raise _refuse(
                "transfer_needs_admission",
                "只有已收治且未在等待转院的人员才需转院",
                "only an admitted person not already waiting for a transfer can need one",
            )
        return changed(p, waiting_since=event.stamp.occurred_at)
    if kind is EventKind.TRANSFER_CANCELLED:
        if not p.awaiting_transfer:
            raise _refuse("transfer_not_pending", "该人员没有待办的转院", "the person is not waiting for a transfer")
        return changed(p, waiting_since=None)
    raise _refuse("unknown_event", f"未知事件 {kind.value}", f"unknown event {kind.value}")
