"""People in the four categories: who they are, where they stand, and the events of their history.

The rules that decide which event may follow which are in `lifecycle` (status) and `placement` (beds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from admitall.domain.identity import Document, DocumentType, Sex
from admitall.domain.labels import LabeledEnum


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
    ASSIGNMENT_CANCELLED = ("assignment_cancelled", "取消分配", "assignment cancelled", "grey")
    TRANSFER_NEEDED = ("transfer_needed", "需转院", "transfer needed", "orange")
    TRANSFER_CANCELLED = ("transfer_cancelled", "无需转院", "transfer no longer needed", "grey")
    # record linkage (domain.linkage_merge): two records of one person joined, and a join undone
    MERGED = ("merged", "记录合并", "records merged", "purple")
    UNMERGED = ("unmerged", "撤销合并", "merge undone", "grey")
    # a public help request (services.help_requests) landed on the person's record: no change of state
    HELP_REQUESTED = ("help_requested", "求助登记", "help requested", "red")


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
    # the bed still occupied while the person is being transferred to (assigned to) another
    held_facility_code: str | None = None
    held_bed_type: str | None = None
    status_since: datetime | None = None
    version: int = 1
    id: int | None = None

    @property
    def name(self) -> str:
        return self.details.name

    @property
    def unit_code(self) -> str:
        return self.details.unit_code

    @property
    def awaiting_transfer(self) -> bool:
        """Admitted, but to a bed no longer right for them (a shelter patient who turned severe)."""
        return self.placement is Placement.ADMITTED and self.waiting_since is not None


_PERSON_FIELDS = frozenset(f.name for f in fields(Person))


def changed(p: Person, **values: Any) -> Person:
    """`dataclasses.replace` for a person, made without calling `__init__` (a person's fields need no conversion
    and it has no `__post_init__`): several times cheaper, and on the path of every step. An unknown field is
    refused as `replace` refuses it."""
    unknown = values.keys() - _PERSON_FIELDS
    if unknown:
        raise TypeError(f"Person has no field {sorted(unknown)}")
    new = object.__new__(Person)
    new.__dict__.update(p.__dict__)
    new.__dict__.update(values)
    return new


def check_invariants(p: Person) -> None:
    """The placement invariants of DESIGN.md; a violation is a bug, not a user error."""
    active = p.status.in_four_categories or p.status is Status.RECOVERED
    assert active == (p.placement is not Placement.LEFT), f"{p.status} with placement {p.placement}"
    # waiting, assigned or in transit: in the queue since a time that a refusal keeps
    assert p.placement not in QUEUED or p.waiting_since is not None, f"{p.placement} without waiting_since"
    # admitted: waiting_since set only while waiting for a transfer to another bed
    assert p.placement is not Placement.LEFT or p.waiting_since is None
    assert (p.placement in BED_HOLDING) == (p.facility_code is not None and p.bed_type is not None)
    assert (p.held_facility_code is not None) == (p.held_bed_type is not None)
    assert p.held_facility_code is None or p.placement in (Placement.ASSIGNED, Placement.IN_TRANSIT)
    assert p.severity is None or p.status in (Status.CONFIRMED, Status.RECOVERED, Status.DEAD)


def details_from(data: Mapping[str, Any]) -> PersonDetails:
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
