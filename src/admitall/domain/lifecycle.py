"""The life of a person in the system: which change may follow which, and what state it leads to.

Every change is a `PersonEvent`; `apply` is the only place that decides whether a change is allowed and what
state it leads to, so the current state always equals the replay of the history. Commands (`identify`,
`reclassify`, `assign_bed`, ...) build an event and apply it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from admitall.domain.errors import InvalidInput, TransitionRefused
from admitall.domain.identity import age_on
from admitall.domain.linkage_merge import apply_linkage
from admitall.domain.people import (
    CATEGORY_RANK,
    FOUR_CATEGORIES,
    EventKind,
    Person,
    PersonDetails,
    PersonEvent,
    Placement,
    Risk,
    Severity,
    Stamp,
    Status,
    changed,
    check_invariants,
    details_data,
    details_from,
)
from admitall.domain.placement import apply_placement

ELDERLY_AGE = 65


def _refuse(rule: str, zh: str, en: str) -> TransitionRefused:
    return TransitionRefused(rule, zh, en)


# Which statuses may follow which (identification aside); each entry names the rule that forbids the rest.
_NEXT_STATUS: dict[Status, tuple[frozenset[Status], str, str, str]] = {
    Status.CONTACT: (
        frozenset({Status.FEVER, Status.SUSPECTED, Status.CONFIRMED, Status.EXCLUDED, Status.RELEASED, Status.DEAD}),
        "observation_outcomes",
        "密切接触者只能转为发热、疑似、确诊、排除、解除观察或死亡",
        "a close contact can only become febrile, suspected, confirmed, ruled out, released or dead",
    ),
    Status.FEVER: (
        frozenset({Status.CONTACT, Status.SUSPECTED, Status.CONFIRMED, Status.EXCLUDED, Status.DEAD}),
        "fever_outcomes",
        "发热患者只能转为密接、疑似、确诊、排除或死亡",
        "a febrile patient can only become a contact, suspected, confirmed, ruled out or dead",
    ),
    Status.SUSPECTED: (
        frozenset({Status.CONTACT, Status.FEVER, Status.CONFIRMED, Status.EXCLUDED, Status.DEAD}),
        "suspected_outcomes",
        "疑似患者只能转为确诊、排除、发热、密接或死亡",
        "a suspected patient can only become confirmed, ruled out, febrile, a contact or dead",
    ),
    Status.CONFIRMED: (
        frozenset({Status.RECOVERED, Status.DEAD}),
        "confirmed_stays_confirmed",
        "确诊患者只能治愈出院或死亡，不能降为其他类别",
        "a confirmed patient can only recover or die; the diagnosis is never downgraded",
    ),
    Status.RECOVERED: (
        frozenset({Status.RELEASED, Status.CONFIRMED, Status.DEAD}),
        "recovery_outcomes",
        "治愈者只能解除观察、复阳确诊或死亡",
        "a recovered patient can only be released, test positive again, or die",
    ),
    Status.EXCLUDED: (
        frozenset({*FOUR_CATEGORIES, Status.DEAD}),
        "excluded_reenters",
        "已排除者只能重新进入四类人员",
        "a ruled-out person can only re-enter the four categories",
    ),
    Status.RELEASED: (
        frozenset({*FOUR_CATEGORIES, Status.DEAD}),
        "released_reenters",
        "解除观察者只能重新进入四类人员",
        "a released person can only re-enter the four categories",
    ),
    Status.DEAD: (frozenset(), "dead_is_final", "死亡是最终状态，不能再变更", "death is final; nothing follows it"),
}


def _derived_risks(risks: Iterable[Risk], birth: date | None, on: datetime) -> frozenset[Risk]:
    """With a known birth date the age decides the elderly flag; without one, an explicit flag is kept."""
    result = set(risks)
    if birth is not None:
        result.discard(Risk.ELDERLY)
        if age_on(birth, on.date()) >= ELDERLY_AGE:
            result.add(Risk.ELDERLY)
    return frozenset(result)


def _check_stamp(stamp: Stamp) -> None:
    if stamp.occurred_at > stamp.recorded_at:
        raise _refuse(
            "not_in_future",
            f"发生时间 {stamp.occurred_at.isoformat()} 晚于记录时间",
            f"the time it happened ({stamp.occurred_at.isoformat()}) is after the time it was recorded",
        )


_NO_BED: dict[str, Any] = {"facility_code": None, "bed_type": None, "held_facility_code": None, "held_bed_type": None}


def _apply_status(p: Person, to: Status, event: PersonEvent) -> Person:
    if to is p.status:
        raise _refuse("status_unchanged", f"该人员已是{to.zh}", f"the person is already {to.en}")
    allowed, rule, zh, en = _NEXT_STATUS[p.status]
    if to not in allowed:
        raise _refuse(rule, zh, en)
    lowered = p.status in CATEGORY_RANK and to in CATEGORY_RANK and CATEGORY_RANK[to] < CATEGORY_RANK[p.status]
    if lowered and not event.stamp.reason:
        raise _refuse("downgrade_needs_reason", "降低类别必须说明原因", "lowering a category needs a reason")
    at = event.stamp.occurred_at
    severity = Severity(event.data["severity"]) if event.data.get("severity") else None
    if severity is not None and to is not Status.CONFIRMED:
        raise _refuse("severity_is_for_confirmed", "只有确诊患者有病情分型", "only confirmed patients have a severity")
    p = changed(p, status=to, status_since=at)
    if to is Status.CONFIRMED:
        p = changed(p, severity=severity)
    elif to not in (Status.RECOVERED, Status.DEAD):  # released, ruled out, or back among the four: no clinical type
        p = changed(p, severity=None)
    if to.in_four_categories:
        if p.placement is Placement.LEFT:  # entering the four categories again starts a new wait
            return changed(p, placement=Placement.WAITING, waiting_since=at, **_NO_BED)
        return p  # moving within them keeps the place, bed or queue; the service checks the bed still fits
    if to is Status.RECOVERED:
        # discharged from treatment; goes on to a recovery station, so queues again for a recovery room
        return changed(p, placement=Placement.WAITING, waiting_since=at, **_NO_BED)
    return changed(p, placement=Placement.LEFT, waiting_since=None, **_NO_BED)


def _first_state(
    details: PersonDetails, status: Status, severity: Severity | None, risks: Iterable[Risk], at: datetime
) -> Person:
    """The state a person starts in when identified: in one of the four categories, waiting from `at`."""
    if not status.in_four_categories:
        raise _refuse(
            "identify_into_four_categories",
            "登记时必须属于四类人员之一",
            "a person is identified into one of the four categories",
        )
    if severity is not None and status is not Status.CONFIRMED:
        raise _refuse("severity_is_for_confirmed", "只有确诊患者有病情分型", "only confirmed patients have a severity")
    new = Person(
        details=details,
        status=status,
        identified_at=at,
        placement=Placement.WAITING,
        waiting_since=at,
        severity=severity,
        status_since=at,
        risks=_derived_risks(risks, details.birth_date, at),
    )
    check_invariants(new)
    return new


def apply(p: Person | None, event: PersonEvent) -> Person:
    """The state after `event`, or TransitionRefused naming the rule it breaks."""
    _check_stamp(event.stamp)
    if event.kind is EventKind.IDENTIFIED:
        if p is not None:
            raise _refuse(
                "identified_once",
                "该人员已登记；再次发现请变更类别",
                "the person is already registered; record a reclassification instead",
            )
        return _first_state(
            details_from(event.data),
            Status(event.data["status"]),
            Severity(event.data["severity"]) if event.data.get("severity") else None,
            (Risk(r) for r in event.data.get("risks", ())),
            event.stamp.occurred_at,
        )
    if p is None:
        raise _refuse("identify_first", "人员必须先登记", "a person must be identified first")
    if event.kind in (EventKind.MERGED, EventKind.UNMERGED):
        new = apply_linkage(p, event)
        return changed(new, version=p.version + 1)
    if p.status is Status.DEAD and event.kind is not EventKind.DETAILS_CORRECTED:
        raise _refuse("dead_is_final", "死亡是最终状态，不能再变更", "death is final; nothing follows it")
    if event.kind is EventKind.RECLASSIFIED:
        new = _apply_status(p, Status(event.data["to"]), event)
    elif event.kind is EventKind.SEVERITY_CHANGED:
        if p.status is not Status.CONFIRMED:
            raise _refuse(
                "severity_is_for_confirmed", "只有确诊患者有病情分型", "only confirmed patients have a severity"
            )
        to = Severity(event.data["to"])
        if to is p.severity:
            raise _refuse("severity_unchanged", f"病情已是{to.zh}", f"the severity is already {to.en}")
        new = changed(p, severity=to)
    elif event.kind is EventKind.RISKS_CHANGED:
        risks = _derived_risks((Risk(r) for r in event.data["to"]), p.details.birth_date, p.identified_at)
        if risks == p.risks:
            raise _refuse("risks_unchanged", "风险因素没有变化", "the risk flags are unchanged")
        new = changed(p, risks=risks)
    elif event.kind is EventKind.HELP_REQUESTED:
        new = p  # on the record (the request's number and urgency); the state is as it was
    elif event.kind is EventKind.DETAILS_CORRECTED:
        details = details_from({**details_data(p.details), **event.data})
        new = changed(p, details=details, risks=_derived_risks(p.risks, details.birth_date, p.identified_at))
    else:
        new = apply_placement(p, event)
    new = changed(new, version=p.version + 1)
    check_invariants(new)
    return new


def replay(events: Iterable[PersonEvent]) -> Person:
    """The current state derived from the whole history."""
    state: Person | None = None
    for event in events:
        state = apply(state, event)
    if state is None:
        raise InvalidInput("person.no_history", "没有任何事件", "The history is empty")
    return state


def identify(
    details: PersonDetails,
    status: Status,
    stamp: Stamp,
    *,
    severity: Severity | None = None,
    risks: Iterable[Risk] = (),
) -> tuple[Person, PersonEvent]:
    data = {
        **details_data(details),
        "status": status.value,
        "severity": severity.value if severity else None,
        "risks": sorted(r.value for r in risks),
    }
    _check_stamp(stamp)
    # the same state `apply` derives from the event, built from the details at hand rather than re-read
    # from the event's data (a test checks that both agree)
    return _first_state(details, status, severity, risks, stamp.occurred_at), PersonEvent(
        EventKind.IDENTIFIED, stamp, data
    )


def _change(p: Person, kind: EventKind, stamp: Stamp, data: Mapping[str, Any]) -> tuple[Person, PersonEvent]:
    event = PersonEvent(kind, stamp, dict(data))
    return apply(p, event), event


def reclassify(p: Person, to: Status, stamp: Stamp, *, severity: Severity | None = None) -> tuple[Person, PersonEvent]:
    return _change(
        p,
        EventKind.RECLASSIFIED,
        stamp,
        {"from": p.status.value, "to": to.value, "severity": severity.value if severity else None},
    )


def change_severity(p: Person, to: Severity, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(
        p, EventKind.SEVERITY_CHANGED, stamp, {"from": p.severity.value if p.severity else None, "to": to.value}
    )


def change_risks(p: Person, risks: Iterable[Risk], stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(
        p,
        EventKind.RISKS_CHANGED,
        stamp,
        {"from": sorted(r.value for r in p.risks), "to": sorted(r.value for r in risks)},
    )


def correct_details(p: Person, details: PersonDetails, stamp: Stamp) -> tuple[Person, PersonEvent]:
    """Record only the fields that differ; refuses an empty correction."""
    old, new = details_data(p.details), details_data(details)
    changed = {k: v for k, v in new.items() if old[k] != v}
    if not changed:
        raise _refuse("details_unchanged", "没有需要更正的信息", "nothing to correct")
    return _change(p, EventKind.DETAILS_CORRECTED, stamp, changed)


def _bed(p: Person) -> dict[str, Any]:
    return {"facility_code": p.facility_code, "bed_type": p.bed_type}


def assign_bed(p: Person, facility_code: str, bed_type: str, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.ASSIGNED, stamp, {"facility_code": facility_code, "bed_type": bed_type})


def depart(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.DEPARTED, stamp, _bed(p))


def admit(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.ADMITTED, stamp, _bed(p))


def refuse(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.REFUSED, stamp, _bed(p))


def cancel_assignment(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.ASSIGNMENT_CANCELLED, stamp, _bed(p))


def need_transfer(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.TRANSFER_NEEDED, stamp, _bed(p))


def cancel_transfer(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.TRANSFER_CANCELLED, stamp, _bed(p))


def help_requested(
    p: Person, stamp: Stamp, number: str, urgency: str, to_check: str | None = None
) -> tuple[Person, PersonEvent]:
    """A resident's help request for this person, on their history: its number, how urgent it is, and what the
    resident said that must be checked (a positive test: never a confirmation on their word)."""
    data = {"help_request": number, "urgency": urgency, **({"to_check": to_check} if to_check else {})}
    return _change(p, EventKind.HELP_REQUESTED, stamp, data)
