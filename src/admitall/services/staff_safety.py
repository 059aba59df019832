"""Recording a health worker's or a cadre's exposure or infection (issue 18 §4), and tracking them through the
registry like anyone else, in the same transaction:

- the worker is a roster row of `staff_members` (S3's staffing: at a facility, or a unit for community staff) or a
  cadre sent down (`cadre_assignments`); the event counts against the worker's facility (none for community staff
  and cadres) and is scoped by its unit;
- the registry person is the roster row's `person_id` (or the person an earlier event of the same cadre was
  tracked as); without one, the worker is registered (name, phone, ID number, the unit) and the roster row is
  linked to them;
- an exposure makes them a close contact: with the case they were exposed to, an exposure record of the tracing
  service (setting `care`), which puts them under observation; without a known case, an observation from the day
  of the exposure; someone already in the four categories keeps their category;
- an infection makes them suspected or confirmed (a confirmed person keeps `confirmed`).

Who may record: `record_staff_safety` — a facility's desk for its own facility's staff only, a unit's desk for the
staff and cadres within its jurisdiction. Anyone else's worker answers as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update

from admitall.domain.access import Permission, Role
from admitall.domain.errors import InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.intake import parse_date
from admitall.domain.lifecycle import reclassify
from admitall.domain.observation import window
from admitall.domain.people import FOUR_CATEGORIES, Severity, Status
from admitall.domain.staff_safety import PLACE_MAX, check_event
from admitall.domain.units import subtree_bounds
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context, not_found, unit_in_scope
from admitall.services.observation import ACTIVE, local_day
from admitall.services.people import load_person
from admitall.services.registration.batch import register_within
from admitall.services.tracing import ExposureInput, record_exposures
from admitall.store.paged import DEFAULT_SIZE, bounded, fetch_page, page_fields
from admitall.store.tables import facilities, persons
from admitall.store.tables_cadres import cadre_assignments, staff_safety_events
from admitall.store.tables_observation import observations
from admitall.store.tables_staffing import staff_members
from admitall.store.uow import UnitOfWork

_s, _c, _f, _ev = staff_members.c, cadre_assignments.c, facilities.c, staff_safety_events.c
SOURCE = "staff_safety"


@dataclass(frozen=True)
class Worker:
    """Who the event is about, where it counts, and the registry person they are (if any yet)."""

    staff_id: int | None
    cadre_id: int | None
    name: str
    phone: str | None
    id_number: str | None
    unit_code: str
    facility_code: str | None
    person_id: int | None


def _worker(uow: UnitOfWork, actor: Actor, staff_id: int | None, cadre_id: int | None) -> Worker:
    """The worker, within the actor's reach (a facility desk: its own facility's staff only), or 404."""
    if (staff_id is None) == (cadre_id is None):
        raise InvalidInput("safety.worker", "请指定一名工作人员或下沉干部", "Name one staff member or one cadre",
                           field="staff_id")  # fmt: skip
    if staff_id is not None:
        r = uow.conn.execute(
            select(_s.id, _s.name, _s.phone, _s.id_number, _s.site_code, _s.person_id, _f.code, _f.unit_code)
            .select_from(staff_members.outerjoin(facilities, _f.code == _s.site_code))
            .where(_s.id == staff_id)
        ).first()
        if r is None:
            raise not_found("staff", staff_id)
        unit = r.unit_code if r.code is not None else r.site_code
        worker = Worker(r.id, None, r.name, r.phone, r.id_number, unit, r.code, r.person_id)
    else:
        c = uow.conn.execute(select(cadre_assignments).where(_c.id == cadre_id)).first()
        if c is None:
            raise not_found("cadre", cadre_id)
        earlier = uow.conn.execute(
            select(_ev.person_id).where(_ev.cadre_id == cadre_id, _ev.person_id.is_not(None)).order_by(_ev.id.desc())
        ).first()
        worker = Worker(None, c.id, c.name, c.phone, None, c.community_code, None, earlier[0] if earlier else None)
    desk = actor.role is Role.FACILITY_OFFICER
    if (desk and worker.facility_code != actor.facility_code) or not actor.covers(worker.unit_code):
        raise not_found("staff" if staff_id is not None else "cadre", staff_id or cadre_id)
    return worker


def _registry_actor(actor: Actor, worker: Worker) -> Actor:
    """Who the registry writes as: the recording user (their name on every event and in the audit), acting as the
    desk of the worker's unit. A facility's desk may not register people itself; recording its own staff's
    exposure is the one registration it makes, for the staff member only."""
    unit = actor.unit_code if actor.unit_code and actor.covers(worker.unit_code) else worker.unit_code
    return Actor(actor.username, Role.UNIT_OFFICER, unit, actor.user_id, actor.display_name)


def _track(ctx: Context, uow: UnitOfWork, actor: Actor, worker: Worker, status: Status, on: date) -> int:
    """The registry person the worker is, registered or reclassified to `status` as needed: their id."""
    if worker.person_id is None:
        row = {
            "name": worker.name,
            "phone": worker.phone,
            "id_number": worker.id_number,
            "category": status.value,
            "severity": "mild" if status is Status.CONFIRMED else None,
            "unit_code": worker.unit_code,
            "identified_at": on.isoformat(),
            # the worker's own reference: the same worker registered again is found by it
            "source_ref": f"staff:{worker.staff_id}" if worker.staff_id is not None else f"cadre:{worker.cadre_id}",
        }
        summary = register_within(ctx, actor, uow, [(1, row)], source=SOURCE)
        if summary.rejections:
            problems = list(summary.rejections[0].problems)
            raise InvalidInput("safety.register", "；".join(f"{p.field}：{p.zh}" for p in problems),
                               "; ".join(f"{p.field}: {p.en}" for p in problems))  # fmt: skip
        if summary.referred or 1 not in summary.person_ids:
            raise InvalidInput("safety.referred", "此人已在其他辖区登记，已转交其所属单位",
                               "This person is registered elsewhere; referred to their unit")  # fmt: skip
        return summary.person_ids[1]
    person = load_person(uow, actor, worker.person_id)
    keep = person.status in FOUR_CATEGORIES and (
        status is Status.CONTACT or person.status is Status.CONFIRMED or person.status is status
    )
    if not keep:
        stamp = ctx.stamp(actor, SOURCE, reason="staff safety")
        severity = Severity.MILD if status is Status.CONFIRMED else None
        changed, event = reclassify(person, status, stamp, severity=severity)
        save_changes(ctx, uow, actor, person, changed, [event], "reclassify_person")
    return worker.person_id


def _observe(ctx: Context, uow: UnitOfWork, person_id: int, on: date, case_id: int | None, actor: Actor) -> None:
    """A contact's observation: through the tracing service with the case, or from the day without one."""
    if case_id is not None:
        summary = record_exposures(ctx, uow, actor, [ExposureInput(person_id, case_id, on, "care", "close")], SOURCE)
        if summary.refused:
            _item, code, message = summary.refused[0]
            raise InvalidInput(code, message, message, field="source_case_id")
        return
    status = uow.conn.execute(select(persons.c.status).where(persons.c.id == person_id)).scalar_one()
    active = uow.conn.execute(select(observations.c.id).where(observations.c.person_id == person_id, ACTIVE)).first()
    if status != Status.CONTACT.value or active is not None:
        return
    starts, ends = window(on, ctx.policy.observation)
    if ends <= local_day(ctx, ctx.clock.now()):
        return  # the observation would be over already
    now = ctx.clock.now()
    uow.conn.execute(insert(observations).values(person_id=person_id, starts_on=starts, ends_on=ends, due_from=now,
                                                 state="active", created_at=now))  # fmt: skip


