"""The command screen (指挥大屏): what a unit's commander watches all day, for the unit's whole subtree.

One call gathers what each area's own service counts — the registry's four categories, the backlog (stock,
inflow, change), beds, the reporting chain, alerts, problems, directives, the ranking — so that the screen, its
JSON twin and the API show the same figures. No personal data: people appear by id, priority class and unit, and
each id leads to the person's page, which masks by role. Every figure carries the link to what is behind it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.facilities import BedType
from admitall.domain.people import FOUR_CATEGORIES, Placement, Status
from admitall.domain.units import Unit, child_prefix_length
from admitall.services import backlog as backlog_service
from admitall.services.backlog import open_on_the_way
from admitall.services.command_chain import chain_figures
from admitall.services.command_lists import open_alerts, open_directives, open_problems
from admitall.services.command_map import map_regions
from admitall.services.context import Actor, Context
from admitall.services.directives import level_below
from admitall.services.facilities import occupancy
from admitall.services.help_request_lists import screen_tile
from admitall.services.linkage import unresolved as unresolved_duplicates
from admitall.services.staff_safety_rates import cadres_safety_tiles
from admitall.services.staffing_views import staffed_tile
from admitall.services.supply_stock import screen_tile as supplies_tile
from admitall.services.survey_progress import screen_tile as survey_tile
from admitall.services.tracing import screen_tile as tracing_tile
from admitall.services.trends import entered, hourly
from admitall.services.units import scope_root, unit_below, unit_view
from admitall.store.uow import UnitOfWork

REFRESH_SECONDS = 30  # how often an open screen asks for its figures again
TREND_HOURS = 48
CHAIN_HOURS = 24
LIST_SIZE = 8  # alerts, problems, directives and units shown before "more"
RANKED = 3  # the top and the bottom of the ranking shown


def command_screen(ctx: Context, actor: Actor, code: str | None = None) -> dict[str, Any]:
    """The screen for `code` (the actor's own jurisdiction when None); refused outside the jurisdiction."""
    actor.require(Permission.VIEW_COUNTS)
    root = actor.scoped(code) if code else scope_root(ctx, actor).code
    now = ctx.clock.now()
    with ctx.uow() as uow:
        unit, below, path = unit_below(uow, actor, root)
        length = child_prefix_length(root)
        deep = child_prefix_length(below[0].code) if below else length
        counted = uow.census.counts(root, deep)  # the census grouped once: categories, backlog, map
    back = backlog_service.backlog(ctx, actor, root, census=counted)
    with ctx.uow() as uow:
        census, waiting = _census(counted, length)
        # waiting now: the backlog's open waits (those needing a bed) and the few on their way
        level = sum(back["stock"]["by_priority_class"].values()) + open_on_the_way(uow.conn, root)
        trend = hourly(uow.conn, root, now, TREND_HOURS, level)
        came_in = entered(uow.conn, root, now)
        chain, chain_by_child = chain_figures(ctx, uow, root, now, CHAIN_HOURS, length, LIST_SIZE)
        alerts = open_alerts(uow, root, LIST_SIZE, actor)
        help_requests = screen_tile(uow, root, now, LIST_SIZE)
        survey = survey_tile(ctx, uow, root)  # the door-to-door survey's campaigns running over it
        duplicates = {"unresolved": unresolved_duplicates(uow, root)}  # record linkage's pairs still to review
        tracing = tracing_tile(uow, root, now)
        staffed = staffed_tile(ctx, uow, root)  # beds in service / staffed / usable (issue 18 §2)
        support = cadres_safety_tiles(ctx, uow, root)  # cadres sent down, staff safety (issue 18 §3–4)
        supplies = supplies_tile(uow, root, now, LIST_SIZE)  # the worst shortages of supplies (issue 18 §1)
        problems = open_problems(uow, root, now, LIST_SIZE)
        directives = open_directives(uow, root, now, LIST_SIZE)
        regions = map_regions(uow, root, now, waiting)
        # yesterday's ranking: today's scorecards are still provisional
        ranking = _ranking(uow, root, now.astimezone(ctx.settings.tz).date() - timedelta(days=1))
        names = uow.units.names(
            set(path)
            | {a["unit_code"] for a in alerts["items"]}
            | {a["target_unit"] for a in alerts["items"] if a["target_unit"]}
            | {p["unit_code"] for p in problems["items"]}
            | {x["unit_code"] for x in chain["late_or_missing"]}
            | {w["unit_code"] for w in back["longest_waits"]}
        )
    for x in chain["late_or_missing"] + alerts["items"] + problems["items"]:
        x["unit_name"] = names.get(x["unit_code"], x["unit_code"])
    for a in alerts["items"]:
        a["target_name"] = names.get(a["target_unit"] or "")
    return {
        "unit": unit_view(unit),
        "path": [{"code": c, "name": names.get(c, c)} for c in path],
        "as_of": now.isoformat(),
        "refresh_seconds": REFRESH_SECONDS,
        "categories": _categories(census, came_in),
        "backlog": {
            **back,
            "longest_waits": [{**w, "unit_name": names.get(w["unit_code"])} for w in back["longest_waits"]],
        },
        "beds": _beds(occupancy(ctx, actor, root)),
        "chain": chain,
        "alerts": alerts,
        "help_requests": help_requests,
        "survey": survey,
        "duplicates": duplicates,
        "tracing": tracing,
        "staffed_beds": staffed,
        **support,
        "supplies": supplies,
        "problems": problems,
        "directives": directives,
        "ranking": ranking,
        "children": _children(below, census, back, chain_by_child, length),
        "map": regions,
        "trend": trend,
    }


# (child prefix, status, severity, placement, count)
Census = list[tuple[str, str, str | None, str, int]]


def _census(deep: Census, length: int) -> tuple[Census, Counter[str]]:
    """The census by the units one level below (from one two levels below), and who waits for a bed by the
    prefixes of both levels (for the map)."""
    by_child: Counter[tuple[str, str, str | None, str]] = Counter()
    waiting: Counter[str] = Counter()
    for prefix, status, severity, placement, n in deep:
        by_child[(prefix[:length], status, severity, placement)] += n
        if placement == Placement.WAITING.value:
            waiting[prefix[:length]] += n
            if len(prefix) > length:
                waiting[prefix] += n
    return [(p, s, v, pl, n) for (p, s, v, pl), n in by_child.items()], waiting


def _categories(census: Census, came_in: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The four categories now: how many, how many waiting, confirmed by severity, how many came in over the
    last 24 hours against the 24 before (identified in the category, or moved into it)."""
    by_status: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    severity: Counter[str] = Counter()
    for _prefix, status, sev, placement, n in census:
        by_status[status] += n
        if placement == Placement.WAITING.value:
            waiting[status] += n
        if status == Status.CONFIRMED.value:
            severity[sev or "unassessed"] += n
    return {
        "now": {s.value: by_status[s.value] for s in FOUR_CATEGORIES},
        "waiting": {s.value: waiting[s.value] for s in FOUR_CATEGORIES},
        "total": sum(by_status[s.value] for s in FOUR_CATEGORIES),
        "confirmed_by_severity": dict(severity),
        "outcomes": {s.value: by_status[s.value] for s in Status if s not in FOUR_CATEGORIES},
        "entered": {s.value: came_in.get(s.value, {"last_24h": 0, "previous_24h": 0}) for s in FOUR_CATEGORIES},
    }


def _beds(found: dict[str, Any]) -> dict[str, Any]:
    """Beds by bed type (every facility type together), in the bed types' own order."""
    keys = ("capacity", "occupied", "reserved", "out_of_service", "free", "opening_soon")
    by_type: dict[str, dict[str, Any]] = {}
    for row in found["rows"]:
        into = by_type.setdefault(row["bed_type"], {"bed_type": row["bed_type"], **dict.fromkeys(keys, 0)})
        for k in keys:
            into[k] += row[k]
    rows = [by_type[b.value] for b in BedType if b.value in by_type]
    for r in rows:
        r["occupancy"] = round((r["occupied"] + r["reserved"]) / r["capacity"], 4) if r["capacity"] else None
    total = {k: sum(r[k] for r in rows) for k in keys}
    return {"rows": rows, "total": total}


def _ranking(uow: UnitOfWork, root: str, day: date) -> dict[str, Any]:
    """The units one level below, as the day's scorecards ranked them: the best and the worst few."""
    below = level_below(root)
    if below is None:
        return {"level": None, "day": None, "top": [], "bottom": []}
    ranked = [
        {
            "subject": r["subject"],
            "name": r["card"].get("name"),
            "score": r["score"],
            "rank": r["rank"],
            "ranked": r["ranked"],
        }
        for r in uow.scorecards.of_level(day, "unit", below.value, within=root)
        if r["score"] is not None
    ]
    return {
        "level": below.value,
        "day": day.isoformat(),
        "top": ranked[:RANKED],
        "bottom": ranked[-RANKED:][::-1] if len(ranked) > RANKED else [],
    }


def _children(
    below: list[Unit], census: Census, back: dict[str, Any], chain: dict[str, Counter[str]], length: int
) -> list[dict[str, Any]]:
    """Each unit directly below: its four categories, waiting, past SLA, and its subtree's reports this hour."""
    waits = {c["prefix"]: c for c in back["children"]}
    counts: dict[str, Counter[str]] = {}
    for prefix, status_value, _severity, _placement, n in census:
        counts.setdefault(prefix, Counter())[status_value] += n
    rows = []
    for child in below:
        prefix = child.code[:length]
        mine = counts.get(prefix, Counter())
        c = chain.get(prefix, Counter())
        rows.append(
            {
                "code": child.code,
                "name": child.name,
                "population": child.population,
                "four_categories": sum(mine[s.value] for s in FOUR_CATEGORIES),
                "confirmed": mine[Status.CONFIRMED.value],
                "waiting": waits.get(prefix, {}).get("waiting", 0),
                "sla_breaches": waits.get(prefix, {}).get("sla_breaches", 0),
                "missing_reports": c["missing"],
                "late_reports": c["late"],
                "reported": round((c["on_time"] + c["late"]) / sum(c.values()), 4) if c else None,
            }
        )
    return rows
