"""People in the four categories and the state machine of their lives in the system.

Every change is a `PersonEvent`; `apply` is the only place that decides whether a change is allowed and what
state it leads to, so the current state always equals the replay of the history. Commands (`identify`,
`reclassify`, ...) build an event and apply it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from admitall.domain.errors import InvalidInput, TransitionRefused
from admitall.domain.identity import Document, DocumentType, Sex, age_on
from admitall.domain.labels import LabeledEnum

ELDERLY_AGE = 65


class Status(LabeledEnum):
    CONFIRMED = ("confirmed", "确诊患者", "confirmed", "red")
    SUSPECTED = ("suspected", "疑似患者", "suspected", "orange")
    FEVER = ("fever", "发热患者", "febrile, not ruled out", "yellow")
    CONTACT = ("contact", "密切接触者", "close contact", "blue")
    EXCLUDED = ("excluded", "已排除", "ruled out", "grey")
    RECOVERED = ("recovered", "治愈出院", "recovered", "green")
    RELEASED = ("released", "解除观察", "released", "teal")
    DEAD = ("dead", "死亡", "dead", "black")

    @property
    def in_four_categories(self) -> bool:
        return self in FOUR_CATEGORIES


FOUR_CATEGORIES = (Status.CONFIRMED, Status.SUSPECTED, Status.FEVER, Status.CONTACT)
# higher is more serious; an import may raise a category, never silently lower it
CATEGORY_RANK = {Status.CONTACT: 1, Status.FEVER: 2, Status.SUSPECTED: 3, Status.CONFIRMED: 4}


class Severity(LabeledEnum):
    MILD = ("mild", "轻型", "mild", "green")
    MODERATE = ("moderate", "普通型", "moderate", "yellow")
    SEVERE = ("severe", "重型", "severe", "orange")
    CRITICAL = ("critical", "危重型", "critical", "red")

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Risk(LabeledEnum):
    ELDERLY = ("elderly", "65岁及以上", "aged 65 or over", "purple")
    COMORBIDITY = ("comorbidity", "基础疾病", "comorbidity", "orange")
    PREGNANCY = ("pregnancy", "孕产妇", "pregnancy", "pink")


class Placement(LabeledEnum):
    WAITING = ("waiting", "待收治", "waiting", "red")
    ASSIGNED = ("assigned", "已分配床位", "bed assigned", "orange")
    IN_TRANSIT = ("in_transit", "转运中", "in transit", "yellow")
    ADMITTED = ("admitted", "已收治", "admitted", "green")
    LEFT = ("left", "已离开", "left", "grey")


class EventKind(LabeledEnum):
    IDENTIFIED = ("identified", "发现登记", "identified", "blue")
    RECLASSIFIED = ("reclassified", "类别变更", "reclassified", "orange")
    SEVERITY_CHANGED = ("severity_changed", "病情变化", "severity changed", "red")
    RISKS_CHANGED = ("risks_changed", "风险因素变更", "risk flags changed", "purple")
    DETAILS_CORRECTED = ("details_corrected", "信息更正", "details corrected", "grey")
    ASSIGNED = ("assigned", "分配床位", "bed assigned", "orange")
    DEPARTED = ("departed", "开始转运", "departed", "yellow")
    ADMITTED = ("admitted", "入院收治", "admitted", "green")
    REFUSED = ("refused", "拒收", "refused", "red")


BED_HOLDING = (Placement.ASSIGNED, Placement.IN_TRANSIT, Placement.ADMITTED)
QUEUED = (Placement.WAITING, Placement.ASSIGNED, Placement.IN_TRANSIT)


@dataclass(frozen=True)
class PersonDetails:
    """Who the person is and where they belong; corrected only by a details event."""

    name: str
    unit_code: str
    document: Document | None = None
    phone: str | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    address: str | None = None


@dataclass(frozen=True)
class Stamp:
    """Who recorded a change, when it happened in the field, when it was recorded, from which source, why."""

    occurred_at: datetime
    recorded_at: datetime
    actor: str
    source: str
    reason: str | None = None


@dataclass(frozen=True)
class PersonEvent:
    kind: EventKind
    stamp: Stamp
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    details: PersonDetails
    status: Status
    identified_at: datetime
    placement: Placement
    waiting_since: datetime | None
    severity: Severity | None = None
    risks: frozenset[Risk] = frozenset()
    facility_code: str | None = None
    bed_type: str | None = None
    status_since: datetime | None = None
    version: int = 1
    id: int | None = None

    @property
    def name(self) -> str:
        return self.details.name

    @property
    def unit_code(self) -> str:
        return self.details.unit_code


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


def check_invariants(p: Person) -> None:
    """The placement invariants of DESIGN.md; a violation is a bug, not a user error."""
    active = p.status.in_four_categories or p.status is Status.RECOVERED
    assert active == (p.placement is not Placement.LEFT), f"{p.status} with placement {p.placement}"
    assert (p.placement in QUEUED) == (p.waiting_since is not None), f"{p.placement} waiting_since {p.waiting_since}"
    assert (p.placement in BED_HOLDING) == (p.facility_code is not None and p.bed_type is not None)
    assert p.severity is None or p.status in (Status.CONFIRMED, Status.RECOVERED, Status.DEAD)


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
    p = replace(p, status_since=at)
    severity = Severity(event.data["severity"]) if event.data.get("severity") else None
    if to is Status.CONFIRMED:
        return replace(p, status=to, severity=severity, **_requeue(p, at, keep_bed=p.status.in_four_categories))
    if severity is not None:
        raise _refuse("severity_is_for_confirmed", "只有确诊患者有病情分型", "only confirmed patients have a severity")
    if to.in_four_categories:
        return replace(p, status=to, **_requeue(p, at, keep_bed=p.status.in_four_categories))
    if to is Status.RECOVERED:
        # discharged from treatment; goes on to a recovery station, so queues again for a recovery room
        return replace(p, status=to, placement=Placement.WAITING, waiting_since=at, facility_code=None, bed_type=None)
    return replace(p, status=to, placement=Placement.LEFT, waiting_since=None, facility_code=None, bed_type=None)


def _requeue(p: Person, at: datetime, *, keep_bed: bool) -> dict[str, Any]:
    """Moving within the four categories keeps the place (bed or queue); entering them starts a new wait."""
    if keep_bed:
        return {}
    return {"placement": Placement.WAITING, "waiting_since": at, "facility_code": None, "bed_type": None}


def _apply_placement(p: Person, event: PersonEvent) -> Person:
    kind = event.kind
    if p.placement is Placement.LEFT:
        raise _refuse(
            "no_placement_after_leaving",
            f"{p.status.zh}人员不在收治流程中",
            f"a person who is {p.status.en} is not in the admission workflow",
        )
    if kind is EventKind.ASSIGNED:
        if p.placement is not Placement.WAITING:
            raise _refuse(
                "assign_needs_waiting", "只能为待收治人员分配床位", "only a waiting person can be assigned a bed"
            )
        return replace(
            p,
            placement=Placement.ASSIGNED,
            facility_code=str(event.data["facility_code"]),
            bed_type=str(event.data["bed_type"]),
        )
    if kind is EventKind.DEPARTED:
        if p.placement is not Placement.ASSIGNED:
            raise _refuse(
                "transit_needs_assignment",
                "只有已分配床位的人员才能转运",
                "only a person with an assigned bed can be in transit",
            )
        return replace(p, placement=Placement.IN_TRANSIT)
    if kind is EventKind.ADMITTED:
        if p.placement not in (Placement.ASSIGNED, Placement.IN_TRANSIT):
            raise _refuse(
                "admission_needs_assignment",
                "只有已分配床位的人员才能入院收治",
                "only a person with an assigned bed can be admitted",
            )
        return replace(p, placement=Placement.ADMITTED, waiting_since=None)
    # REFUSED: back to the queue with the original waiting time and priority
    if p.placement not in (Placement.ASSIGNED, Placement.IN_TRANSIT):
        raise _refuse(
            "refusal_needs_assignment",
            "只有已分配床位的人员才能被拒收",
            "only a person with an assigned bed can be refused",
        )
    if not event.stamp.reason:
        raise _refuse("refusal_needs_reason", "拒收必须说明原因", "a refusal needs a reason")
    return replace(p, placement=Placement.WAITING, facility_code=None, bed_type=None)


def _details_from(data: Mapping[str, Any]) -> PersonDetails:
    doc = None
    if data.get("document_number"):
        doc = Document(DocumentType(data["document_type"]), str(data["document_number"]))
    return PersonDetails(
        name=str(data["name"]),
        unit_code=str(data["unit_code"]),
        document=doc,
        phone=data.get("phone"),
        sex=Sex(data["sex"]) if data.get("sex") else None,
        birth_date=date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None,
        address=data.get("address"),
    )


def details_data(d: PersonDetails) -> dict[str, Any]:
    """The JSON form of the details, as stored in an `identified` or `details_corrected` event."""
    return {
        "name": d.name,
        "unit_code": d.unit_code,
        "document_type": d.document.type.value if d.document else None,
        "document_number": d.document.number if d.document else None,
        "phone": d.phone,
        "sex": d.sex.value if d.sex else None,
        "birth_date": d.birth_date.isoformat() if d.birth_date else None,
        "address": d.address,
    }


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
            _details_from(event.data),
            Status(event.data["status"]),
            Severity(event.data["severity"]) if event.data.get("severity") else None,
            (Risk(r) for r in event.data.get("risks", ())),
            event.stamp.occurred_at,
        )
    if p is None:
        raise _refuse("identify_first", "人员必须先登记", "a person must be identified first")
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
        new = replace(p, severity=to)
    elif event.kind is EventKind.RISKS_CHANGED:
        risks = _derived_risks((Risk(r) for r in event.data["to"]), p.details.birth_date, p.identified_at)
        if risks == p.risks:
            raise _refuse("risks_unchanged", "风险因素没有变化", "the risk flags are unchanged")
        new = replace(p, risks=risks)
    elif event.kind is EventKind.DETAILS_CORRECTED:
        merged = {**details_data(p.details), **event.data}
        details = _details_from(merged)
        new = replace(p, details=details, risks=_derived_risks(p.risks, details.birth_date, p.identified_at))
    else:
        new = _apply_placement(p, event)
    new = replace(new, version=p.version + 1)
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


def assign_bed(p: Person, facility_code: str, bed_type: str, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.ASSIGNED, stamp, {"facility_code": facility_code, "bed_type": bed_type})


def depart(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.DEPARTED, stamp, {})


def admit(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.ADMITTED, stamp, {"facility_code": p.facility_code, "bed_type": p.bed_type})


def refuse(p: Person, stamp: Stamp) -> tuple[Person, PersonEvent]:
    return _change(p, EventKind.REFUSED, stamp, {"facility_code": p.facility_code, "bed_type": p.bed_type})
