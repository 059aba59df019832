"""The hourly report: its draft (the registry's own figures, prefilled), submission, corrections, and the
completeness and timeliness of the chain, per unit and rolled up.

A report is received when the server says so; nothing a client claims about time counts. A submitted report is
never changed: a correction is a new version pointing at the one it corrects, with a reason.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from admitall.domain.access import Permission
from admitall.domain.chain import report_record, seal
from admitall.domain.errors import Conflict, Forbidden, InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.people import EventKind
from admitall.domain.reporting import (
    DEFAULT_SCHEDULES,
    FIELD_FIGURES,
    PROBLEM_DUE,
    Period,
    ProblemSeverity,
    ProblemType,
    Schedule,
    admissible,
    check_period_start,
    on_time,
    period_containing,
    reconcile,
)
from admitall.domain.text import check_day, check_text
from admitall.domain.units import UnitLevel, child_prefix_length, level_of, parent_of
from admitall.services.context import Actor, Context, not_found, unit_in_scope
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import person_events, persons
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

# schedules change seldom and are read by every report: each server keeps them for a short while
SCHEDULE_CACHE_SECONDS = 30.0
_schedule_cache: dict[int, tuple[float, dict[UnitLevel, Schedule]]] = {}


def schedules_of(uow: UnitOfWork) -> dict[UnitLevel, Schedule]:
    key = id(uow.engine)
    cached = _schedule_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    found = uow.reports.schedules() or dict(DEFAULT_SCHEDULES)
    _schedule_cache[key] = (time.monotonic() + SCHEDULE_CACHE_SECONDS, found)
    return found


def registry_figures(ctx: Context, uow: UnitOfWork, root: str, period: Period, now: datetime) -> dict[str, Any]:
    """What the registry knows for the unit's subtree: found and admitted in the period, waiting now."""
    status = person_events.c.data["status"].as_string()  # the category a person was found in
    rows = uow.conn.execute(
        select(person_events.c.kind, status, func.count())
        .join(persons, persons.c.id == person_events.c.person_id)
        .where(
            person_events.c.kind.in_([EventKind.IDENTIFIED.value, EventKind.ADMITTED.value]),
            person_events.c.occurred_at >= period.start,
            person_events.c.occurred_at < period.end,
            in_subtree(root),
        )
        .group_by(person_events.c.kind, status)
    )
    found: Counter[str] = Counter()
    admitted = 0
    for kind, category, n in rows:
        if kind == EventKind.IDENTIFIED.value:
            found[str(category)] += int(n)
        else:
            admitted += int(n)
    cutoffs = {cls.value: now - target for cls, target in ctx.policy.sla.items()}
    waiting, severity, oldest, breaches = uow.persons.waiting_summary(root, cutoffs)
    return {
        "found": {**dict(found), "total": sum(found.values())},
        "admitted": admitted,
        "waiting": {**dict(waiting), "total": sum(waiting.values())},
        "waiting_confirmed_by_severity": dict(severity),
        "oldest_wait_hours": round((now - oldest).total_seconds() / 3600, 1) if oldest else None,
        "sla_breaches": breaches,
    }


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


def _period(ctx: Context, schedule: Schedule, period_start: datetime | str | None) -> Period:
    if period_start is None:
        return period_containing(ctx.clock.now(), schedule, ctx.settings.tz)
    if isinstance(period_start, str):
        try:
            period_start = datetime.fromisoformat(period_start)
        except ValueError:
            raise InvalidInput(
                "report.bad_period",
                f"周期开始时间无法识别：{period_start}",
                f"Not a period start time: {period_start}",
                field="period_start",
            ) from None
        check_day("period_start", period_start.date())
        if period_start.tzinfo is None:
            period_start = period_start.replace(tzinfo=ctx.settings.tz)
    # stored, hashed and compared in UTC whatever offset it came with (the hash must match once read back)
    return check_period_start(period_start.astimezone(UTC), schedule, ctx.settings.tz)


def draft(ctx: Context, actor: Actor, unit_code: str, period_start: datetime | str | None = None) -> dict[str, Any]:
    """The report form for a unit and period (the current one by default): the registry's own figures as of
    now, prefilled, and what has been reported already."""
    actor.require(Permission.SUBMIT_REPORTS)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        code, schedule = _reporting_unit(uow, actor, unit_code)
        period = _period(ctx, schedule, period_start)
        figures = registry_figures(ctx, uow, code, period, now)
        latest = uow.reports.latest_for(code, period.start)
        name = uow.units.names([code]).get(code, code)
    return {
        "unit": code,
        "unit_name": name,
        "period": _period_view(period),
        "figures": figures,
        "field_figures": list(FIELD_FIGURES),
        "latest": _brief(latest) if latest else None,
        "open_for_reports": period.start <= now,
    }


def _period_view(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "deadline": period.deadline.isoformat()}


def _brief(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": row["version"],
        "received_at": row["received_at"].isoformat(),
        "on_time": row["on_time"],
    }


