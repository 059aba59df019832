"""The hourly report: its draft (the registry's own figures, prefilled), submission, corrections, and the
completeness and timeliness of the chain, per unit and rolled up.

A report is received when the server says so; nothing a client claims about time counts. A submitted report is
never changed: a correction is a new version pointing at the one it corrects, with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import Forbidden, InvalidInput
from admitall.domain.reporting import (
    DEFAULT_SCHEDULES,
    FIELD_FIGURES,
    Period,
    Schedule,
    period_containing,
)
from admitall.domain.units import UnitLevel, child_prefix_length, level_of
from admitall.services.context import Actor, Context, not_found, unit_in_scope
from admitall.services.reporting_batch import figures_many, submit, submit_many
from admitall.services.reporting_figures import figures_for
from admitall.services.reporting_rules import (
    MAX_FIGURE,
    ReportInput,
    brief,
    forget_schedules,
    period_of,
    period_view,
    report_hash,
    report_view,
    schedules_of,
)
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields
from admitall.store.uow import UnitOfWork

__all__ = ["MAX_FIGURE", "ReportInput", "figures_many", "report_hash", "submit", "submit_many"]


def registry_figures(ctx: Context, uow: UnitOfWork, root: str, period: Period, now: datetime) -> dict[str, Any]:
    """What the registry knows for the unit's subtree: found and admitted in the period, waiting now (one
    statement; services.reporting_figures counts many units at once)."""
    return figures_for(uow.conn, ctx.policy, [(root, period)], now)[(root, period.start)]


def _reporting_unit(uow: UnitOfWork, actor: Actor, unit_code: str) -> tuple[str, Schedule]:
    code = unit_in_scope(uow, actor, unit_code)
    schedule = schedules_of(uow).get(level_of(code))
    if schedule is None:
        raise InvalidInput(
            "report.level_does_not_report",
            f"{level_of(code).zh}级单位不报送每小时报告",
            f"A {level_of(code).en} does not send hourly reports",
            field="unit_code",
        )
    return code, schedule


def draft(ctx: Context, actor: Actor, unit_code: str, period_start: datetime | str | None = None) -> dict[str, Any]:
    """The report form for a unit and period (the current one by default): the registry's own figures as of
    now, prefilled, and what has been reported already."""
    actor.require(Permission.SUBMIT_REPORTS)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        code, schedule = _reporting_unit(uow, actor, unit_code)
        period = period_of(ctx, schedule, period_start)
        figures = registry_figures(ctx, uow, code, period, now)
        latest = uow.reports.latest_for(code, period.start)
        name = uow.units.names([code]).get(code, code)
    return {
        "unit": code,
        "unit_name": name,
        "period": period_view(period),
        "period_minutes": schedule.period_minutes,  # the unit's own schedule: the form is titled by it
        "figures": figures,
        "field_figures": list(FIELD_FIGURES),
        "latest": brief(latest) if latest else None,
        "open_for_reports": period.start <= now,
    }


def history(ctx: Context, actor: Actor, unit_code: str, period_start: str) -> dict[str, Any]:
    """Every version of a unit's report for a period, oldest first: corrections never replace the original."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        code = unit_in_scope(uow, actor, unit_code)
        schedule = schedules_of(uow).get(level_of(code))
        if schedule is None:
            raise not_found("unit", code)
        period = period_of(ctx, schedule, period_start)
        return {
            "unit": code,
            "period": period_view(period),
            "versions": [report_view(uow, r) for r in uow.reports.history(code, period.start)],
        }


def expected_periods(
    schedule: Schedule, since: datetime, until: datetime, tz: Any, *, open_too: bool = False
) -> list[Period]:
    """The periods whose deadline falls in (since, until]; with `open_too`, also those begun by `until` whose
    deadline is still to come."""
    first = period_containing(since - schedule.grace, schedule, tz)
    periods, start = [], first.start
    while True:
        period = Period(start, start + schedule.period, start + schedule.period + schedule.grace)
        if period.deadline > until:
            if open_too and period.start <= until:
                periods.append(period)
                start += schedule.period
                continue
            return periods
        if period.deadline > since:
            periods.append(period)
        start += schedule.period


