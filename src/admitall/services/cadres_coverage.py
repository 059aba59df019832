"""Coverage of communities by cadres sent down (issue 18 §3): cadres on duty per 1,000 households, each community's
figure and the gaps (under the policy's `[cadres] min_per_1000_households`, or with no household figure) worst
first, with their street and district; a summary by the root's child units; and the command screen's tile.

Households are the survey's list of the community's households when it has one, else the unit's population over
the policy's persons per household (domain.cadres says why); each row says which (`households_source`). Every
figure of a page comes from one statement over the communities of the subtree, not a query per community.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Float, case, cast, func, literal, or_, select

from admitall.domain.access import Permission
from admitall.domain.cadres import CadreRules
from admitall.domain.units import child_prefix_length, parent_of, subtree_bounds
from admitall.services.cadres import local_today, on_duty
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.store.paged import DEFAULT_SIZE, bounded, fetch_page, page_fields
from admitall.store.tables import units
from admitall.store.tables_cadres import cadre_assignments
from admitall.store.tables_survey import survey_households

_u, _c, _h = units.c, cadre_assignments.c, survey_households.c


def _communities(root: str | None, day: date, rules: CadreRules) -> Any:
    """One row per community of the subtree: on duty, surveyed households, households used and their source,
    per 1,000 (NULL without households)."""
    duty = (
        select(_c.community_code.label("code"), func.count().label("n"))
        .where(on_duty(day))
        .group_by(_c.community_code)
        .subquery()
    )
    surveyed = select(_h.community_code.label("code"), func.count().label("n")).group_by(_h.community_code).subquery()
    n_duty = func.coalesce(duty.c.n, 0)
    n_surveyed = func.coalesce(surveyed.c.n, 0)
    estimate = func.round(cast(_u.population, Float) / rules.persons_per_household)
    households = case(
        (n_surveyed > 0, cast(n_surveyed, Float)),
        (_u.population > 0, case((estimate < 1, literal(1.0)), else_=estimate)),
        else_=None,
    )
    source = case((n_surveyed > 0, literal("survey")), (_u.population > 0, literal("estimate")), else_=literal("none"))
    per = n_duty * 1000.0 / households
    query = (
        select(
            _u.code,
            _u.name,
            n_duty.label("on_duty"),
            households.label("households"),
            source.label("households_source"),
            per.label("per_1000"),
        )
        .select_from(units.outerjoin(duty, duty.c.code == _u.code).outerjoin(surveyed, surveyed.c.code == _u.code))
        .where(_u.level == "community")
    )
    if root:
        query = query.where(_u.code.between(*subtree_bounds(root)))
    return query


def _row(r: Any, names: dict[str, str], rules: CadreRules) -> dict[str, Any]:
    street = parent_of(r.code)
    district = parent_of(street) if street else None
    per = None if r.per_1000 is None else round(float(r.per_1000), 1)
    return {
        "code": r.code,
        "name": r.name,
        "street_code": street,
        "street_name": names.get(street or ""),
        "district_code": district,
        "district_name": names.get(district or ""),
        "on_duty": int(r.on_duty),
        "households": None if r.households is None else int(r.households),
        "households_source": r.households_source,
        "per_1000": per,
        "gap": per is None or per < rules.min_per_1000_households,
    }


def coverage(
    ctx: Context,
    actor: Actor,
    unit: str | None = None,
    *,
    gaps_only: bool = True,
    page: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """A page of the subtree's communities worst first (only the gaps unless `gaps_only` is False), the real total,
    and by child unit of the root: communities, gaps, cadres on duty and households."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    rules = ctx.policy.cadres
    day = local_today(ctx)
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        inner = _communities(root, day, rules).subquery()
        listed = select(inner)
        gap = or_(inner.c.per_1000.is_(None), inner.c.per_1000 < rules.min_per_1000_households)
        if gaps_only:
            listed = listed.where(gap)
        ordered = listed.order_by(case((inner.c.per_1000.is_(None), 0), else_=1), inner.c.per_1000, inner.c.code)
        rows, total = fetch_page(uow.conn, ordered, page, size)
        width = child_prefix_length(root)
        child = func.substr(inner.c.code, 1, width).label("child")
        by_child = uow.conn.execute(
            select(
                child,
                func.count().label("communities"),
                func.sum(case((gap, 1), else_=0)).label("gaps"),
                func.sum(inner.c.on_duty).label("on_duty"),
                func.sum(inner.c.households).label("households"),
            )
            .group_by(child)
            .order_by(child)
        ).all()
        codes = {c.ljust(12, "0") for c, *_ in by_child}
        for r in rows:
            street = parent_of(r.code)
            codes |= {street, parent_of(street)} if street else set()
        names = uow.units.names({c for c in codes if c} | ({root} if root else set()))
    children = []
    for c, n, g, d, h in by_child:
        code = c.ljust(12, "0")
        households = int(h or 0)
        per = round(int(d or 0) * 1000 / households, 1) if households else None
        children.append({"code": code, "name": names.get(code), "communities": int(n), "gaps": int(g or 0),
                         "on_duty": int(d or 0), "households": households, "per_1000": per})  # fmt: skip
    children.sort(key=lambda x: (-x["gaps"], x["per_1000"] if x["per_1000"] is not None else -1.0, x["code"]))
    return {
        "unit": root,
        "unit_name": names.get(root) if root else None,
        "day": day.isoformat(),
        "threshold": rules.min_per_1000_households,
        "persons_per_household": rules.persons_per_household,
        "gaps_only": gaps_only,
        "communities": [_row(r, names, rules) for r in rows],
        "by_unit": children,
        "totals": {
            "communities": sum(x["communities"] for x in children),
            "gaps": sum(x["gaps"] for x in children),
            "on_duty": sum(x["on_duty"] for x in children),
        },
        **page_fields(page, size, total),
    }


def command_tile(conn: Any, root: str | None, day: date, rules: CadreRules) -> dict[str, Any]:
    """The command screen's tile (off the wall): cadres on duty today, communities, gaps. One statement."""
    inner = _communities(root, day, rules).subquery()
    gap = or_(inner.c.per_1000.is_(None), inner.c.per_1000 < rules.min_per_1000_households)
    n, gaps, duty = conn.execute(
        select(func.count(), func.sum(case((gap, 1), else_=0)), func.sum(inner.c.on_duty))
    ).one()
    return {
        "communities": int(n or 0),
        "gaps": int(gaps or 0),
        "on_duty": int(duty or 0),
        "threshold": rules.min_per_1000_households,
        "url": f"/cadres/coverage?unit={root}" if root else "/cadres/coverage",
    }
