"""Staff rosters and medical teams (issue 18 §2): who works where, and how many of each role are there on a day.

Who may do what (domain.access): a facility's admissions desk sees and edits its own facility's roster; a unit
officer or an administrator the rosters of the facilities and units in their subtree (`manage_staff`); the
command above (a commander or an administrator of a city-level unit or above, `manage_teams`) registers the medical
teams sent in and their departures. Reading a roster needs `view_persons` within the jurisdiction; phones and ID
numbers are masked for those without `see_personal_data`. Every change is audited.

A team counts at its facility from its arrival day to its departure day with its headcount by role; members
listed individually with their team (`team_id`) are part of that headcount and are not counted again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from admitall.domain.access import Permission
from admitall.domain.errors import Forbidden, InvalidInput
from admitall.domain.facilities import Facility
from admitall.domain.identity import mask_document, mask_phone
from admitall.domain.staffing import StaffRole
from admitall.domain.units import UnitLevel, level_of
from admitall.services.context import Actor, Context, not_found
from admitall.store.paged import DEFAULT_SIZE, fetch_page, page_fields
from admitall.store.tables_staffing import medical_team_headcounts, medical_teams, staff_members
from admitall.store.uow import UnitOfWork

_s, _t, _h = staff_members.c, medical_teams.c, medical_team_headcounts.c
NAME_MAX, ORIGIN_MAX, PHONE_MAX, ID_MAX = 100, 60, 30, 30


def day_of(at: datetime | date, tz: tzinfo | None = None) -> date:
    """The roster day of a moment (in `tz`, the instance's zone, when given)."""
    if isinstance(at, datetime):
        return (at.astimezone(tz) if tz is not None else at).date()
    return at


def _active(frm: Any, until: Any, day: date) -> Any:
    return and_(frm <= day, or_(until.is_(None), until >= day))


def headcount(
    session: UnitOfWork | Connection, at: datetime | date, tz: tzinfo | None = None
) -> dict[str, Counter[str]]:
    """Site code (a facility's or a unit's) → role → people on the roster on the day of `at`: individuals not in a
    team, plus every team present that day with its headcount. Two grouped statements for the whole city."""
    conn = session.conn if isinstance(session, UnitOfWork) else session
    day = day_of(at, tz)
    found: dict[str, Counter[str]] = {}
    people = conn.execute(
        select(_s.site_code, _s.role, func.count())
        .where(_s.team_id.is_(None), _active(_s.active_from, _s.active_until, day))
        .group_by(_s.site_code, _s.role)
    )
    teams = conn.execute(
        select(_t.facility_code, _h.role, func.sum(_h.headcount))
        .select_from(medical_teams.join(medical_team_headcounts, _h.team_id == _t.id))
        .where(_active(_t.arrives_on, _t.departs_on, day))
        .group_by(_t.facility_code, _h.role)
    )
    for site, role, n in [*people, *teams]:
        if n:
            found.setdefault(site, Counter())[role] += int(n)
    return found


def sites_with_staffing(session: UnitOfWork | Connection, codes: list[str] | None = None) -> set[str]:
    """The sites that keep staffing data at all (anyone ever on their roster, or any team ever assigned): only
    these are limited by staff (domain.staffing)."""
    conn = session.conn if isinstance(session, UnitOfWork) else session
    people = select(_s.site_code).distinct()
    teams = select(_t.facility_code).distinct()
    if codes is not None:
        people, teams = people.where(_s.site_code.in_(codes)), teams.where(_t.facility_code.in_(codes))
    return set(conn.execute(people).scalars()) | set(conn.execute(teams).scalars())


# ---- scope -------------------------------------------------------------------------------------------------------


def facility_in_scope(uow: UnitOfWork, actor: Actor, code: str) -> Facility:
    """A facility the actor's jurisdiction holds (a desk: its own facility only); 404 otherwise, as for none."""
    facility = uow.facilities.get(code.strip())
    if facility is None or not actor.covers(facility.unit_code):
        raise not_found("facility", code)
    if actor.facility_code is not None and actor.facility_code != facility.code:
        raise not_found("facility", code)
    return facility


def site_in_scope(uow: UnitOfWork, actor: Actor, code: str) -> str:
    """A site (facility or unit) within the jurisdiction; a desk's only site is its facility."""
    code = code.strip()
    if uow.facilities.get(code) is not None:
        return facility_in_scope(uow, actor, code).code
    if actor.facility_code is not None or uow.units.get(code) is None or not actor.covers(code):
        raise not_found("unit", code)
    return code


def require_hq(actor: Actor) -> None:
    """Teams are the command's: `manage_teams` from a city-level unit or above."""
    actor.require(Permission.MANAGE_TEAMS)
    if actor.unit_code is not None and level_of(actor.unit_code) not in (UnitLevel.PROVINCE, UnitLevel.CITY):
        raise Forbidden(
            "staffing.hq_only",
            "医疗队由市级以上指挥部登记",
            "Medical teams are registered by the city command or above",
        )


# ---- roster ------------------------------------------------------------------------------------------------------


def _bad(key: str, zh: str, en: str, field: str) -> InvalidInput:
    return InvalidInput(f"staffing.{key}", zh, en, field=field)


def clean_member(raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A roster row's fields checked: name, role (value or label), phone, ID number, the days on the roster."""
    name = " ".join(str(raw.get("name") or "").split())
    if not name or len(name) > NAME_MAX:
        raise _bad("name", f"姓名为空或超过 {NAME_MAX} 个字", f"The name is blank or over {NAME_MAX} chars", "name")
    role = StaffRole.parse(str(raw.get("role") or ""))
    if role is None:
        known = "、".join(r.zh for r in StaffRole)
        raise _bad("role", f"岗位无法识别（可选：{known}）", "Unknown role", "role")
    phone = str(raw.get("phone") or "").strip() or None
    id_number = str(raw.get("id_number") or "").strip() or None
    if (phone and len(phone) > PHONE_MAX) or (id_number and len(id_number) > ID_MAX):
        raise _bad("too_long", "电话或证件号过长", "The phone or ID number is too long", "phone")
    start = parse_day(raw.get("active_from"), "active_from") or today
    until = parse_day(raw.get("active_until"), "active_until")
    if until is not None and until < start:
        raise _bad("dates", "离岗日期早于到岗日期", "The last day is before the first", "active_until")
    return {
        "name": name,
        "role": role.value,
        "phone": phone,
        "id_number": id_number,
        "active_from": start,
        "active_until": until,
    }


def parse_day(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise _bad("date", f"日期无法识别：{value}（应为 2020-02-05）", f"Unreadable date: {value}", field) from None


def add_member(ctx: Context, actor: Actor, site: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Put one person on a site's roster."""
    actor.require(Permission.MANAGE_STAFF)
    now = ctx.clock.now()
    fields = clean_member(raw, day_of(now, ctx.settings.tz))
    with ctx.uow(write=True) as uow:
        code = site_in_scope(uow, actor, site)
        team = raw.get("team_id")
        team_id = int(team) if team not in (None, "") else None
        if team_id is not None and uow.conn.execute(select(_t.id).where(_t.id == team_id)).first() is None:
            raise not_found("team", team_id)
        row = {**fields, "site_code": code, "team_id": team_id, "source": "desk", "created_by": actor.username}
        new_id = uow.conn.execute(insert(staff_members).values(**row, created_at=now)).inserted_primary_key[0]
        uow.audit.record(now, actor.username, "add_staff", "staff", str(new_id), site=code, role=fields["role"])
        uow.commit()
    return {"id": new_id, "site_code": code, **{k: v for k, v in fields.items() if k not in ("phone", "id_number")}}


def _last_day(ctx: Context, actor: Actor, table: Any, row_id: int, day: date, *, what: str, action: str) -> None:
    """Set the last day of a roster row (`active_until`) or a team (`departs_on`) within the jurisdiction; refused
    before its first day. Audited as `action`."""
    start, end = (table.c.active_from, "active_until") if what == "staff" else (table.c.arrives_on, "departs_on")
    with ctx.uow(write=True) as uow:
        row = uow.conn.execute(select(table).where(table.c.id == row_id)).first()
        if row is None:
            raise not_found(what, row_id)
        if what == "staff":
            site_in_scope(uow, actor, row.site_code)
        else:
            facility_in_scope(uow, actor, row.facility_code)
        if day < getattr(row, start.key):
            raise _bad("dates", "结束日期早于开始日期", "The last day is before the first", end)
        uow.conn.execute(update(table).where(table.c.id == row_id).values({end: day}))
        uow.audit.record(ctx.clock.now(), actor.username, action, what, str(row_id), **{end: day.isoformat()})
        uow.commit()


def end_member(ctx: Context, actor: Actor, member_id: int, last_day: date | None = None) -> dict[str, Any]:
    """Take someone off the roster from a day on (their last day; today when not given)."""
    actor.require(Permission.MANAGE_STAFF)
    day = last_day or day_of(ctx.clock.now(), ctx.settings.tz)
    _last_day(ctx, actor, staff_members, member_id, day, what="staff", action="end_staff")
    return {"id": member_id, "active_until": day.isoformat()}


def roster(
    ctx: Context, actor: Actor, site: str, *, page: int = 1, size: int = DEFAULT_SIZE, on: date | None = None
) -> dict[str, Any]:
    """A site's roster on a day (today when not given), a page of it with the real total; phones and ID numbers
    masked for those who may not see them."""
    actor.require(Permission.VIEW_PERSONS)
    day = on or day_of(ctx.clock.now(), ctx.settings.tz)
    full = actor.can(Permission.SEE_PERSONAL_DATA)
    with ctx.uow() as uow:
        code = site_in_scope(uow, actor, site)
        query = (
            select(staff_members, _t.name.label("team_name"))
            .select_from(staff_members.outerjoin(medical_teams, _t.id == _s.team_id))
            .where(_s.site_code == code, _active(_s.active_from, _s.active_until, day))
            .order_by(_s.role, _s.name, _s.id)
        )
        rows, total = fetch_page(uow.conn, query, page, size)
        counts = headcount(uow, day).get(code, Counter())
    return {
        "site_code": code,
        "day": day.isoformat(),
        "total": total,
        **page_fields(page, size, total),
        "headcount": {role.value: counts.get(role.value, 0) for role in StaffRole if counts.get(role.value)},
        "staff": [
            {
                "id": r.id,
                "name": r.name,
                "role": r.role,
                "team": r.team_name,
                "phone": (r.phone if full else mask_phone(r.phone)) if r.phone else None,
                "id_number": (r.id_number if full else mask_document(r.id_number)) if r.id_number else None,
                "active_from": r.active_from.isoformat(),
                "active_until": r.active_until.isoformat() if r.active_until else None,
                "person_id": r.person_id,
            }
            for r in rows
        ],
    }


# ---- teams -------------------------------------------------------------------------------------------------------


def add_team(ctx: Context, actor: Actor, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Register a team sent in: its name, origin, facility, arrival (and departure) day and headcount by role."""
    require_hq(actor)
    now = ctx.clock.now()
    name = " ".join(str(raw.get("name") or "").split())
    origin = " ".join(str(raw.get("origin") or "").split())
    if not name or len(name) > NAME_MAX:
        raise _bad("name", "医疗队名称为空或过长", "The team's name is blank or too long", "name")
    if not origin or len(origin) > ORIGIN_MAX:
        raise _bad("origin", "派出地为空或过长", "The team's origin is blank or too long", "origin")
    arrives = parse_day(raw.get("arrives_on"), "arrives_on")
    if arrives is None:
        raise _bad("arrives_on", "请填写抵达日期", "Give the arrival day", "arrives_on")
    departs = parse_day(raw.get("departs_on"), "departs_on")
    if departs is not None and departs < arrives:
        raise _bad("dates", "撤离日期早于抵达日期", "The departure is before the arrival", "departs_on")
    heads = _headcounts(raw.get("headcount") or {})
    with ctx.uow(write=True) as uow:
        facility = facility_in_scope(uow, actor, str(raw.get("facility_code") or ""))
        team_id = uow.conn.execute(
            insert(medical_teams).values(
                name=name,
                origin=origin,
                facility_code=facility.code,
                arrives_on=arrives,
                departs_on=departs,
                created_by=actor.username,
                created_at=now,
            )
        ).inserted_primary_key[0]
        uow.conn.execute(
            insert(medical_team_headcounts), [{"team_id": team_id, "role": r, "headcount": n} for r, n in heads.items()]
        )
        uow.audit.record(
            now, actor.username, "add_team", "team", str(team_id), facility=facility.code, people=sum(heads.values())
        )
        uow.commit()
    return {"id": team_id, "name": name, "facility_code": facility.code, "headcount": heads}


def _headcounts(raw: Any) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise _bad("headcount", "人数格式不对", "The headcount must be given by role", "headcount")
    heads: dict[str, int] = {}
    for key, value in raw.items():
        role = StaffRole.parse(str(key))
        try:
            n = int(value or 0)
        except (TypeError, ValueError):
            n = -1
        if role is None or not 0 <= n <= 100_000:
            raise _bad("headcount", f"人数无法识别：{key}={value}", f"Unreadable headcount: {key}={value}", "headcount")
        if n:
            heads[role.value] = heads.get(role.value, 0) + n
    if not heads:
        raise _bad("headcount", "请至少填写一个岗位的人数", "Give the headcount of at least one role", "headcount")
    return heads


def set_departure(ctx: Context, actor: Actor, team_id: int, departs_on: date) -> dict[str, Any]:
    """Record the day a team leaves (its last day at the facility)."""
    require_hq(actor)
    _last_day(ctx, actor, medical_teams, team_id, departs_on, what="team", action="team_departs")
    return {"id": team_id, "departs_on": departs_on.isoformat()}


def teams(
    ctx: Context, actor: Actor, *, page: int = 1, size: int = DEFAULT_SIZE, facility: str | None = None
) -> dict[str, Any]:
    """The teams at the facilities of the jurisdiction (or of one facility), newest arrival first, a page of them
    with the real total, each with its headcount and whether it is here today, arriving or gone."""
    actor.require(Permission.VIEW_COUNTS)
    today = day_of(ctx.clock.now(), ctx.settings.tz)
    with ctx.uow() as uow:
        codes = [f.code for f in uow.facilities.in_subtree(actor.unit_code)]
        if facility is not None:
            codes = [facility_in_scope(uow, actor, facility).code]
        elif actor.facility_code is not None:
            codes = [actor.facility_code]
        query = select(medical_teams).where(_t.facility_code.in_(codes)).order_by(_t.arrives_on.desc(), _t.id)
        rows, total = fetch_page(uow.conn, query, page, size)
        heads: dict[int, dict[str, int]] = {}
        for team_id, role, n in uow.conn.execute(
            select(_h.team_id, _h.role, _h.headcount).where(_h.team_id.in_([r.id for r in rows]))
        ):
            heads.setdefault(team_id, {})[role] = n
        names = uow.facilities.names({r.facility_code for r in rows})
        totals = uow.conn.execute(
            select(func.count(), func.coalesce(func.sum(_h.headcount), 0))
            .select_from(medical_teams.join(medical_team_headcounts, _h.team_id == _t.id))
            .where(_t.facility_code.in_(codes), _active(_t.arrives_on, _t.departs_on, today))
        ).one()
    return {
        "day": today.isoformat(),
        "total": total,
        **page_fields(page, size, total),
        "people_here_today": int(totals[1]),
        "teams": [
            {
                "id": r.id,
                "name": r.name,
                "origin": r.origin,
                "facility_code": r.facility_code,
                "facility_name": names.get(r.facility_code, r.facility_code),
                "arrives_on": r.arrives_on.isoformat(),
                "departs_on": r.departs_on.isoformat() if r.departs_on else None,
                "state": _state(r.arrives_on, r.departs_on, today),
                "headcount": heads.get(r.id, {}),
                "people": sum(heads.get(r.id, {}).values()),
            }
            for r in rows
        ],
    }


def _state(arrives: date, departs: date | None, today: date) -> str:
    if today < arrives:
        return "arriving"
    if departs is not None and today > departs:
        return "left"
    return "here"
