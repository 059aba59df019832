"""The reporting chain as the command screen shows it, counted for a whole subtree at once.

The same rules as `reporting.chain_status` — a unit is expected for each period that starts after it was set up;
a report counts by when its first version was received; a period not yet at its deadline and not yet reported
is pending, not missing — but counted by the database per period and per unit below, instead of unit by unit:
thousands of units over a day are too many to walk one by one on a screen that refreshes every half minute.
Only the latest period each level has had to report is looked at unit by unit, to name who is late or missing.
"""

from __future__ import annotations

import bisect
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import Integer, case, func, select

from admitall.domain.reporting import Period
from admitall.domain.units import PREFIX_LENGTH, UnitLevel, subtree_bounds
from admitall.services.context import Context
from admitall.services.reporting import expected_periods, schedules_of
from admitall.store.tables import reports
from admitall.store.uow import UnitOfWork


def level_of_code(code: Any) -> Any:
    """The unit level of a code column, by the database: the deepest segment that is not all zeros."""
    levels = list(UnitLevel)
    whens = []
    for above, level in reversed(list(pairwise(levels))):
        start, end = PREFIX_LENGTH[above], PREFIX_LENGTH[level]
        whens.append((func.substr(code, start + 1, end - start) != "0" * (end - start), level.value))
    return case(*whens, else_=levels[0].value)


def _received(uow: UnitOfWork, root: str, since: datetime, until: datetime, length: int) -> dict[Any, list[int]]:
    """(period start, level, child prefix) → [reports received, of which on time], first versions only."""
    r = reports.c
    child = func.substr(r.unit_code, 1, length)
    level = level_of_code(r.unit_code)
    rows = uow.conn.execute(
        select(r.period_start, level, child, func.count(), func.sum(case((r.on_time, 1), else_=0).cast(Integer)))
        .where(
            r.version == 1,
            r.period_start >= since,
            r.period_start <= until,
            r.unit_code.between(*subtree_bounds(root)),
        )
        .group_by(r.period_start, level, child)
    )
    return {(start, lv, prefix): [int(n), int(on_time or 0)] for start, lv, prefix, n, on_time in rows}


def chain_figures(
    ctx: Context, uow: UnitOfWork, root: str, now: datetime, hours: int, length: int, list_size: int
) -> tuple[dict[str, Any], dict[str, Counter[str]]]:
    """(the chain for the screen, per child prefix: expected, received, missing over the window)."""
    schedules = schedules_of(uow)
    since = now - timedelta(hours=hours)
    units = uow.units.reporting(root, [level.value for level in schedules])
    created: dict[tuple[str, str], list[datetime]] = {}
    for code, level, at in units:
        created.setdefault((level, code[:length]), []).append(at)
    for times in created.values():
        times.sort()
    periods = {level: expected_periods(s, since, now, ctx.settings.tz, open_too=True) for level, s in schedules.items()}
    earliest = min((p.start for ps in periods.values() for p in ps), default=now)
    received = _received(uow, root, earliest, now, length)
    by_hour: dict[datetime, Counter[str]] = {}
    children: dict[str, Counter[str]] = {}
    for level, level_periods in periods.items():
        for period in level_periods:
            due = period.deadline <= now
            hour = by_hour.setdefault(period.start, Counter())
            for (lv, prefix), times in created.items():
                if lv != level.value:
                    continue
                expected = bisect.bisect_right(times, period.start)
                got, on_time = received.get((period.start, lv, prefix), [0, 0])
                got = min(got, expected)
                child = children.setdefault(prefix, Counter())
                if due:
                    hour.update(expected=expected, received=got, on_time=on_time, missing=expected - got)
                    child.update(expected=expected, received=got, missing=expected - got)
                else:  # not yet due: what came in early counts, the rest is pending
                    hour.update(expected=got, received=got, on_time=on_time, pending=expected - got)
                    child.update(expected=got, received=got)
    latest = _latest_due(uow, root, periods, now, list_size)
    rows = [
        {
            "period_start": start.isoformat(),
            "expected": c["expected"],
            "received": c["received"],
            "on_time": c["on_time"],
            "pending": c["pending"],
            "completeness": round(c["received"] / c["expected"], 4) if c["expected"] else None,
        }
        for start, c in sorted(by_hour.items())
        if c["expected"] or c["pending"]  # nobody was set up to report yet
    ]
    pending = sum(c["pending"] for c in by_hour.values())
    return {**latest, "pending": pending, "by_hour": rows}, children


def _latest_due(
    uow: UnitOfWork, root: str, periods: dict[UnitLevel, list[Period]], now: datetime, list_size: int
) -> dict[str, Any]:
    """Each reporting unit's latest period due by now: on time, late or missing, and who is late or missing."""
    latest = {
        level: max((p for p in ps if p.deadline <= now), key=lambda p: p.start, default=None)
        for level, ps in periods.items()
    }
    wanted = {level: p for level, p in latest.items() if p is not None}
    state: Counter[str] = Counter()
    behind: list[dict[str, Any]] = []
    if wanted:
        starts = sorted({p.start for p in wanted.values()})
        receipts = uow.reports.first_receipts(root, starts[0], starts[-1] + timedelta(seconds=1))
        for code, level, at in uow.units.reporting(root, [lv.value for lv in wanted]):
            period = wanted[UnitLevel(level)]
            if at > period.start:
                continue
            on_time = receipts.get((code, period.start))
            found = "missing" if on_time is None else ("on_time" if on_time else "late")
            state[found] += 1
            if found != "on_time":
                behind.append({"unit_code": code, "state": found, "period_start": period.start.isoformat()})
    behind.sort(key=lambda x: (x["state"] != "missing", x["unit_code"]))
    return {
        "units": sum(state.values()),
        "on_time": state["on_time"],
        "late": state["late"],
        "missing": state["missing"],
        "late_or_missing": behind[:list_size],
        "late_or_missing_total": len(behind),
    }
