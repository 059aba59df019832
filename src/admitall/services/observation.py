"""Medical observation of close contacts (issue 17 §2): putting contacts under observation from their last exposure,
the day's checks of a team (its due list), and release at the end.

A contact's place and team follow from where they are: in a quarantine room (admitted to a quarantine_room bed)
the team is the quarantine point, whose unit is the facility's; otherwise at home, and the team is their own
community. A unit's staff see and record the contacts whose team is in their subtree; a quarantine point's desk
those in its rooms. Checks and the missed-check round: services.observation_checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, literal, select, true, update

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput
from admitall.domain.lifecycle import reclassify
from admitall.domain.observation import (
    ObservationState,
    Place,
    SlotState,
    release_refusal,
    slot_due,
    slot_state,
    spans,
    window,
)
from admitall.domain.people import EventKind, Status
from admitall.domain.units import subtree_bounds
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.services.people import load_person, people_desk
from admitall.store.tables import facilities, person_events, persons
from admitall.store.tables_observation import exposures, observation_checks, observations
from admitall.store.uow import UnitOfWork

PAGE = 200
_o, _p, _f = observations.c, persons.c, facilities.c
IN_QUARANTINE = and_(_p.placement == "admitted", _p.bed_type == "quarantine_room")
# the unit whose staff are the contact's team: the quarantine point's, or the contact's own community
TEAM_UNIT = case((IN_QUARANTINE, _f.unit_code), else_=_p.unit_code)
ACTIVE = _o.state == ObservationState.ACTIVE.value
# an observation whose person is still a contact (one who turned into anything else is closed by the round)
WATCHED = and_(ACTIVE, _p.status == Status.CONTACT.value)


CHUNK = 5000  # ids in one IN list (SQLite allows some 32,000 parameters in a statement)


def chunked(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    """The ids in lists of at most `size`, for statements that name them."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def teams_in(root: str | None, facility: str | None = None) -> Any:
    """The observed people whose team is in `root`'s subtree (None: all); for a quarantine point's desk, those
    in its rooms."""
    if facility is not None:
        return and_(IN_QUARANTINE, _p.facility_code == facility)
    if root is None:
        return true()
    lo, hi = subtree_bounds(root)
    # two indexed lookups, not an OR across two tables: contacts at home by their unit (ix_persons_unit_status),
    # and contacts in the quarantine rooms of the subtree's facilities (ix_persons_facility_placement)
    contact = _p.status == Status.CONTACT.value
    at_home = select(_p.id).where(_p.unit_code.between(lo, hi), contact, ~IN_QUARANTINE)
    points = select(_f.code).where(_f.unit_code.between(lo, hi))
    quarantined = select(_p.id).where(_p.facility_code.in_(points), _p.placement == "admitted", contact, IN_QUARANTINE)
    return _o.person_id.in_(at_home.union_all(quarantined))


def joined() -> Any:
    return observations.join(persons, _p.id == _o.person_id).outerjoin(facilities, _f.code == _p.facility_code)


def local_day(ctx: Context, at: datetime) -> date:
    return at.astimezone(ctx.settings.tz).date()


def local_naive(ctx: Context, at: datetime) -> datetime:
    return at.astimezone(ctx.settings.tz).replace(tzinfo=None)


