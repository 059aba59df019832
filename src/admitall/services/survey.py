"""The door-to-door survey's households and campaigns (issue 17 §3).

Households are the addresses of a community a team visits: imported from a list (CSV/XLSX, every row accounted:
added, already listed, or rejected with its reason), added one by one, or added by the team in the field (a visit
to an address not listed yet, services.survey_visits). Recording visits needs `register_persons` within the
jurisdiction; a campaign is set by a district or the HQ above it (`issue_directives`, a unit at district level or
higher) over units of its own subtree. Progress is services.survey_progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, func, insert, select

from admitall.domain.access import Permission
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.domain.identity import nfkc
from admitall.domain.units import UnitLevel, ancestors_of, in_subtree, level_of, subtree_bounds
from admitall.services.context import Actor, Context, community_in_scope, unit_in_scope
from admitall.store.paged import DEFAULT_SIZE, fetch_page, page_fields
from admitall.store.tables import persons
from admitall.store.tables_survey import (
    survey_campaign_units,
    survey_campaigns,
    survey_households,
    survey_visit_people,
    survey_visits,
)
from admitall.store.uow import UnitOfWork

HOUSEHOLD_HEADERS: Mapping[str, str] = {
    "address": "address",
    "地址": "address",
    "住址": "address",
    "门牌": "address",
    "label": "label",
    "户主": "label",
    "备注": "label",
    "community": "community_code",
    "community_code": "community_code",
    "社区编码": "community_code",
}
ADDRESS_MAX, LABEL_MAX = 200, 100
# what a campaign may count as done: a household visited, or found empty this many times (0: visited only)
ABSENT_VISITS_MAX = 5


def _community(uow: UnitOfWork, actor: Actor, code: str) -> str:
    """A community within the jurisdiction (404 as for one that does not exist), or refused if not a community."""
    return community_in_scope(uow, actor, code, "survey.not_community")


def clean_address(raw: object) -> tuple[str, str | None]:
    """(the address as kept, or "" and the problem)."""
    text = " ".join(nfkc(str(raw or "")).split())
    if not text:
        return "", "address.blank"
    if len(text) > ADDRESS_MAX:
        return "", "address.long"
    return text, None


ADDRESS_PROBLEMS = {
    "address.blank": ("地址为空", "The address is blank"),
    "address.long": (f"地址超过 {ADDRESS_MAX} 个字", f"The address is longer than {ADDRESS_MAX} characters"),
}


def add_households(
    ctx: Context,
    actor: Actor,
    community: str,
    rows: Iterable[tuple[int, Mapping[str, str | None]]],
    *,
    source: str = "import",
) -> dict[str, Any]:
    """Add the listed households of a community in one transaction. Every row is accounted for: added, already
    listed (the same address in the community), or rejected with its row, field and reason."""
    actor.require(Permission.REGISTER_PERSONS)
    now = ctx.clock.now()
    added: list[dict[str, Any]] = []
    already, rejected, total = 0, [], 0
    with ctx.uow(write=True) as uow:
        code = _community(uow, actor, community)
        known = set(
            uow.conn.execute(
                select(survey_households.c.address).where(survey_households.c.community_code == code)
            ).scalars()
        )
        for row, raw in rows:
            if not any(v is not None and str(v).strip() for v in raw.values()):
                continue
            total += 1
            address, problem = clean_address(raw.get("address"))
            other = (raw.get("community_code") or "").strip()
            if problem is None and other and other != code:
                problem = "community.other"
            if problem is not None:
                zh, en = ADDRESS_PROBLEMS.get(problem, ("不属于本社区", "Not of this community"))
                field = "community_code" if problem == "community.other" else "address"
                rejected.append({"row": row, "field": field, "zh": zh, "en": en})
                continue
            if address in known:
                already += 1
                continue
            known.add(address)
            label = " ".join(nfkc(str(raw.get("label") or "")).split())[:LABEL_MAX]
            added.append(
                {
                    "community_code": code,
                    "address": address,
                    "label": label,
                    "added_by": actor.username,
                    "added_at": now,
                    "source": source,
                }
            )
        if added:
            uow.conn.execute(insert(survey_households), added)
        uow.audit.record(
            now,
            actor.username,
            "add_survey_households",
            "unit",
            None,
            unit=code,
            rows=total,
            added=len(added),
            already=already,
            rejected=len(rejected),
        )
        uow.commit()
    assert len(added) + already + len(rejected) == total
    return {"community": code, "rows": total, "added": len(added), "already": already, "rejected": rejected}


def households(
    ctx: Context, actor: Actor, community: str, *, page: int | None = None, size: int | None = None
) -> dict[str, Any]:
    """A community's households: each with its visits so far and the people surveys found there (their category now
    and the version the app sends back, for conflicts), and the campaign running today. All of them for the app to
    take offline; a page of them (with the real total) for the households page."""
    actor.require(Permission.REGISTER_PERSONS)
    with ctx.uow() as uow:
        code = _community(uow, actor, community)
        name = uow.units.names([code]).get(code, code)
        h, v = survey_households, survey_visits
        visits = (
            select(
                v.c.household_id,
                func.count().label("visits"),
                func.sum((v.c.outcome == "visited").cast(Integer)).label("visited"),
            )
            .where(v.c.community_code == code)
            .group_by(v.c.household_id)
            .subquery()
        )
        listed = (
            select(h.c.id, h.c.address, h.c.label, visits.c.visits, visits.c.visited)
            .select_from(h.outerjoin(visits, visits.c.household_id == h.c.id))
            .where(h.c.community_code == code)
            .order_by(h.c.address)
        )
        if page is None:
            rows: Sequence[Any] = uow.conn.execute(listed).all()
            total = len(rows)
        else:
            rows, total = fetch_page(uow.conn, listed, page, size or DEFAULT_SIZE)
        p = survey_visit_people
        found = (
            select(v.c.household_id, p.c.person_id, persons.c.name, persons.c.status, persons.c.version)
            .select_from(p.join(v, v.c.id == p.c.visit_id).join(persons, persons.c.id == p.c.person_id))
            .where(v.c.community_code == code, p.c.person_id.is_not(None))
            .group_by(v.c.household_id, p.c.person_id, persons.c.name, persons.c.status, persons.c.version)
            .order_by(p.c.person_id)
        )
        if page is not None:  # the people of the page's households only
            found = found.where(v.c.household_id.in_([r.id for r in rows]))
        known = uow.conn.execute(found).all()
        campaign = active_campaign(uow, code, ctx.clock.now().astimezone(ctx.settings.tz).date())
    people: dict[int, list[dict[str, Any]]] = {}
    for hid, pid, pname, status, version in known:
        people.setdefault(hid, []).append({"person_id": pid, "name": pname, "status": status, "version": version})
    return {
        "community": code,
        "community_name": name,
        "campaign": campaign,
        "total": total,
        **(page_fields(page, size or DEFAULT_SIZE, total) if page is not None else {}),
        "households": [
            {
                "id": r.id,
                "address": r.address,
                "label": r.label,
                "visits": int(r.visits or 0),
                "visited": bool(r.visited),
                "people": people.get(r.id, []),
            }
            for r in rows
        ],
    }


def active_campaign(uow: UnitOfWork, community: str, day: date) -> dict[str, Any] | None:
    """The campaign covering the community on that day (the latest to start, if several)."""
    c, cu = survey_campaigns, survey_campaign_units
    row = uow.conn.execute(
        select(c.c.id, c.c.name, c.c.starts_on, c.c.ends_on, c.c.absent_visits_done)
        .select_from(c.join(cu, cu.c.campaign_id == c.c.id))
        .where(cu.c.unit_code.in_([*ancestors_of(community), community]), c.c.starts_on <= day, c.c.ends_on >= day)
        .order_by(c.c.starts_on.desc(), c.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {
        "id": row.id,
        "name": row.name,
        "starts_on": row.starts_on.isoformat(),
        "ends_on": row.ends_on.isoformat(),
        "absent_visits_done": row.absent_visits_done,
    }


# --- campaigns ---------------------------------------------------------------------------------------------------


def may_set_campaigns(actor: Actor) -> bool:
    """A district, or a command above it, that may direct the units below."""
    if not actor.can(Permission.ISSUE_DIRECTIVES):
        return False
    return actor.unit_code is None or level_of(actor.unit_code).depth <= UnitLevel.DISTRICT.depth


def _refuse_setting() -> Forbidden:
    return Forbidden(
        "survey.campaign_level",
        "排查行动只能由区或更上级指挥部部署",
        "A survey campaign is set by a district or a command above it",
    )


def _day(value: object, name: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise InvalidInput(
            "survey.bad_date", f"日期无法识别：{value}", f"Not a date (YYYY-MM-DD): {value}", field=name
        ) from None


def create_campaign(
    ctx: Context,
    actor: Actor,
    *,
    name: str,
    starts_on: object,
    ends_on: object,
    units_codes: Iterable[str],
    absent_visits_done: int = 2,
) -> dict[str, Any]:
    """Set a campaign over units of the actor's subtree for some days (a district or HQ only)."""
    actor.require(Permission.ISSUE_DIRECTIVES)
    if not may_set_campaigns(actor):
        raise _refuse_setting()
    title = " ".join(nfkc(name or "").split())
    if not title or len(title) > 100:
        raise InvalidInput(
            "survey.name", "请填写行动名称（100 字以内）", "Name the campaign (100 characters at most)", field="name"
        )
    start, end = _day(starts_on, "starts_on"), _day(ends_on, "ends_on")
    if end < start:
        raise InvalidInput(
            "survey.dates", "结束日期早于开始日期", "The campaign ends before it starts", field="ends_on"
        )
    if not 0 <= absent_visits_done <= ABSENT_VISITS_MAX:
        raise InvalidInput(
            "survey.absent_visits",
            f"无人在家的次数须在 0 到 {ABSENT_VISITS_MAX} 之间",
            f"Visits with nobody home must be 0 to {ABSENT_VISITS_MAX}",
            field="absent_visits_done",
        )
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        codes = sorted({unit_in_scope(uow, actor, c) for c in units_codes if c and c.strip()})
        if not codes:
            raise InvalidInput("survey.units", "请选择参加排查的单位", "Choose the units to survey", field="units")
        campaign_id = uow.conn.execute(
            insert(survey_campaigns).returning(survey_campaigns.c.id),
            {
                "name": title,
                "starts_on": start,
                "ends_on": end,
                "absent_visits_done": absent_visits_done,
                "set_by": actor.username,
                "set_unit": actor.unit_code,
                "created_at": now,
            },
        ).scalar_one()
        uow.conn.execute(insert(survey_campaign_units), [{"campaign_id": campaign_id, "unit_code": c} for c in codes])
        uow.audit.record(
            now,
            actor.username,
            "set_survey_campaign",
            "survey_campaign",
            campaign_id,
            unit=actor.unit_code,
            units=codes,
        )
        uow.commit()
    return {
        "id": campaign_id,
        "name": title,
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "units": codes,
    }


