"""Officials and their units (下沉包保): register an official, make them a unit's lead, and say who was
responsible when. Every unit that must have a lead and has none is itself an alert (see services.watch)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import Conflict, InvalidInput
from admitall.domain.identity import mask_phone, nfkc, normalize_phone
from admitall.domain.officials import LeadAssignment, Official, check_assignment, handover, new_official
from admitall.services.auth import users_changed
from admitall.services.context import Actor, Context, not_found, unit_in_scope
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

NO_LEAD = "no_lead"


def sees_phones(actor: Actor) -> bool:
    """Those who must reach an official by phone see the number; the rest see it masked."""
    return actor.can(Permission.HANDLE_ALERTS) or actor.can(Permission.MANAGE_OFFICIALS)


def official_view(x: Official, actor: Actor, names: dict[str, str] | None = None) -> dict[str, Any]:
    phone = x.phone if x.phone is None or sees_phones(actor) else mask_phone(x.phone)
    return {
        "id": x.id,
        "name": x.name,
        "title": x.title,
        "home_unit": x.home_unit,
        "home_unit_name": (names or {}).get(x.home_unit),
        "level": x.level.value,
        "phone": phone,
        "username": x.username,
        "active": x.active,
    }


def assignment_view(a: LeadAssignment, officials: dict[int, Official], names: dict[str, str]) -> dict[str, Any]:
    who = officials.get(a.official_id)
    return {
        "unit_code": a.unit_code,
        "unit_name": names.get(a.unit_code),
        "official_id": a.official_id,
        "official_name": who.name if who else None,
        "official_title": who.title if who else None,
        "starts_at": a.starts_at.isoformat(),
        "ends_at": a.ends_at.isoformat() if a.ends_at else None,
    }


def add_official(
    ctx: Context,
    actor: Actor,
    *,
    name: str,
    title: str,
    home_unit: str,
    phone: str | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    actor.require(Permission.MANAGE_OFFICIALS)
    home = actor.scoped(home_unit)
    check_row("officials", {"name": nfkc(name or ""), "title": nfkc(title or ""), "username": username})
    official = new_official(name, title, home, normalize_phone(phone) if phone else None)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        if uow.units.get(home) is None:
            raise not_found("unit", home)
        if username:
            check_username(uow, actor, username)
        official = replace(official, username=username or None)
        official_id = uow.officials.add(official, now)
        uow.audit.record(now, actor.username, "add_official", "official", official_id, unit=home, name=official.name)
        uow.commit()
    if official.username:
        users_changed(ctx)  # the account is shown by this official's name and title from its next request on
    return official_view(replace(official, id=official_id), actor)


def check_username(uow: UnitOfWork, actor: Actor, username: str) -> None:
    """The user an official signs in as: not one another official already is, and not a user outside the
    jurisdiction (that would hand them this official's desk). Both are refused alike, so nothing is told about
    users elsewhere; a username nobody has yet is kept for the user to come."""
    user = uow.users.by_username(username)
    if uow.officials.by_username(username) is not None or (user is not None and not actor.covers(user.unit_code)):
        raise Conflict(
            "official.username_taken",
            f"用户名 {username} 不能关联（已关联另一名干部，或不在您的管辖范围内）",
            f"The username {username} cannot be linked (another official has it, or it is outside your jurisdiction)",
            field="username",
        )


def assign_lead(
    ctx: Context,
    actor: Actor,
    unit_code: str,
    official_id: int,
    *,
    starts_at: datetime | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Make the official the unit's lead from `starts_at` (default now); the previous lead's term ends then."""
    actor.require(Permission.MANAGE_OFFICIALS)
    code = actor.scoped(unit_code)
    now = ctx.clock.now()
    at = starts_at or now
    if at > now:
        raise InvalidInput(
            "lead.future",
            "交接时间不能晚于现在",
            "A handover is recorded when it happens, not ahead",
            field="starts_at",
        )
    with ctx.uow(write=True) as uow:
        if uow.units.get(code) is None:
            raise not_found("unit", code)
        official = uow.officials.get(official_id)
        if official is None or not actor.covers(official.home_unit):
            raise not_found("official", official_id)
        check_assignment(official, code)
        current = uow.officials.current_lead(code)
        assignment = handover(current, official_id, code, at)
        if current is not None and current.id is not None:
            uow.officials.end(current.id, at)
        uow.officials.start(assignment, actor.username, reason)
        resolved = uow.reports.resolve_open_alerts(NO_LEAD, code, now)
        uow.audit.record(
            now,
            actor.username,
            "assign_lead",
            "unit",
            code,
            unit=code,
            official=official_id,
            previous=current.official_id if current else None,
            starts_at=at.isoformat(),
            reason=reason,
        )
        uow.commit()
    return {
        "unit_code": code,
        "official_id": official_id,
        "previous_official_id": current.official_id if current else None,
        "starts_at": at.isoformat(),
        "no_lead_alerts_resolved": resolved,
    }


def responsibility(ctx: Context, actor: Actor, unit_code: str) -> dict[str, Any]:
    """Who leads the unit now, and who led it before, with dates."""
    actor.require(Permission.VIEW_COUNTS)
    code = actor.scoped(unit_code)
    with ctx.uow() as uow:
        if uow.units.get(code) is None:
            raise not_found("unit", code)
        history = uow.officials.of_unit(code)
        people = uow.officials.named(a.official_id for a in history)
        names = uow.units.names([code])
    views = [assignment_view(a, people, names) for a in history]
    current = next((v for a, v in zip(history, views, strict=True) if a.ends_at is None), None)
    return {"unit_code": code, "unit_name": names.get(code), "lead": current, "history": views}


def list_officials(
    ctx: Context,
    actor: Actor,
    unit: str | None = None,
    *,
    q: str = "",
    page: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """A page of the jurisdiction's officials (search: part of a name, title or home unit's name, or a unit code)
    with the units each leads now, and how many match in all."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    q = nfkc(q).strip()
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        found, total = uow.officials.page_in_subtree(root, q=q, page=page, size=size)
        leads = uow.officials.leads_now_of(x.id for x in found if x.id is not None)
        names = uow.units.names({x.home_unit for x in found} | {a.unit_code for a in leads})
    led: dict[int, list[str]] = {}
    for lead in sorted(leads, key=lambda x: x.unit_code):
        led.setdefault(lead.official_id, []).append(lead.unit_code)
    return {
        "officials": [
            {
                **official_view(x, actor, names),
                "leads": [{"code": c, "name": names.get(c)} for c in led.get(x.id or 0, [])],
            }
            for x in found
        ],
        "q": q,
        **page_fields(page, size, total),
    }


def vacancies(
    ctx: Context, actor: Actor, unit: str | None = None, *, page: int | None = None, size: int = DEFAULT_SIZE
) -> dict[str, Any]:
    """Units in the jurisdiction that must have a lead and have none: all of them, or one page; with the total."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        found, total = uow.officials.without_lead(root, page=page, size=size)
        names = uow.units.names(code for code, _ in found)
    units = [{"code": c, "name": names.get(c), "since": since.isoformat()} for c, since in found]
    return {"units": units, "total": total, **({} if page is None else page_fields(page, size, total))}


def official_of(uow: UnitOfWork, actor: Actor) -> Official | None:
    """The official the signed-in user is, if any."""
    return uow.officials.by_username(actor.username)
