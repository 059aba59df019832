"""Admission: plan with the engine, confirm (reserve beds), and the desk's steps — in transit, admitted,
refused, discharged — each an event on the person and a change of the bed counts in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admitall.allocation.engine import plan as solve
from admitall.allocation.model import Plan
from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, Conflict, InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.identity import mask_document
from admitall.domain.lifecycle import admit, assign_bed, cancel_assignment, depart, reclassify, refuse
from admitall.domain.people import Person, PersonEvent, Placement, Stamp, Status
from admitall.services.allocation_snapshot import Waiting, admission_slots, build_snapshot
from admitall.services.changes import Batch, save_changes, save_changes_many
from admitall.services.context import Actor, Context, not_found
from admitall.services.facilities import facility_view
from admitall.services.people import load_person, people_desk, person_view
from admitall.store.repositories.waiting_list import Shown, WaitingList
from admitall.store.uow import UnitOfWork

UNPLACED_SHOWN = 200  # the unplaced are counted; the first of them (highest class first) are listed, this many


def plan_view(
    result: Plan,
    people: dict[int, Waiting],
    shown: dict[int, Shown],
    actor: Actor,
    lang: str = "zh",
    facility_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What the plan's readers see: every assignment (to be confirmed), the unplaced counted by class and the
    first of them listed (highest class first, then by place, longest waiting first). Names and documents come
    from `shown`, read only for the people listed; each facility is named (`facility_name`) beside its code."""
    facility_names = facility_names or {}
    unmasked = actor.can(Permission.SEE_PERSONAL_DATA)

    def who(pid: int) -> dict[str, Any]:
        w, s = people[pid], shown.get(pid)
        doc = s.document_number if s is not None else None
        return {
            "person": pid,
            "name": s.name if s is not None else None,
            "document": doc if doc is None or unmasked else mask_document(doc),
            "unit_code": w.unit_code,
            "waiting_since": w.waiting_since.isoformat(),
            "version": w.version,
            "transfer": w.transfer_from is not None,
        }

    unplaced_by_class = {
        c.value: n - result.placed_by_class.get(c, 0)
        for c, n in result.waiting_by_class.items()
        if n > result.placed_by_class.get(c, 0)
    }
    return {
        "assignments": [
            {
                **who(a.person_id),
                "priority_class": a.priority_class.value,
                "facility": a.facility_code,
                "facility_name": facility_names.get(a.facility_code, a.facility_code),
                "bed_type": a.bed_type.value,
                "preference": a.preference,
                "distance_km": a.distance_km,
                "reason": a.reason_en if lang == "en" else a.reason_zh,
            }
            for a in result.assignments
        ],
        "unplaced": [
            {
                **who(u.person_id),
                "priority_class": u.priority_class.value,
                "reason": u.reason_en if lang == "en" else u.reason_zh,
            }
            for u in result.unplaced[:UNPLACED_SHOWN]
        ],
        "unplaced_total": len(result.unplaced),
        "unplaced_by_class": unplaced_by_class,
        "waiting_by_class": {c.value: n for c, n in result.waiting_by_class.items()},
        "placed_by_class": {c.value: n for c, n in result.placed_by_class.items() if n},
        "objective": {
            "placed": list(result.objective.placed),
            "preference": result.objective.preference,
            "travel_km": result.objective.travel / 10,
        },
        "admission_slots": dict(sorted(result.admission_slots.items())),
        "stats": dict(result.stats),
    }


Planned = tuple[Plan, dict[int, Waiting], dict[int, Shown], dict[str, str]]


def _plan(ctx: Context, actor: Actor) -> Planned:
    """Read the snapshot, solve it, read the names of the people the plan lists and of the facilities it sends
    them to, and put the read on record (whom the plan showed)."""
    with ctx.uow() as uow:
        snapshot, people = build_snapshot(ctx, uow, actor.unit_code)
    result = solve(snapshot)
    listed = [a.person_id for a in result.assignments] + [u.person_id for u in result.unplaced[:UNPLACED_SHOWN]]
    with ctx.uow(write=True) as uow:
        shown = WaitingList(uow.conn).shown(listed)
        facility_names = uow.facilities.names(a.facility_code for a in result.assignments)
        _audit_plan_read(ctx, uow, actor, len(people), listed)
        uow.commit()
    return result, people, shown, facility_names