def chain_status(
    ctx: Context, uow: UnitOfWork, root: str | None, since: datetime, until: datetime, *, open_too: bool = False
) -> dict[tuple[str, datetime], str]:
    """(unit, period start) → 'on_time' | 'late' | 'missing' for every expected report of the subtree whose
    deadline fell in (since, until]; a unit is expected from the first period after it was set up. With
    `open_too`, periods still open are included, 'pending' until their report arrives."""
    tz = ctx.settings.tz
    found: dict[tuple[str, datetime], str] = {}
    sched = schedules_of(uow)
    units = uow.units.reporting(root, [level.value for level in sched])
    periods = {level: expected_periods(s, since, until, tz, open_too=open_too) for level, s in sched.items()}
    earliest = min((p.start for ps in periods.values() for p in ps), default=until)
    received = uow.reports.first_receipts(root, earliest, until + timedelta(seconds=1))
    for code, level, created in units:
        for period in periods[UnitLevel(level)]:
            if created > period.start:
                continue
            state = received.get((code, period.start))
            if state is None:
                found[(code, period.start)] = "pending" if period.deadline > until else "missing"
            else:
                found[(code, period.start)] = "on_time" if state else "late"
    return found


def completeness(ctx: Context, actor: Actor, unit: str | None = None, *, hours: int = 24) -> dict[str, Any]:
    """Completeness (received / expected) and timeliness (on time / expected) over the last `hours`, for the
    unit's whole subtree and for each unit directly below it."""
    actor.require(Permission.VIEW_COUNTS)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        status = chain_status(ctx, uow, root, now - timedelta(hours=hours), now)
    return _rollup(status, root)


def _figures_of(states: list[str]) -> dict[str, Any]:
    """Received / expected and on time / expected; a period still open and unreported is not yet expected."""
    states = [s for s in states if s != "pending"]
    expected = len(states)
    received = sum(1 for s in states if s != "missing")
    timely = sum(1 for s in states if s == "on_time")
    return {
        "expected": expected,
        "received": received,
        "on_time": timely,
        "completeness": round(received / expected, 4) if expected else None,
        "timeliness": round(timely / expected, 4) if expected else None,
    }


def _rollup(status: Mapping[tuple[str, datetime], str], root: str | None) -> dict[str, Any]:
    length = child_prefix_length(root)
    by_child: dict[str, list[str]] = {}
    for (code, _), state in status.items():
        by_child.setdefault(code[:length], []).append(state)
    return {
        "unit": root,
        **_figures_of(list(status.values())),
        "children": [{"prefix": k, **_figures_of(v)} for k, v in sorted(by_child.items())],
    }


def board(ctx: Context, actor: Actor, unit: str | None = None, *, hours: int = 6) -> dict[str, Any]:
    """The reporting board of a unit: each unit directly below it, hour by hour — its own report received on
    time, late, or missing — and the completeness of its whole subtree; the same for the unit itself."""
    actor.require(Permission.VIEW_COUNTS)
    hours = max(1, min(hours, 48))
    now = ctx.clock.now()
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else (actor.unit_code or _tree_root(uow))
        status = chain_status(ctx, uow, root, now - timedelta(hours=hours), now, open_too=True)
        children = uow.units.children(root)
        name = uow.units.names([root]).get(root, root)
        open_alerts = uow.reports.open_alert_count(root)
    periods = sorted({start for _, start in status})
    length = child_prefix_length(root)

    def row(code: str, unit_name: str) -> dict[str, Any]:
        own = [status.get((code, p)) for p in periods]
        prefix = code[:length]
        subtree = [s for (c, _), s in status.items() if c.startswith(prefix)]
        return {"code": code, "name": unit_name, "cells": own, "subtree": _figures_of(subtree)}

    own_row = row(root, name) if any((root, p) in status for p in periods) else None
    return {
        "unit": root,
        "name": name,
        "as_of": now.isoformat(),
        "hours": hours,
        "periods": [p.isoformat() for p in periods],
        "own": own_row,
        "rows": [row(c.code, c.name) for c in children],
        "total": _figures_of(list(status.values())),
        "open_alerts": open_alerts,
    }


