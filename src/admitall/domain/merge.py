"""Merging a registration into a person already in the registry (同一人合并).

A merge may raise a category (a contact now confirmed), never silently lower it; it may raise a severity,
never lower it; it adds risk flags and fills blank details, never overwrites what is recorded. Everything
it does not apply is said in a note, so nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from admitall.domain.errors import TransitionRefused
from admitall.domain.intake import FieldProblem, PersonInput
from admitall.domain.lifecycle import change_risks, change_severity, correct_details, reclassify
from admitall.domain.people import CATEGORY_RANK, Person, PersonDetails, PersonEvent, Risk, Stamp, Status

_FILLABLE = ("document", "phone", "sex", "birth_date", "address")
_LABELS = {
    "document": ("证件号", "document"),
    "phone": ("手机号", "phone"),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "birth date"),
    "address": ("住址", "address"),
    "name": ("姓名", "name"),
    "unit_code": ("所属单位", "unit"),
}


@dataclass
class MergeOutcome:
    person: Person
    events: list[PersonEvent] = field(default_factory=list)
    notes: list[FieldProblem] = field(default_factory=list)


def _fill_details(existing: PersonDetails, incoming: PersonDetails, notes: list[FieldProblem]) -> PersonDetails:
    filled = existing
    for name in (*_FILLABLE, "name", "unit_code"):
        old, new = getattr(existing, name), getattr(incoming, name)
        if new is None or old == new:
            continue
        if old is None and name in _FILLABLE:
            filled = replace(filled, **{name: new})
        else:
            zh, en = _LABELS[name]
            notes.append(
                FieldProblem(
                    name if name != "document" else "id_number",
                    f"{zh}与已登记的不同，保留已登记的",
                    f"The {en} differs from the registered one; the registered one is kept",
                )
            )
    return filled


def merge(existing: Person, incoming: PersonInput, stamp: Stamp) -> MergeOutcome:
    """Apply what `incoming` adds to `existing`. `stamp.occurred_at` should be the registration's time."""
    out = MergeOutcome(existing)

    def step(result: tuple[Person, PersonEvent]) -> None:
        out.person, event = result
        out.events.append(event)

    details = _fill_details(existing.details, incoming.details, out.notes)
    if details != existing.details:
        step(correct_details(out.person, details, replace(stamp, occurred_at=stamp.recorded_at)))

    current, wanted = out.person.status, incoming.status
    try:
        if current in CATEGORY_RANK and CATEGORY_RANK[wanted] > CATEGORY_RANK[current]:
            step(reclassify(out.person, wanted, stamp, severity=incoming.severity))
        elif current in CATEGORY_RANK and CATEGORY_RANK[wanted] < CATEGORY_RANK[current]:
            out.notes.append(
                FieldProblem(
                    "category",
                    f"已登记为{current.zh}，类别不降为{wanted.zh}",
                    f"Registered as {current.en}; not lowered to {wanted.en}",
                )
            )
        elif current not in CATEGORY_RANK:
            since = out.person.status_since or out.person.identified_at
            if incoming.identified_at > since:
                step(reclassify(out.person, wanted, stamp, severity=incoming.severity))
            else:
                out.notes.append(
                    FieldProblem(
                        "identified_at",
                        f"此人已于较晚时间转为{current.zh}，本行较旧，未改变类别",
                        f"The person became {current.en} after this row's time; the category is unchanged",
                    )
                )
    except TransitionRefused as e:
        out.notes.append(FieldProblem("category", e.zh, e.en))

    p = out.person
    if (
        p.status is Status.CONFIRMED
        and incoming.severity is not None
        and (p.severity is None or incoming.severity.rank > p.severity.rank)
    ):
        step(change_severity(p, incoming.severity, stamp))
    elif p.status is Status.CONFIRMED and incoming.severity is not None and incoming.severity is not p.severity:
        assert p.severity is not None
        out.notes.append(
            FieldProblem(
                "severity",
                f"已登记为{p.severity.zh}，病情不降为{incoming.severity.zh}",
                f"Registered as {p.severity.en}; not lowered to {incoming.severity.en}",
            )
        )

    added = incoming.risks - out.person.risks
    if out.person.details.birth_date is not None:
        added -= {Risk.ELDERLY}  # the age decides that flag when the birth date is known
    if added:
        step(change_risks(out.person, out.person.risks | added, stamp))
    return out