def plan_admissions(ctx: Context, actor: Actor, *, lang: str = "zh") -> dict[str, Any]:
    """The proposed plan for everyone waiting in the actor's jurisdiction. Changes nothing but the audit log:
    the plan shows names and document numbers, so reading it is on record."""
    actor.require(Permission.ALLOCATE)
    result, people, shown, facility_names = _plan(ctx, actor)
    return plan_view(result, people, shown, actor, lang, facility_names)


AUDIT_IDS = 1000


def _audit_plan_read(ctx: Context, uow: UnitOfWork, actor: Actor, waiting: int, listed: list[int]) -> None:
    """Who read the waiting list, how many it counted, and whom it listed by name (the first thousand)."""
    if listed and actor.can(Permission.SEE_PERSONAL_DATA):
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "read_plan",
            "person",
            None,
            unit=actor.unit_code,
            people=waiting,
            person_ids=listed[:AUDIT_IDS],
        )


@dataclass(frozen=True)
class Confirmation:
    person_id: int
    facility_code: str
    bed_type: str
    version: int | None = None


def confirm(
    ctx: Context, actor: Actor, items: Iterable[Confirmation], *, source: str = "dispatch", lang: str = "zh"
) -> dict[str, Any]:
    """Reserve the beds of a plan, in order, in one transaction (decided in memory, then stored together:
    services.changes). A person who changed meanwhile, whose bed was taken by another dispatcher, or bound for
    a facility that has no admission left this clock hour (its `admissions_per_hour`, counted as the engine
    counts it: admitted this hour and on their way) is skipped with the reason and stays in the queue."""
    actor.require(Permission.ALLOCATE)
    items = list(items)
    bed_types = {b.value for b in BedType}
    slots: dict[str, int] = {}

    def decide(batch: Batch) -> dict[str, Any]:
        confirmed, skipped = [], []
        left = dict(slots)
        for item in items:
            try:
                person = batch.people.get(item.person_id)
                if person is None or not (actor.covers(person.unit_code) if seen is None else item.person_id in seen):
                    raise not_found("person", item.person_id)
                if item.version is not None and person.version != item.version:
                    raise Conflict(
                        "person.changed_meanwhile",
                        "此人信息在计划后已变更，请重新计划",
                        "The person changed after the plan was made; plan again",
                    )
                if item.bed_type not in bed_types:
                    known = ", ".join(b.value for b in BedType)
                    raise InvalidInput(
                        "admission.unknown_bed_type",
                        f"未知的床位类型：{item.bed_type}（可选：{known}）",
                        f"Unknown bed type: {item.bed_type} (known: {known})",
                        field="bed_type",
                    )
                if not ctx.policy.fits(person, item.bed_type):
                    raise InvalidInput(
                        "admission.not_eligible",
                        "此人的类别不能使用该床位",
                        "This person's class may not take that bed",
                    )
                if left.get(item.facility_code, 1) <= 0:
                    raise Conflict(
                        "admission.rate_reached",
                        "该收治点本小时的收治人数已达上限，请下一小时再安排",
                        "The facility has admitted as many as its hourly rate allows; plan again next hour",
                    )
                stamp = ctx.stamp(actor, source)  # the event's data says which facility and bed, in any language
                after, event = assign_bed(person, item.facility_code, item.bed_type, stamp)
                batch.add(person, after, [event], "assign_bed")
                if item.facility_code in left:
                    left[item.facility_code] -= 1
                confirmed.append({"person": item.person_id, "facility": item.facility_code, "bed_type": item.bed_type})
            except AdmitAllError as e:
                skipped.append({"person": item.person_id, "code": e.code, "reason": e.message(lang)})
        return {"confirmed": confirmed, "skipped": skipped}

    with ctx.uow(write=True) as uow:
        people = uow.persons.get_many(item.person_id for item in items)
        desk = people_desk(actor)  # as load_person: a facility's desk reaches the people its facility has had
        seen = uow.persons.seen_at(desk, people) if desk is not None else None
        bound_for = {code: f for code in {i.facility_code for i in items} if (f := uow.facilities.get(code))}
        slots.update(admission_slots(ctx, uow, bound_for, ctx.clock.now()))
        outcome = save_changes_many(ctx, uow, actor, people, decide, facilities={i.facility_code for i in items})
        uow.commit()
    return outcome


