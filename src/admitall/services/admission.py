"""Admission: plan with the engine, confirm (reserve beds), and the desk's steps — in transit, admitted,
refused, discharged — each an event on the person and a change of the bed counts in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admitall.allocation.engine import plan as solve
from admitall.allocation.model import Candidate, FreePool, Plan, Snapshot
from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, Conflict, InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.identity import mask_document
from admitall.domain.lifecycle import admit, assign_bed, cancel_assignment, depart, reclassify, refuse
from admitall.domain.people import Person, PersonEvent, Placement, Stamp, Status
from admitall.domain.units import ancestors_of
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context, not_found
from admitall.services.facilities import facility_view
from admitall.services.people import load_person, people_desk, person_view
from admitall.store.tables import units
from admitall.store.uow import UnitOfWork


def _unit_places(uow: UnitOfWork) -> dict[str, tuple[float, float]]:
    rows = uow.conn.execute(units.select().with_only_columns(units.c.code, units.c.lat, units.c.lon))
    return {r.code: (r.lat, r.lon) for r in rows if r.lat is not None and r.lon is not None}


def _origin(code: str, places: dict[str, tuple[float, float]]) -> tuple[str, float | None, float | None]:
    """The nearest unit up the tree that has a location: a community's street, or the street's district."""
    for unit in [code, *reversed(ancestors_of(code))]:
        if unit in places:
            return unit, *places[unit]
    return code, None, None


def build_snapshot(ctx: Context, uow: UnitOfWork, actor: Actor) -> tuple[Snapshot, dict[int, Person]]:
    """Everyone within the actor's jurisdiction who needs a bed, and the free beds of every open facility
    (beds are the whole city's; people are the dispatcher's own)."""
    now = ctx.clock.now()
    people = {p.id: p for p in uow.persons.needing_beds(actor.unit_code) if p.id is not None}
    facilities = {f.code: f for f in uow.facilities.in_subtree(None) if f.is_open(now)}
    pools = [
        FreePool(p.facility_code, p.bed_type, p.free, facilities[p.facility_code].lat, facilities[p.facility_code].lon)
        for p in uow.facilities.pools(list(facilities))
        if p.free > 0
    ]
    places = _unit_places(uow)
    origins: dict[str, tuple[str, float | None, float | None]] = {}  # most people share a few thousand units
    candidates = []
    for pid, person in people.items():
        cls = ctx.policy.classify(person)
        if cls is None or person.waiting_since is None:
            continue
        if person.awaiting_transfer and person.facility_code in facilities:
            here = facilities[person.facility_code]
            candidates.append(
                Candidate(pid, cls, person.waiting_since, here.code, here.lat, here.lon, transfer_from=here.code)
            )
        else:
            if person.unit_code not in origins:
                origins[person.unit_code] = _origin(person.unit_code, places)
            origin, lat, lon = origins[person.unit_code]
            candidates.append(Candidate(pid, cls, person.waiting_since, origin, lat, lon))
    return Snapshot(candidates, pools, ctx.policy), people


def _document(p: Person, actor: Actor) -> str | None:
    doc = p.details.document
    if doc is None:
        return None
    return doc.number if actor.can(Permission.SEE_PERSONAL_DATA) else mask_document(doc.number)


def plan_view(result: Plan, people: dict[int, Person], actor: Actor, lang: str = "zh") -> dict[str, Any]:
    def who(pid: int) -> dict[str, Any]:
        p = people[pid]
        return {
            "person": pid,
            "name": p.name,
            "document": _document(p, actor),
            "unit_code": p.unit_code,
            "waiting_since": p.waiting_since.isoformat() if p.waiting_since else None,
            "version": p.version,
            "transfer": p.awaiting_transfer,
        }

    return {
        "assignments": [
            {
                **who(a.person_id),
                "priority_class": a.priority_class.value,
                "facility": a.facility_code,
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
            for u in result.unplaced
        ],
        "waiting_by_class": {c.value: n for c, n in result.waiting_by_class.items()},
        "placed_by_class": {c.value: n for c, n in result.placed_by_class.items() if n},
        "objective": {
            "placed": list(result.objective.placed),
            "preference": result.objective.preference,
            "travel_km": result.objective.travel / 10,
        },
        "stats": dict(result.stats),
    }


def plan_admissions(ctx: Context, actor: Actor, *, lang: str = "zh") -> dict[str, Any]:
    """The proposed plan for everyone waiting in the actor's jurisdiction. Changes nothing but the audit log:
    the plan shows names and document numbers, so reading it is on record."""
    actor.require(Permission.ALLOCATE)
    with ctx.uow(write=True) as uow:
        snapshot, people = build_snapshot(ctx, uow, actor)
        _audit_plan_read(ctx, uow, actor, people)
        uow.commit()
    return plan_view(solve(snapshot), people, actor, lang)


AUDIT_IDS = 1000


def _audit_plan_read(ctx: Context, uow: UnitOfWork, actor: Actor, people: dict[int, Person]) -> None:
    """Who read the waiting list, and whom it showed (the first thousand ids, and how many in all)."""
    if people and actor.can(Permission.SEE_PERSONAL_DATA):
        ids = sorted(people)
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "read_plan",
            "person",
            None,
            unit=actor.unit_code,
            people=len(ids),
            person_ids=ids[:AUDIT_IDS],
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
    """Reserve the beds of a plan, one person at a time, in one transaction. A person who changed meanwhile,
    or whose bed was taken by another dispatcher, is skipped with the reason and stays in the queue."""
    actor.require(Permission.ALLOCATE)
    confirmed, skipped = [], []
    with ctx.uow(write=True) as uow:
        for item in items:
            try:
                with uow.conn.begin_nested():
                    person = load_person(uow, actor, item.person_id)
                    if item.version is not None and person.version != item.version:
                        raise Conflict(
                            "person.changed_meanwhile",
                            "此人信息在计划后已变更，请重新计划",
                            "The person changed after the plan was made; plan again",
                        )
                    if item.bed_type not in {b.value for b in BedType}:
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
                    stamp = ctx.stamp(actor, source, reason=f"{item.facility_code} {item.bed_type}")
                    after, event = assign_bed(person, item.facility_code, item.bed_type, stamp)
                    save_changes(ctx, uow, actor, person, after, [event], "assign_bed")
                confirmed.append({"person": item.person_id, "facility": item.facility_code, "bed_type": item.bed_type})
            except AdmitAllError as e:
                skipped.append({"person": item.person_id, "code": e.code, "reason": e.message(lang)})
        uow.commit()
    return {"confirmed": confirmed, "skipped": skipped}


def allocate(ctx: Context, actor: Actor, *, commit: bool = False, lang: str = "zh") -> dict[str, Any]:
    """Plan, and with `commit` reserve the beds of the plan at once (the CLI's `admitall allocate`)."""
    actor.require(Permission.ALLOCATE)
    with ctx.uow(write=True) as uow:
        snapshot, people = build_snapshot(ctx, uow, actor)
        _audit_plan_read(ctx, uow, actor, people)
        uow.commit()
    result = solve(snapshot)
    view = plan_view(result, people, actor, lang)
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
    """How a stay ends: recovered, released, excluded or dead."""
    status = Status.parse(outcome or "")
    if status not in OUTCOMES:
        raise InvalidInput(
            "admission.bad_outcome",
            f"出院结局应为 recovered/released/excluded/dead：{outcome}",
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