def load_campaign(uow: UnitOfWork, actor: Actor, campaign_id: int) -> tuple[dict[str, Any], list[str]]:
    """The campaign and those of its units the actor sees (a unit of it within the jurisdiction, or the actor's
    own unit where it lies inside one of them); a campaign with none of them answers as one that does not exist."""
    c = survey_campaigns
    row = uow.conn.execute(select(c).where(c.c.id == campaign_id)).mappings().first()
    codes = (
        uow.conn.execute(
            select(survey_campaign_units.c.unit_code).where(survey_campaign_units.c.campaign_id == campaign_id)
        )
        .scalars()
        .all()
    )
    seen = [code for code in codes if actor.covers(code)]
    if actor.unit_code is not None and any(in_subtree(actor.unit_code, code) for code in codes):
        seen.append(actor.unit_code)
    if row is None or not seen:
        raise NotFound(
            "survey_campaign.not_found",
            f"找不到排查行动 {campaign_id}（或不在您的管辖范围内）",
            f"No survey campaign {campaign_id} (or not within your jurisdiction)",
        )
    return dict(row), sorted(set(seen))


def campaigns_list(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """The campaigns touching the actor's jurisdiction (over a unit of it, or over a unit above it), newest first."""
    actor.require(Permission.VIEW_COUNTS)
    c, cu = survey_campaigns, survey_campaign_units
    with ctx.uow() as uow:
        query = select(
            c.c.id, c.c.name, c.c.starts_on, c.c.ends_on, c.c.absent_visits_done, cu.c.unit_code
        ).select_from(c.join(cu, cu.c.campaign_id == c.c.id))
        if actor.unit_code is not None:
            low, high = subtree_bounds(actor.unit_code)
            above = [*ancestors_of(actor.unit_code), actor.unit_code]
            query = query.where(and_(cu.c.unit_code >= low, cu.c.unit_code <= high) | cu.c.unit_code.in_(above))
        rows = uow.conn.execute(query.order_by(c.c.starts_on.desc(), c.c.id.desc())).all()
        names = uow.units.names({r.unit_code for r in rows})
    found: dict[int, dict[str, Any]] = {}
    for r in rows:
        item = found.setdefault(
            r.id,
            {
                "id": r.id,
                "name": r.name,
                "starts_on": r.starts_on.isoformat(),
                "ends_on": r.ends_on.isoformat(),
                "absent_visits_done": r.absent_visits_done,
                "units": [],
            },
        )
        item["units"].append({"code": r.unit_code, "name": names.get(r.unit_code, r.unit_code)})
    return list(found.values())