def allocate(ctx: Context, actor: Actor, *, commit: bool = False, lang: str = "zh") -> dict[str, Any]:
    """Plan, and with `commit` reserve the beds of the plan at once (the CLI's `admitall allocate`)."""
    actor.require(Permission.ALLOCATE)
    result, people, shown, facility_names = _plan(ctx, actor)
    view = plan_view(result, people, shown, actor, lang, facility_names)
    view["committed"] = False
    if commit:
        outcome = confirm(
            ctx,
            actor,
            [
                Confirmation(a.person_id, a.facility_code, a.bed_type.value, people[a.person_id].version)
                for a in result.assignments
            ],
            source="allocate",
            lang=lang,
        )
        view.update(
            committed=True,
            confirmed=len(outcome["confirmed"]),
            confirmed_people=outcome["confirmed"],
            skipped=outcome["skipped"],
        )
    return view


# --- the desk ---------------------------------------------------------------------------------------------------

DESK_STEPS: dict[str, tuple[Permission, Callable[[Person, Stamp], tuple[Person, PersonEvent]]]] = {
    "depart": (Permission.TRANSPORT, depart),
    "admit": (Permission.ADMISSIONS, admit),
    "refuse": (Permission.ADMISSIONS, refuse),
    "cancel": (Permission.ALLOCATE, cancel_assignment),
}

OUTCOMES = {
    Status.RECOVERED: "discharge",
    Status.RELEASED: "release",
    Status.EXCLUDED: "exclude",
    Status.DEAD: "death",
}


def parse_outcome(outcome: str | None, field: str = "outcome") -> Status:
    """How a stay ends: recovered, released, excluded or dead. None chosen is said as such, not as a bad value."""
    if not (outcome or "").strip():
        raise InvalidInput(
            "admission.no_outcome",
            "请先选择结局（治愈出院、解除观察、排除或死亡），未做任何更改",
            "Choose the outcome first (recovered, released, ruled out or died); nothing was changed",
            field=field,
        )
    status = Status.parse(outcome or "")
    if status not in OUTCOMES:
        raise InvalidInput(
            "admission.bad_outcome",
            f"出院结局应为治愈出院、解除观察、已排除或死亡：{outcome}",
            f"The outcome must be recovered, released, excluded or dead: {outcome}",
            field=field,
        )
    return status


def check_discharge(actor: Actor, person: Person) -> None:
    """Only someone admitted is discharged, and only at their facility's desk (or by a desk role). The desk is
    checked first: whether someone elsewhere is admitted is not the desk's to learn."""
    check_at_desk(actor, person, Permission.ADMISSIONS)
    if person.placement is not Placement.ADMITTED:
        raise Conflict(
            "admission.not_admitted",
            "此人尚未入院，不能办理出院",
            "The person is not admitted here, so cannot be discharged",
        )


def check_at_desk(actor: Actor, person: Person, permission: Permission) -> None:
    """A facility officer acts on people bound for or in their own facility; others by their role. Anyone else is
    none of the desk's business: 404, as if they did not exist."""
    actor.require(permission)
    if actor.facility_code is not None and actor.facility_code not in (person.facility_code, person.held_facility_code):
        raise not_found("person", person.id)