def start_observations(ctx: Context, uow: UnitOfWork, person_ids: Iterable[int]) -> int:
    """Put the contacts among `person_ids` under observation from their last exposure (or move an active
    observation's window on to a later exposure): one read of the last exposures, one of the active observations,
    one insert and one update. People who are not contacts now are left alone. Returns how many started."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    now, rules = ctx.clock.now(), ctx.policy.observation
    e = exposures.c
    last: dict[int, date] = {}
    active: dict[int, tuple[int, date]] = {}
    for part in chunked(ids):
        last.update(
            uow.conn.execute(
                select(e.contact_id, func.max(e.exposed_on))
                .join(persons, _p.id == e.contact_id)
                .where(e.contact_id.in_(part), _p.status == Status.CONTACT.value)
                .group_by(e.contact_id)
            ).all()
        )
    for part in chunked(last):
        for oid, pid, ends in uow.conn.execute(
            select(_o.id, _o.person_id, _o.ends_on).where(_o.person_id.in_(part), ACTIVE)
        ):
            active[pid] = (oid, ends)
    new, moved = [], []
    for pid, exposed in last.items():
        starts, ends = window(exposed, rules)
        if pid in active:
            oid, was = active[pid]
            if ends > was:
                moved.append({"oid": oid, "s": starts, "e": ends})
            continue
        new.append(
            {
                "person_id": pid,
                "starts_on": starts,
                "ends_on": ends,
                "due_from": now,
                "state": "active",
                "created_at": now,
            }
        )
    if new:
        uow.conn.execute(observations.insert(), new)
    if moved:
        uow.conn.execute(
            update(observations)
            .where(_o.id == bindparam("oid"))
            .values(starts_on=bindparam("s"), ends_on=bindparam("e")),
            moved,
        )
    return len(new)


# events that can take a person out of the contacts (a change of category, a record merged into another)
_LEAVING = (EventKind.RECLASSIFIED.value, EventKind.MERGED.value, EventKind.UNMERGED.value)


def close_departed(uow: UnitOfWork, now: datetime, changed_since: datetime | None = None) -> int:
    """Active observations of people who are no longer contacts, by any path, are closed by one statement: released
    (a desk's or the twin's release), converted (febrile or suspected) or ended (confirmed, ruled out, dead).

    With `changed_since`, only the people with such an event recorded since then are looked at (found through the
    events' stamp index: the cost is the hour's changes, not every contact under observation); without it, every
    active observation — the watch's first round of each day, which also catches a change made without an event."""
    status = select(_p.status).where(_p.id == _o.person_id).scalar_subquery()
    where = [ACTIVE, status != Status.CONTACT.value]
    if changed_since is not None:
        e = person_events.c  # the kind said as an expression: sought by the stamp, not by every event of a kind
        changed = select(e.person_id).where(e.recorded_at >= changed_since, e.kind.concat("").in_(_LEAVING))
        where.append(_o.person_id.in_(changed))
    state = case(
        (status == Status.RELEASED.value, ObservationState.RELEASED.value),
        (status.in_([Status.FEVER.value, Status.SUSPECTED.value]), ObservationState.CONVERTED.value),
        else_=ObservationState.ENDED.value,
    )
    result = uow.conn.execute(
        update(observations).where(*where).values(state=state, closed_at=now, closed_reason=literal("now ") + status)
    )
    return int(result.rowcount or 0)


def due_list(
    ctx: Context, actor: Actor, unit: str | None = None, day: date | None = None, page: int = 1
) -> dict[str, Any]:
    """The day's checks of the contacts whose team is in the unit (default: the actor's own), each slot's state,
    with the real total; a page of PAGE, soonest end first. Personal data only for roles that may see it."""
    actor.require(Permission.VIEW_PERSONS)
    now = ctx.clock.now()
    today = local_day(ctx, now)
    day = day or today
    rules = ctx.policy.observation
    page = max(1, page)
    with ctx.uow(write=True) as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        desk = people_desk(actor)
        where = [WATCHED, _o.starts_on <= day, _o.ends_on > day, teams_in(root, desk)]
        total = uow.conn.execute(select(func.count()).select_from(joined()).where(*where)).scalar_one()
        rows = uow.conn.execute(
            select(
                _o.id, _o.person_id, _o.starts_on, _o.ends_on, _o.due_from, _p.name, _p.phone, _p.unit_code,
                _p.facility_code, IN_QUARANTINE.label("quarantined"), TEAM_UNIT.label("team_unit"),
            )
            .select_from(joined())
            .where(*where)
            .order_by(_o.ends_on, _o.person_id)
            .limit(PAGE)
            .offset((page - 1) * PAGE)
        ).all()  # fmt: skip
        ids = [r.person_id for r in rows]
        checks: dict[tuple[int, int], Any] = {}
        if ids:
            c = observation_checks.c
            for chk in uow.conn.execute(
                select(c.person_id, c.slot, c.checked_at, c.temperature, c.symptoms, c.alarming).where(
                    c.day == day, c.person_id.in_(ids)
                )
            ):
                checks[(chk.person_id, chk.slot)] = chk
        shown = actor.can(Permission.SEE_PERSONAL_DATA)
        if shown and ids:
            uow.audit.record(now, actor.username, "observation_due_list", "unit", root, unit=root, people=len(ids))
        uow.commit()
    local_now = local_naive(ctx, now)
    counts = {s.value: 0 for s in SlotState}
    people = []
    for r in rows:
        due_from = local_naive(ctx, r.due_from)
        slots = []
        for k, start, deadline in spans(day, rules):
            chk = checks.get((r.person_id, k))
            due = slot_due(day, start, due_from, r.starts_on, r.ends_on)
            state = slot_state(due, local_naive(ctx, chk.checked_at) if chk else None, deadline, local_now)
            counts[state.value] += 1
            slots.append(
                {
                    "slot": k,
                    "deadline": deadline.strftime("%H:%M"),
                    "state": state.value,
                    "temperature": chk.temperature if chk else None,
                    "symptoms": [s for s in chk.symptoms.split(",") if s] if chk else [],
                }
            )
        people.append(
            {
                "person_id": r.person_id,
                "name": r.name,
                "phone": r.phone if shown else None,
                "unit_code": r.unit_code,
                "place": (Place.QUARANTINE_ROOM if r.quarantined else Place.HOME).value,
                "facility_code": r.facility_code if r.quarantined else None,
                "team_unit": r.team_unit,
                "starts_on": r.starts_on.isoformat(),
                "ends_on": r.ends_on.isoformat(),
                "day_of": (day - r.starts_on).days + 1,
                "slots": slots,
            }
        )
    return {
        "unit": root,
        "day": day.isoformat(),
        "today": today.isoformat(),
        "total": int(total),
        "page": page,
        "page_size": PAGE,
        "slot_counts_on_page": counts,
        "deadlines": [d.strftime("%H:%M") for d in rules.check_deadlines],
        "people": people,
    }