def _tree_root(uow: UnitOfWork) -> str:
    roots = uow.units.roots()
    if not roots:
        raise InvalidInput("unit.none", "还没有任何单位", "There are no units yet")
    return roots[0].code


def discrepancies(
    ctx: Context,
    actor: Actor,
    unit: str | None = None,
    *,
    hours: int = 24,
    figure: str | None = None,
    page: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """Where reported figures and the registry disagreed, with both numbers, for units in the subtree: a page of
    them, newest first, and how many in all."""
    actor.require(Permission.VIEW_COUNTS)
    hours = max(1, min(hours, 24 * 14))
    since = ctx.clock.now() - timedelta(hours=hours)
    page, size = bounded(page, size)
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        rows, total = uow.reports.discrepancies(root, since, figure=figure or None, page=page, size=size)
        names = uow.units.names({r["unit_code"] for r in rows})
    return {
        "discrepancies": [
            {
                **r,
                "unit_name": names.get(r["unit_code"]),
                "period_start": r["period_start"].isoformat(),
                "difference": r["reported"] - r["registry"],
            }
            for r in rows
        ],
        "hours": hours,
        **page_fields(page, size, total),
    }


def get_schedules(ctx: Context, actor: Actor) -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        found = schedules_of(uow)
    return {
        "schedules": [
            {"level": s.level.value, "period_minutes": s.period_minutes, "grace_minutes": s.grace_minutes}
            for s in found.values()
        ]
    }


def _check_schedule_owner(uow: UnitOfWork, actor: Actor, level: UnitLevel) -> None:
    """A level's schedule is one for the whole city (it is stored per level), so it belongs to the unit above
    every unit of that level: only a user whose home unit is at a higher level and whose jurisdiction covers every
    unit of the level may change it — the city HQ for districts, streets and communities; a district, whose
    subtree holds only its own streets, changes none. The console (no home unit) may."""
    if actor.unit_code is None:
        return
    above = level_of(actor.unit_code).depth < level.depth
    if not above or any(not actor.covers(code) for code, _, _ in uow.units.reporting(None, [level.value])):
        raise Forbidden(
            "schedule.not_owner",
            f"{level.zh}级的报送周期全市统一，只能由管辖全部{level.zh}级单位的上级（市指挥部）修改",
            f"The {level.en} reporting schedule is city-wide: only the unit above every {level.en} (the city HQ) "
            "can change it",
        )


def set_schedule(ctx: Context, actor: Actor, level: str, *, period_minutes: int, grace_minutes: int) -> dict[str, Any]:
    """Change how often a level reports (the period must divide a day) and its grace."""
    actor.require(Permission.MANAGE_SCHEDULES)
    unit_level = UnitLevel.parse(level)
    if unit_level not in DEFAULT_SCHEDULES and unit_level is not UnitLevel.CITY:
        raise InvalidInput(
            "schedule.bad_level",
            f"只有市、区、街道、社区报送：{level}",
            f"Only cities, districts, streets and communities report: {level}",
            field="level",
        )
    schedule = Schedule(unit_level, period_minutes, grace_minutes)
    with ctx.uow(write=True) as uow:
        # cities report to their province (issue 15): only where the tree has one above them
        if unit_level is UnitLevel.CITY and not uow.units.reporting(None, [UnitLevel.PROVINCE.value]):
            raise InvalidInput(
                "schedule.no_province",
                "单位树中没有省级单位：市不向任何上级报送",
                "The unit tree has no province: a city has nobody above it to report to",
                field="level",
            )
        _check_schedule_owner(uow, actor, unit_level)
        uow.reports.set_schedule(schedule, ctx.clock.now())
        forget_schedules(uow)
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "set_schedule",
            "schedule",
            level,
            unit=actor.unit_code,
            period_minutes=period_minutes,
            grace_minutes=grace_minutes,
        )
        uow.commit()
    return get_schedules(ctx, actor)