def record_event(
    ctx: Context,
    actor: Actor,
    *,
    kind: str,
    occurred_on: str,
    protection: str,
    staff_id: int | None = None,
    cadre_id: int | None = None,
    status: str | None = None,
    place: str = "",
    source_case_id: int | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record one exposure or infection and track the worker through the registry (one transaction)."""
    actor.require(Permission.RECORD_STAFF_SAFETY)
    now = ctx.clock.now()
    day = parse_date(occurred_on, "occurred_on")
    kind_value, status_value = check_event(kind, status, protection, day, local_day(ctx, now))
    place_text = " ".join(nfkc(place or "").split())[:PLACE_MAX]
    with ctx.uow(write=True) as uow:
        worker = _worker(uow, actor, staff_id, cadre_id)
        registry = _registry_actor(actor, worker)
        if source_case_id is not None:
            load_person(uow, registry, source_case_id)  # the case exists within reach, or 404
        wanted = Status.CONTACT if status_value is None else Status(status_value)
        person_id = _track(ctx, uow, registry, worker, wanted, day)
        if kind_value == "exposure":
            _observe(ctx, uow, person_id, day, source_case_id, registry)
        if worker.staff_id is not None and worker.person_id is None:
            uow.conn.execute(update(staff_members).where(_s.id == worker.staff_id).values(person_id=person_id))
        event_id = uow.conn.execute(
            insert(staff_safety_events).returning(_ev.id),
            {
                "kind": kind_value, "staff_id": worker.staff_id, "cadre_id": worker.cadre_id,
                "facility_code": worker.facility_code, "unit_code": worker.unit_code, "occurred_on": day,
                "place": place_text, "protection": protection, "status": status_value,
                "source_case_id": source_case_id, "person_id": person_id,
                "note": (nfkc(note) or None) if note else None, "recorded_by": actor.username, "recorded_at": now,
            },
        ).scalar_one()  # fmt: skip
        uow.audit.record(
            now, actor.username, "record_staff_safety", "staff_safety_event", event_id, unit=worker.unit_code,
            facility=worker.facility_code, kind=kind_value, status=status_value, person=person_id,
        )  # fmt: skip
        uow.commit()
    return {
        "id": event_id,
        "kind": kind_value,
        "status": status_value,
        "person_id": person_id,
        "facility_code": worker.facility_code,
        "unit_code": worker.unit_code,
        "registered": worker.person_id is None,
    }


def events_list(
    ctx: Context, actor: Actor, unit: str | None = None, *, page: int = 1, size: int = DEFAULT_SIZE
) -> dict[str, Any]:
    """A page of the events recorded in the jurisdiction (a facility's desk: its own facility's), newest first,
    with the worker's name and role and the registry person they are tracked as; the real total."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        query = (
            select(
                staff_safety_events, func.coalesce(_s.name, _c.name).label("name"), _s.role.label("staff_role"),
                _c.department, _f.name.label("facility_name"), persons.c.status.label("person_status"),
            )
            .select_from(
                staff_safety_events.outerjoin(staff_members, _s.id == _ev.staff_id)
                .outerjoin(cadre_assignments, _c.id == _ev.cadre_id)
                .outerjoin(facilities, _f.code == _ev.facility_code)
                .outerjoin(persons, persons.c.id == _ev.person_id)
            )
        )  # fmt: skip
        if root:
            query = query.where(_ev.unit_code.between(*subtree_bounds(root)))
        if actor.role is Role.FACILITY_OFFICER:
            query = query.where(_ev.facility_code == actor.facility_code)
        rows, total = fetch_page(uow.conn, query.order_by(_ev.occurred_on.desc(), _ev.id.desc()), page, size)
        names = uow.units.names({r.unit_code for r in rows} | ({root} if root else set()))
    return {
        "unit": root,
        "unit_name": names.get(root) if root else None,
        "events": [
            {
                "id": r.id,
                "kind": r.kind,
                "status": r.status,
                "occurred_on": r.occurred_on.isoformat(),
                "place": r.place,
                "protection": r.protection,
                "name": r.name,
                "worker": "staff" if r.staff_id is not None else "cadre",
                "staff_id": r.staff_id,
                "cadre_id": r.cadre_id,
                "role": r.staff_role,
                "department": r.department,
                "facility_code": r.facility_code,
                "facility_name": r.facility_name,
                "unit_code": r.unit_code,
                "unit_name": names.get(r.unit_code),
                "person_id": r.person_id,
                "person_status": r.person_status,
                "source_case_id": r.source_case_id,
            }
            for r in rows
        ],
        **page_fields(page, size, total),
    }