def observation_of(uow: UnitOfWork, person_id: int) -> Any:
    """The person's latest observation row, or None."""
    return uow.conn.execute(
        select(observations).where(_o.person_id == person_id).order_by(_o.id.desc()).limit(1)
    ).first()


def release(ctx: Context, actor: Actor, person_id: int, *, test: str | None = None, lang: str = "zh") -> dict[str, Any]:
    """Release a contact at the end of observation: refused before the end, with fever or symptoms at the last
    check, or without a negative test where the policy asks (each refusal names its rule). The person becomes
    `released` (their bed, if any, freed; counted in the backlog's outflow); the observation closes."""
    actor.require(Permission.RECLASSIFY)
    if test not in (None, "", "negative", "positive"):
        raise InvalidInput(
            "release.test_invalid", "检测结果只能是阴性或阳性", "The test is negative or positive", field="test"
        )
    now, rules = ctx.clock.now(), ctx.policy.observation
    with ctx.uow(write=True) as uow:
        person = load_person(uow, actor, person_id)
        obs = observation_of(uow, person_id)
        if obs is None or obs.state != ObservationState.ACTIVE.value or person.status is not Status.CONTACT:
            raise InvalidInput(
                "release.not_in_observation", "该人员不在医学观察中", "The person is not in medical observation"
            )
        c = observation_checks.c
        last = uow.conn.execute(
            select(c.alarming).where(c.person_id == person_id).order_by(c.day.desc(), c.slot.desc()).limit(1)
        ).scalar()
        refusal = release_refusal(local_day(ctx, now), obs.ends_on, bool(last), test or None, rules)
        if refusal is not None:
            raise refusal
        reason = "医学观察期满解除" if lang != "en" else "observation completed"
        stamp = ctx.stamp(actor, "observation", reason=reason)
        after, event = reclassify(person, Status.RELEASED, stamp)
        save_changes(ctx, uow, actor, person, after, [event], "observation_release")
        uow.conn.execute(
            update(observations)
            .where(_o.id == obs.id)
            .values(state=ObservationState.RELEASED.value, closed_at=now, closed_reason=f"released; test {test or '-'}")
        )
        uow.commit()
    return {
        "person_id": person_id,
        "status": Status.RELEASED.value,
        "observation": obs.id,
        "released_at": now.isoformat(),
    }


def person_observation(ctx: Context, actor: Actor, person_id: int) -> dict[str, Any] | None:
    """A person's observation for their page: window, state, and their checks, newest first (at most 28)."""
    actor.require(Permission.VIEW_PERSONS)
    with ctx.uow() as uow:
        load_person(uow, actor, person_id)
        obs = observation_of(uow, person_id)
        if obs is None:
            return None
        c = observation_checks.c
        rows = uow.conn.execute(
            select(c.day, c.slot, c.checked_at, c.temperature, c.symptoms, c.alarming, c.late)
            .where(c.person_id == person_id)
            .order_by(c.day.desc(), c.slot.desc())
            .limit(28)
        ).all()
    return {
        "id": obs.id,
        "state": obs.state,
        "starts_on": obs.starts_on.isoformat(),
        "ends_on": obs.ends_on.isoformat(),
        "closed_at": obs.closed_at.isoformat() if obs.closed_at else None,
        "checks": [
            {
                "day": r.day.isoformat(),
                "slot": r.slot,
                "checked_at": r.checked_at.isoformat(),
                "temperature": r.temperature,
                "symptoms": [s for s in r.symptoms.split(",") if s],
                "alarming": r.alarming,
                "late": r.late,
            }
            for r in rows
        ],
    }


def ensure_reach(actor: Actor, team_unit: str, facility: str | None, quarantined: bool) -> bool:
    """Whether the actor is (above) the contact's team: a unit covering the team's unit, or the quarantine point's
    own desk."""
    desk = people_desk(actor)
    if desk is not None:
        return quarantined and facility == desk
    return actor.covers(team_unit)
