"""The reporting chain as the command screen shows it, counted for a whole subtree at once.

The same rules as `reporting.chain_status` — a unit is expected for each period that starts after it was set up;
a report counts by when its first version was received; a period not yet at its deadline and not yet reported
is pending, not missing — but counted by the database per period and per unit below, instead of unit by unit:
thousands of units over a day are too many to walk one by one on a screen that refreshes every half minute.
Only the latest period each level has had to report is looked at unit by unit, to name who is late or missing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import Integer, and_, case, func, or_, select, type_coerce

from admitall.domain.reporting import Period
from admitall.domain.units import PREFIX_LENGTH, UnitLevel, subtree_bounds
from admitall.services.context import Context
from admitall.services.reporting import expected_periods
from admitall.services.reporting_rules import schedules_of
from admitall.store.tables import UTCDateTime, reports, units
from admitall.store.uow import UnitOfWork


def level_of_code(code: Any) -> Any:
    """The unit level of a code column, by the database: the deepest segment that is not all zeros."""
    levels = list(UnitLevel)
    whens = []
    for above, level in reversed(list(pairwise(levels))):
        start, end = PREFIX_LENGTH[above], PREFIX_LENGTH[level]
        whens.append((func.substr(code, start + 1, end - start) != "0" * (end - start), level.value))
    return case(*whens, else_=levels[0].value)


def _received(
    uow: UnitOfWork, root: str, starts: list[datetime], *, by_level: bool = False
) -> dict[tuple[datetime, str | None], tuple[int, int]]:
    """(period start, level or None) → (reports received, of which on time), first versions only, for the whole
    subtree; by level only where asked (it costs a CASE a row), for the few periods that need it."""
    r = reports.c
    on_time = func.sum(case((r.on_time, 1), else_=0).cast(Integer))
    level = level_of_code(r.unit_code) if by_level else None
    keys = [r.period_start] if level is None else [r.period_start, level]
    where = [r.version == 1, r.unit_code.between(*subtree_bounds(root))]
    if by_level:
        where.append(r.period_start.in_(starts))
    else:
        where += [r.period_start >= min(starts), r.period_start <= max(starts)]
    rows = uow.conn.execute(select(*keys, func.count(), on_time).where(*where).group_by(*keys)).all()
    if level is None:
        return {(row[0], None): (int(row[1]), int(row[2] or 0)) for row in rows}
    return {(row[0], row[1]): (int(row[2]), int(row[3] or 0)) for row in rows}


def _set_up(uow: UnitOfWork, root: str, levels: list[str]) -> dict[str, list[tuple[datetime, int]]]:
    """Level → (when, how many of its units of the subtree were set up then): units come in a few imports."""
    u = units.c
    rows = uow.conn.execute(
        select(u.level, u.created_at, func.count())
        .where(u.code.between(*subtree_bounds(root)), u.level.in_(levels))
        .group_by(u.level, u.created_at)
    ).all()
    found: dict[str, list[tuple[datetime, int]]] = {}
    for level, at, n in rows:
        found.setdefault(level, []).append((at, int(n)))
    return found


def chain_figures(
    ctx: Context, uow: UnitOfWork, root: str, now: datetime, hours: int, length: int, list_size: int
) -> tuple[dict[str, Any], dict[str, Counter[str]]]:
    """(the chain for the screen, per unit below: its subtree's latest due reports on time, late, missing)."""
    schedules = schedules_of(uow)
    since = now - timedelta(hours=hours)
    created = _set_up(uow, root, [level.value for level in schedules])
    periods = {level: expected_periods(s, since, now, ctx.settings.tz, open_too=True) for level, s in schedules.items()}
    # per period start, per level: (units expected, whether the period is due)
    expected: dict[datetime, dict[str, tuple[int, bool]]] = {}
    for level, level_periods in periods.items():
        if level.value not in created:  # no unit of this level in the subtree
            continue
        for period in level_periods:
            n = sum(k for at, k in created[level.value] if at <= period.start)
            expected.setdefault(period.start, {})[level.value] = (n, period.deadline <= now)
    if not expected:
        latest, children = _latest_due(uow, root, periods, now, list_size, length)
        return {**latest, "pending": 0, "by_hour": []}, children
    # a start where not every reporting level has a period (hourly streets, daily communities), or where one is
    # due and another is not, is counted level by level: a report counts only for a period its level has
    reporting = set(created)
    mixed = [
        start
        for start, levels in expected.items()
        if set(levels) != reporting or len({due for _, due in levels.values()}) > 1
    ]
    whole = sorted(set(expected) - set(mixed))
    received = _received(uow, root, whole) if whole else {}
    if mixed:
        received.update(_received(uow, root, mixed, by_level=True))
    rows, pending = _by_period(expected, received, mixed)
    latest, children = _latest_due(uow, root, periods, now, list_size, length)
    return {**latest, "pending": pending, "by_hour": rows}, children


def _by_period(
    expected: dict[datetime, dict[str, tuple[int, bool]]],
    received: dict[tuple[datetime, str | None], tuple[int, int]],
    mixed: list[datetime],
) -> tuple[list[dict[str, Any]], int]:
    """Each period's expected, received, on time and pending reports (a period not yet due expects only what
    came in early), and the pending in all."""
    rows, pending = [], 0
    for start in sorted(expected):
        levels = expected[start]
        if start in mixed:
            parts: list[tuple[str | None, tuple[int, bool]]] = list(levels.items())
        else:
            parts = [(None, (sum(n for n, _ in levels.values()), all(due for _, due in levels.values())))]
        c: Counter[str] = Counter()
        for level, (n, due) in parts:
            got, on_time = received.get((start, level), (0, 0))
            got = min(got, n)
            c.update(received=got, on_time=on_time, expected=n if due else got, pending=0 if due else n - got)
        pending += c["pending"]
        if c["expected"] or c["pending"]:  # otherwise nobody was set up to report yet
            rows.append(
                {
                    "period_start": start.isoformat(),
                    "expected": c["expected"],
                    "received": c["received"],
                    "on_time": c["on_time"],
                    "pending": c["pending"],
                    "completeness": round(c["received"] / c["expected"], 4) if c["expected"] else None,
                }
            )
    return rows, pending


def _latest_due(
    uow: UnitOfWork,
    root: str,
    periods: dict[UnitLevel, list[Period]],
    now: datetime,
    list_size: int,
    length: int,
) -> tuple[dict[str, Any], dict[str, Counter[str]]]:
    """Each reporting unit's latest period due by now: on time, late or missing, counted per unit below (by the
    first `length` digits) by the database, and the first few late or missing units named."""
    wanted = {
        level: max(due, key=lambda p: p.start)
        for level, ps in periods.items()
        if (due := [p for p in ps if p.deadline <= now])
    }
    children: dict[str, Counter[str]] = {}
    if not wanted:
        return {
            "units": 0,
            "on_time": 0,
            "late": 0,
            "missing": 0,
            "late_or_missing": [],
            "late_or_missing_total": 0,
        }, {}
    u, r = units.c, reports.c
    # the period each level is answering for now, typed so that both databases read it back as a UTC time
    period = type_coerce(case(*((u.level == level.value, p.start) for level, p in wanted.items())), UTCDateTime())
    state = case((r.id.is_(None), "missing"), (r.on_time, "on_time"), else_="late")
    joined = units.outerjoin(reports, and_(r.unit_code == u.code, r.version == 1, r.period_start == period))
    due = and_(u.code.between(*subtree_bounds(root)), u.level.in_([lv.value for lv in wanted]), u.created_at <= period)
    child = func.substr(u.code, 1, length)
    for prefix, found, n in uow.conn.execute(
        select(child, state, func.count()).select_from(joined).where(due).group_by(child, state)
    ).all():
        children.setdefault(prefix, Counter())[found] += int(n)
    behind = uow.conn.execute(
        select(u.code, state, period)
        .select_from(joined)
        .where(due, or_(r.id.is_(None), ~r.on_time))
        .order_by(r.id.is_not(None), u.code)
        .limit(list_size)
    ).all()
    total: Counter[str] = sum(children.values(), Counter())
    return {
        "units": sum(total.values()),
        "on_time": total["on_time"],
        "late": total["late"],
        "missing": total["missing"],
        "late_or_missing": [
            {"unit_code": code, "state": found, "period_start": start.isoformat()} for code, found, start in behind
        ],
        "late_or_missing_total": total["late"] + total["missing"],
    }, children