def desk_step(
    ctx: Context,
    actor: Actor,
    person_id: int,
    step: str,
    *,
    reason: str | None = None,
    occurred_at: datetime | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Depart (in transit), admit, refuse (with a reason) or cancel an assignment."""
    if step not in DESK_STEPS:
        raise InvalidInput("admission.unknown_step", f"未知操作：{step}", f"Unknown step: {step}", field="step")
    permission, command = DESK_STEPS[step]
    with ctx.uow(write=True) as uow:
        person = load_person(uow, actor, person_id)
        check_at_desk(actor, person, permission)
        _check_version(person, expected_version)
        stamp = ctx.stamp(actor, "desk", reason=reason, occurred_at=occurred_at)
        after, event = command(person, stamp)
        after = save_changes(ctx, uow, actor, person, after, [event], step)
        names = uow.units.names([after.unit_code])
        uow.commit()
    return person_view(after, names, unmasked=actor.can(Permission.SEE_PERSONAL_DATA), now=ctx.clock.now())


def record_outcome(
    ctx: Context,
    actor: Actor,
    person_id: int,
    outcome: str,
    *,
    reason: str | None = None,
    occurred_at: datetime | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """At the desk: discharged recovered (on to a recovery station), released, ruled out, or dead; the bed is
    freed in the same transaction."""
    status = parse_outcome(outcome)
    with ctx.uow(write=True) as uow:
        person = load_person(uow, actor, person_id)
        check_discharge(actor, person)
        _check_version(person, expected_version)
        stamp = ctx.stamp(actor, "desk", reason=reason, occurred_at=occurred_at)
        after, event = reclassify(person, status, stamp)
        after = save_changes(ctx, uow, actor, person, after, [event], OUTCOMES[status])
        names = uow.units.names([after.unit_code])
        uow.commit()
    return person_view(after, names, unmasked=actor.can(Permission.SEE_PERSONAL_DATA), now=ctx.clock.now())


def outcome_preview(
    ctx: Context, actor: Actor, person_id: int, outcome: str, *, expected_version: int | None = None
) -> dict[str, Any]:
    """What `record_outcome` would do, checked as it checks, before the desk confirms it: whom (by name), which
    outcome, at which version. Changes nothing, and shows no personal data beyond the name."""
    status = parse_outcome(outcome)
    with ctx.uow() as uow:
        person = load_person(uow, actor, person_id)
        check_discharge(actor, person)
        _check_version(person, expected_version)
        code = person.facility_code or ""
        facility_name = uow.facilities.names([code]).get(code, code)
    return {
        "person": person.id,
        "name": person.details.name,
        "outcome": status.value,
        "facility_code": person.facility_code,
        "facility_name": facility_name,
        "version": person.version,
    }


def _check_version(person: Person, expected: int | None) -> None:
    if expected is not None and person.version != expected:
        raise Conflict(
            "person.changed_meanwhile",
            "该人员信息刚被他人修改，请刷新后重试",
            "Someone else changed this person meanwhile; reload and try again",
        )


def desk(ctx: Context, actor: Actor, code: str) -> dict[str, Any]:
    """A facility's admissions desk: who is expected, who is here (and who must move on), and the beds."""
    with ctx.uow(write=actor.can(Permission.SEE_PERSONAL_DATA)) as uow:
        facility = uow.facilities.get(code)
        # a facility's desk sees the people of its own facility only (people_desk); others, their jurisdiction's
        desk_of = people_desk(actor)
        here = actor.facility_code == code if desk_of is None else desk_of == code
        if facility is None or not (here or (desk_of is None and actor.covers(facility.unit_code))):
            raise not_found("facility", code)
        actor.require(Permission.VIEW_PERSONS)
        people = uow.persons.at_facility(code)
        # a unit's officer reading a facility in their jurisdiction sees its patients from their jurisdiction only;
        # those from elsewhere are counted, never named
        outside = 0 if here else sum(1 for p in people if not actor.covers(p.unit_code))
        if outside:
            people = [p for p in people if actor.covers(p.unit_code)]
        names = uow.units.names(p.unit_code for p in people)
        pools = uow.facilities.pools([code])
        unmasked = actor.can(Permission.SEE_PERSONAL_DATA)
        if unmasked and people:
            uow.audit.record(
                ctx.clock.now(),
                actor.username,
                "read_desk",
                "facility",
                code,
                unit=facility.unit_code,
                person_ids=[p.id for p in people],
            )
        uow.commit()
    now = ctx.clock.now()
    view = [person_view(p, names, unmasked=unmasked, now=now) for p in people]
    return {
        "facility": facility_view(facility, pools, now),
        "expected": [p for p in view if p["placement"] in ("assigned", "in_transit") and p["facility_code"] == code],
        "admitted": [p for p in view if p["placement"] == "admitted" and p["facility_code"] == code],
        "leaving": [p for p in view if p.get("held_facility_code") == code],
        "can_act": actor.facility_code == code and actor.can(Permission.ADMISSIONS),
        "outside_jurisdiction": outside,
    }