@dataclass
class ReportInput:
    """What a reporter sends. `reported` holds the figures they state (prefilled from the draft)."""

    unit_code: str
    period_start: datetime | str | None
    reported: Mapping[str, Any]
    attested_by: str
    attest: bool
    field: Mapping[str, Any] = field(default_factory=dict)
    problems: Sequence[Mapping[str, Any]] = ()
    idempotency_key: str | None = None
    supersedes: int | None = None
    correction_reason: str | None = None


MAX_FIGURE = 10_000_000  # more people than a province holds: a typo, and beyond what the database stores


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FIGURE:
        raise InvalidInput(
            "report.bad_figure",
            f"{name} 必须是 0 到 {MAX_FIGURE} 之间的整数",
            f"{name} must be a whole number from 0 to {MAX_FIGURE}",
            field=name,
        )
    return value


def _figures(reported: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key in ("found", "waiting", "waiting_confirmed_by_severity"):
        value = reported.get(key) or {}
        if not isinstance(value, Mapping):
            raise InvalidInput(
                "report.bad_figure", f"{key} 应为按类别的数字", f"{key} must be counts by category", field=key
            )
        clean[key] = {str(k): _whole(v, f"{key}.{k}") for k, v in value.items()}
    for key in ("admitted", "sla_breaches"):
        if reported.get(key) is not None:
            clean[key] = _whole(reported[key], key)
    return clean


def _problems(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    clean = []
    for i, item in enumerate(items, start=1):
        ptype, severity = (
            ProblemType.parse(str(item.get("type") or "")),
            ProblemSeverity.parse(str(item.get("severity") or "")),
        )
        text = check_text(f"problems.{i}.description", nfkc(str(item.get("description") or "")), multiline=True)
        if ptype is None or severity is None or not text:
            raise InvalidInput(
                "report.bad_problem",
                f"第 {i} 个问题须有类型、严重程度和说明",
                f"Problem {i} needs a type, a severity and a description",
                field="problems",
            )
        clean.append(
            {
                "type": ptype.value,
                "severity": severity.value,
                "description": text[:2000],
                "needs_help": bool(item.get("needs_help")),
            }
        )
    return clean


def report_hash(
    key: bytes,
    prev: str,
    row: Mapping[str, Any],
    problems: Sequence[Mapping[str, Any]],
    discrepancies: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The keyed hash a report carries (domain.chain): its own fields, its problems as sent, the discrepancies
    found in it, and the unit's previous report's hash."""
    return seal(key, prev, report_record(row, problems, discrepancies))


def submit(ctx: Context, actor: Actor, report: ReportInput) -> dict[str, Any]:
    """Store a report (or a correction). The same idempotency key twice stores one report and returns it."""
    actor.require(Permission.SUBMIT_REPORTS)
    if not report.attest or not nfkc(report.attested_by):
        raise InvalidInput(
            "report.attestation",
            "报告必须由报告人签名确认属实",
            "A report must be attested as true by the reporter, with their name",
            field="attested_by",
        )
    texts = {"attested_by": report.attested_by, "correction_reason": report.correction_reason}
    check_row("reports", {**texts, "idempotency_key": report.idempotency_key}, multiline=("correction_reason",))
    reported, problems = _figures(report.reported), _problems(report.problems)
    field_figures = {k: _whole(report.field[k], k) for k in FIELD_FIGURES if report.field.get(k) is not None}
    with ctx.uow(write=True) as uow:
        if report.idempotency_key:
            earlier = uow.reports.by_idempotency_key(report.idempotency_key)
            if earlier is not None:
                return {"outcome": "duplicate", **_report_view(uow, earlier)}
        code, schedule = _reporting_unit(uow, actor, report.unit_code)
        period = _period(ctx, schedule, report.period_start)
        now = ctx.clock.now()
        admissible(period, now)
        uow.reports.lock_unit(code)
        latest = uow.reports.latest_for(code, period.start)
        version, supersedes = _version(latest, report)
        row: dict[str, Any] = {
            "unit_code": code,
            "period_start": period.start,
            "period_end": period.end,
            "deadline": period.deadline,
            "version": version,
            "supersedes_id": supersedes,
            "correction_reason": report.correction_reason if supersedes else None,
            "received_at": now,
            "on_time": on_time(period, now) if latest is None else latest["on_time"],
            "reporter": actor.username,
            "attested_by": nfkc(report.attested_by)[:100],
            "idempotency_key": report.idempotency_key or None,
            "reported": reported,
            "registry": registry_figures(ctx, uow, code, period, now),
            "field": field_figures,
        }
        found = reconcile(
            reported,
            row["registry"],
            absolute=ctx.settings.discrepancy_absolute,
            relative=ctx.settings.discrepancy_relative,
        )
        row["prev_hash"] = uow.reports.chain_head(code)
        row["hash"] = report_hash(uow.keys.chain, row["prev_hash"], row, problems, [vars(d) for d in found])
        report_id = uow.reports.add(row)
        parent = parent_of(code)
        problem_rows = [
            {
                **p,
                "report_id": report_id,
                "unit_code": code,
                "raised_at": now,
                "escalations": 0,
                "status": "open" if p["needs_help"] else "noted",
                "owner_unit": parent if p["needs_help"] else None,
                "due_at": now + PROBLEM_DUE[ProblemSeverity(p["severity"])] if p["needs_help"] else None,
            }
            for p in problems
        ]
        uow.reports.add_problems(problem_rows)
        discrepancy_rows = [
            {
                "report_id": report_id,
                "unit_code": code,
                "period_start": period.start,
                "figure": d.figure,
                "reported": d.reported,
                "registry": d.registry,
            }
            for d in found
        ]
        uow.reports.add_discrepancies(discrepancy_rows)
        uow.reports.resolve_alerts("missing_report", code, period.start, now)
        uow.audit.record(
            now,
            actor.username,
            "submit_report" if version == 1 else "correct_report",
            "report",
            report_id,
            unit=code,
            period_start=period.start.isoformat(),
            version=version,
        )
        view = _report_view(uow, {**row, "id": report_id}, problem_rows, discrepancy_rows)
        uow.commit()
    return {"outcome": "stored", **view}


def _version(latest: Mapping[str, Any] | None, report: ReportInput) -> tuple[int, int | None]:
    if latest is None:
        if report.supersedes is not None:
            raise InvalidInput(
                "report.nothing_to_correct",
                "此周期还没有报告可更正",
                "There is no report for this period to correct",
                field="supersedes",
            )
        return 1, None
    if report.supersedes is None:
        raise Conflict(
            "report.already_sent",
            f"此周期已报告（第 {latest['version']} 版）；如需更正，请注明被更正的报告和原因",
            f"This period has been reported (version {latest['version']}); to correct it, say which report and why",
            field="supersedes",
        )
    if report.supersedes != latest["id"]:
        raise Conflict(
            "report.stale_correction",
            "只能更正此周期的最新一版报告",
            "Only the latest version of this period's report can be corrected",
            field="supersedes",
        )
    if not nfkc(report.correction_reason or ""):
        raise InvalidInput(
            "report.correction_needs_reason",
            "更正必须说明原因",
            "A correction needs a reason",
            field="correction_reason",
        )
    return int(latest["version"]) + 1, int(latest["id"])


def _report_view(
    uow: UnitOfWork,
    row: Mapping[str, Any],
    problems: Sequence[Mapping[str, Any]] | None = None,
    found_rows: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A report with its problems and discrepancies (read back unless the caller has them at hand)."""
    if found_rows is None:
        found_rows = [
            d for d in uow.reports.discrepancies(row["unit_code"], row["period_start"]) if d["report_id"] == row["id"]
        ]
    if problems is None:
        problems = uow.reports.problems_of(row["id"])
    found = [
        {
            "figure": d["figure"],
            "reported": d["reported"],
            "registry": d["registry"],
            "difference": d["reported"] - d["registry"],
        }
        for d in found_rows
    ]
    return {
        "id": row["id"],
        "unit_code": row["unit_code"],
        "period_start": row["period_start"].isoformat(),
        "version": row["version"],
        "supersedes": row["supersedes_id"],
        "correction_reason": row["correction_reason"],
        "received_at": row["received_at"].isoformat(),
        "on_time": row["on_time"],
        "reporter": row["reporter"],
        "attested_by": row["attested_by"],
        "reported": row["reported"],
        "registry": row["registry"],
        "field": row["field"],
        "discrepancies": found,
        "problems": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in p.items()} for p in problems],
        "hash": row["hash"],
    }


def history(ctx: Context, actor: Actor, unit_code: str, period_start: str) -> dict[str, Any]:
    """Every version of a unit's report for a period, oldest first: corrections never replace the original."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        code = unit_in_scope(uow, actor, unit_code)
        schedule = schedules_of(uow).get(level_of(code))
        if schedule is None:
            raise not_found("unit", code)
        period = _period(ctx, schedule, period_start)
        return {
            "unit": code,
            "period": _period_view(period),
            "versions": [_report_view(uow, r) for r in uow.reports.history(code, period.start)],
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


def discrepancies(ctx: Context, actor: Actor, unit: str | None = None, *, hours: int = 24) -> dict[str, Any]:
    """Where reported figures and the registry disagreed, with both numbers, for units in the subtree."""
    actor.require(Permission.VIEW_COUNTS)
    since = ctx.clock.now() - timedelta(hours=max(1, min(hours, 24 * 14)))
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        rows = uow.reports.discrepancies(root, since)
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
        ]
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
    if unit_level not in DEFAULT_SCHEDULES:
        raise InvalidInput(
            "schedule.bad_level",
            f"只有区、街道、社区报送：{level}",
            f"Only districts, streets and communities report: {level}",
            field="level",
        )
    schedule = Schedule(unit_level, period_minutes, grace_minutes)
    with ctx.uow(write=True) as uow:
        _check_schedule_owner(uow, actor, unit_level)
        uow.reports.set_schedule(schedule, ctx.clock.now())
        _schedule_cache.pop(id(uow.engine), None)
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
