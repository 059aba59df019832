"""A survey campaign's progress by unit (issue 17 §3): households planned (listed in the campaign's communities),
visited, done (visited, or found empty as many times as the campaign counts as done), and the people found by
category — each figure one grouped statement over the units shown, limited to the viewer's jurisdiction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, and_, case, func, or_, select

from admitall.domain.access import Permission
from admitall.domain.errors import NotFound
from admitall.domain.units import CODE_LENGTH, ancestors_of, child_prefix_length, prefix_of, subtree_bounds
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.services.survey import load_campaign
from admitall.store.tables_survey import (
    FOUND_CATEGORIES,
    survey_campaign_units,
    survey_campaigns,
    survey_households,
    survey_visit_people,
    survey_visits,
)
from admitall.store.uow import UnitOfWork

FIGURES = ("planned", "visited", "absent_done", "done", "visits")


def _within(column: Any, roots: Sequence[str]) -> Any:
    return or_(*(and_(column >= low, column <= high) for low, high in map(subtree_bounds, roots)))


def _tally(uow: UnitOfWork, campaign: dict[str, Any], roots: Sequence[str], length: int) -> dict[str, dict[str, Any]]:
    """The figures by group of communities (their first `length` digits), over the subtrees of `roots`."""
    h, v, p = survey_households, survey_visits, survey_visit_people
    out: dict[str, dict[str, Any]] = {}

    def row(prefix: str) -> dict[str, Any]:
        return out.setdefault(prefix, {**dict.fromkeys(FIGURES, 0), "found": dict.fromkeys(FOUND_CATEGORIES, 0)})

    group = func.substr(h.c.community_code, 1, length)
    for prefix, n in uow.conn.execute(
        select(group, func.count()).where(_within(h.c.community_code, roots)).group_by(group)
    ):
        row(prefix)["planned"] = n
    house = (
        select(
            v.c.household_id,
            v.c.community_code,
            func.count().label("visits"),
            func.max(case((v.c.outcome == "visited", 1), else_=0)).label("visited"),
            func.sum(case((v.c.outcome == "absent", 1), else_=0)).label("absent"),
        )
        .where(v.c.campaign_id == campaign["id"], _within(v.c.community_code, roots))
        .group_by(v.c.household_id, v.c.community_code)
        .subquery()
    )
    needed = campaign["absent_visits_done"]
    absent_done = case((and_(house.c.visited == 0, house.c.absent >= needed, needed > 0), 1), else_=0)
    vgroup = func.substr(house.c.community_code, 1, length)
    for prefix, visits, visited, absent in uow.conn.execute(
        select(
            vgroup, func.sum(house.c.visits), func.sum(house.c.visited), func.sum(absent_done.cast(Integer))
        ).group_by(vgroup)
    ):
        r = row(prefix)
        r.update(visits=int(visits or 0), visited=int(visited or 0), absent_done=int(absent or 0))
    pgroup = func.substr(v.c.community_code, 1, length)
    for prefix, category, n in uow.conn.execute(
        select(pgroup, p.c.category, func.count())
        .select_from(p.join(v, v.c.id == p.c.visit_id))
        .where(v.c.campaign_id == campaign["id"], _within(v.c.community_code, roots))
        .group_by(pgroup, p.c.category)
    ):
        row(prefix)["found"][category] = n
    for r in out.values():
        r["done"] = r["visited"] + r["absent_done"]
    return out


def _sum(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {**dict.fromkeys(FIGURES, 0), "found": dict.fromkeys(FOUND_CATEGORIES, 0)}
    for r in rows:
        for k in FIGURES:
            total[k] += r[k]
        for k in FOUND_CATEGORIES:
            total["found"][k] += r["found"][k]
    return total


def _share(r: dict[str, Any]) -> dict[str, Any]:
    r["share_done"] = round(100 * r["done"] / r["planned"], 1) if r["planned"] else None
    return r


def _rows_for(
    uow: UnitOfWork, campaign: dict[str, Any], roots: Sequence[str], length: int | None
) -> list[dict[str, Any]]:
    """One row per root (length None), or per child of the single root."""
    rows: list[dict[str, Any]] = []
    if length is None:
        by_level: dict[int, list[str]] = {}
        for code in roots:
            by_level.setdefault(len(prefix_of(code)), []).append(code)
        for n, codes in by_level.items():
            tally = _tally(uow, campaign, codes, n)
            for code in codes:
                rows.append({"code": code, **tally.get(prefix_of(code), _sum([]))})
    else:
        # every unit right below, those with nothing listed or visited yet too (a zero is the news there)
        tally = _tally(uow, campaign, roots, length)
        below = {u.code[:length] for root in roots for u in uow.units.children(root)} | set(tally)
        rows = [{"code": prefix.ljust(CODE_LENGTH, "0"), **tally.get(prefix, _sum([]))} for prefix in sorted(below)]
    names = uow.units.names(r["code"] for r in rows)
    for r in rows:
        r["name"] = names.get(r["code"], r["code"])
        _share(r)
    return rows


def campaign_progress(ctx: Context, actor: Actor, campaign_id: int, unit: str | None = None) -> dict[str, Any]:
    """The campaign, its units the viewer sees, and their progress: by those units, or by the units right below
    `unit` (one of the viewer's jurisdiction, inside the campaign)."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        campaign, seen = load_campaign(uow, actor, campaign_id)
        if unit:
            code = unit_in_scope(uow, actor, unit)
            inside = [s for s in seen if code.startswith(prefix_of(s))]
            if not inside and not any(s.startswith(prefix_of(code)) for s in seen):
                raise unit_outside(code)
            roots = [code] if inside else [s for s in seen if s.startswith(prefix_of(code))]
            rows = _rows_for(uow, campaign, roots, child_prefix_length(code) if inside else None)
        else:
            code = None
            rows = _rows_for(uow, campaign, seen, None)
        names = uow.units.names([*seen, *([code] if code else [])])
    return {
        "campaign": {
            "id": campaign["id"],
            "name": campaign["name"],
            "starts_on": campaign["starts_on"].isoformat(),
            "ends_on": campaign["ends_on"].isoformat(),
            "absent_visits_done": campaign["absent_visits_done"],
            "set_by": campaign["set_by"],
            "units": [{"code": s, "name": names.get(s, s)} for s in seen],
        },
        "unit": code,
        "unit_name": names.get(code, code) if code else None,
        "rows": rows,
        "total": _share(_sum(rows)),
    }


def unit_outside(code: str) -> NotFound:
    return NotFound(
        "survey_campaign.unit_outside",
        f"单位 {code} 不在此次排查范围内",
        f"Unit {code} is not in this campaign",
    )


def screen_tile(ctx: Context, uow: UnitOfWork, root: str) -> list[dict[str, Any]]:
    """For the command screen of `root`: the campaigns running today over it (over a unit of its subtree, or over
    a unit above it), each with its progress there — households done / planned and the people found."""
    today = ctx.clock.now().astimezone(ctx.settings.tz).date()
    c, cu = survey_campaigns, survey_campaign_units
    low, high = subtree_bounds(root)
    rows = uow.conn.execute(
        select(c.c.id, c.c.name, c.c.starts_on, c.c.ends_on, c.c.absent_visits_done, cu.c.unit_code)
        .select_from(c.join(cu, cu.c.campaign_id == c.c.id))
        .where(
            c.c.starts_on <= today,
            c.c.ends_on >= today,
            and_(cu.c.unit_code >= low, cu.c.unit_code <= high) | cu.c.unit_code.in_([*ancestors_of(root), root]),
        )
        .order_by(c.c.starts_on.desc(), c.c.id.desc())
    ).all()
    campaigns: dict[int, tuple[dict[str, Any], list[str]]] = {}
    for r in rows:
        campaign = {"id": r.id, "absent_visits_done": r.absent_visits_done, "name": r.name, "ends_on": r.ends_on}
        campaigns.setdefault(r.id, (campaign, []))[1].append(r.unit_code)
    tiles = []
    for campaign, codes in campaigns.values():
        above = any(root.startswith(prefix_of(code)) for code in codes)
        total = _share(_sum(_rows_for(uow, campaign, [root] if above else codes, None)))
        tiles.append(
            {"id": campaign["id"], "name": campaign["name"], "ends_on": campaign["ends_on"].isoformat(), **total}
        )
    return tiles


def command_tile(ctx: Context, actor: Actor, unit: str) -> list[dict[str, Any]]:
    """The campaigns running today over `unit` of the viewer's jurisdiction (the command screen's tile)."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        return screen_tile(ctx, uow, unit_in_scope(uow, actor, unit))
