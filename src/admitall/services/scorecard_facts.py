"""Loading the recorded facts of a subtree and a window, for the scorecards (domain.facts says what they are)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select

from admitall.domain.facts import Duty, Fact, Kind, ReportSlot, duty_facts, report_facts, wait_facts
from admitall.domain.people import EventKind
from admitall.domain.reporting import PROBLEM_DUE, ProblemSeverity
from admitall.domain.units import level_of
from admitall.services.context import Context
from admitall.services.reporting import chain_status, schedules_of
from admitall.store.repositories.census import MERGED_AWAY
from admitall.store.repositories.persons import in_subtree
from admitall.store.repositories.reports import _in_subtree
from admitall.store.tables import discrepancies, person_events, persons, report_problems, reports
from admitall.store.uow import UnitOfWork

LONGEST_PROBLEM_DUE = max(PROBLEM_DUE.values())
EPSILON = timedelta(microseconds=1)  # just before a window's end


def load_facts(
    ctx: Context,
    uow: UnitOfWork,
    root: str | None,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    waits: bool = True,
) -> list[Fact]:
    """Every fact of the subtree in [start, end), as known at `now` (a window still running ends at now, with
    what happened at this very moment); without the waits' facts if not `waits` (services.scorecard_waits keeps
    those between rounds)."""
    until = window_end(end, now)
    if until <= start:
        return []
    found: list[Fact] = []
    if waits:
        found.extend(wait_facts(uow.waits.overlapping(root, start, until), start, until, ctx.policy.sla))
    found.extend(_identified(uow, root, start, until))
    found.extend(report_facts(_slots(ctx, uow, root, start, end, now), start, until))
    found.extend(_receipts(uow, root, start, until, now))
    found.extend(duty_facts(_directive_duties(uow, root, start, until), start, until, now))
    found.extend(duty_facts(_problem_duties(uow, root, start, until), start, until, now))
    return found


def window_end(end: datetime, now: datetime) -> datetime:
    """Where a window stops counting: its end, or just after now while it is still running."""
    return min(end, now + EPSILON)


def _identified(uow: UnitOfWork, root: str | None, start: datetime, end: datetime) -> list[Fact]:
    rows = uow.conn.execute(
        select(persons.c.unit_code, person_events.c.occurred_at, person_events.c.person_id)
        .join(persons, persons.c.id == person_events.c.person_id)
        .where(
            person_events.c.kind == EventKind.IDENTIFIED.value,
            person_events.c.occurred_at >= start,
            person_events.c.occurred_at < end,
            in_subtree(root),
            person_events.c.person_id.not_in(MERGED_AWAY),  # a record merged into another counts once
        )
    )
    return [Fact(Kind.IDENTIFIED, unit, at, ref=str(pid)) for unit, at, pid in rows]


def _slots(
    ctx: Context, uow: UnitOfWork, root: str | None, start: datetime, end: datetime, now: datetime
) -> list[ReportSlot]:
    """The expected reports of the periods that began in [start, end), as far as their deadlines have passed."""
    schedules = schedules_of(uow)
    longest = max((s.period + s.grace for s in schedules.values()), default=timedelta(0))
    # a period that ended by the window's start was due by then and its grace: not asked for (a day's communities)
    since = start + min((s.grace for s in schedules.values()), default=timedelta(0))
    status = chain_status(ctx, uow, root, since, min(end + longest, now))
    slots = []
    for (code, period_start), state in status.items():
        schedule = schedules.get(level_of(code))
        if schedule is not None and start <= period_start < end:
            slots.append(ReportSlot(code, period_start, period_start + schedule.period + schedule.grace, state))
    return slots


def _receipts(uow: UnitOfWork, root: str | None, start: datetime, end: datetime, now: datetime) -> list[Fact]:
    """First versions of the reports for periods that began in the window, and which disagreed with the registry."""
    disagreed = exists().where(discrepancies.c.report_id == reports.c.id)
    rows = uow.conn.execute(
        select(reports.c.id, reports.c.unit_code, reports.c.received_at, disagreed).where(
            reports.c.version == 1,
            reports.c.period_start >= start,
            reports.c.period_start < end,
            reports.c.received_at <= now,
            _in_subtree(reports.c.unit_code, root),
        )
    )
    found = []
    for report_id, unit, at, bad in rows:
        found.append(Fact(Kind.REPORT_RECEIVED, unit, at, ref=str(report_id)))
        if bad:
            found.append(Fact(Kind.REPORT_DISCREPANT, unit, at, ref=str(report_id)))
    return found


def _directive_duties(uow: UnitOfWork, root: str | None, start: datetime, end: datetime) -> list[Duty]:
    return [
        Duty("directive", x["unit_code"], str(x["id"]), x["issued_at"], x["due_at"], x["completed_at"])
        for x in uow.directives.duties(root, start, end)
    ]


def _problem_duties(uow: UnitOfWork, root: str | None, start: datetime, end: datetime) -> list[Duty]:
    """Problems raised for help in the subtree: due at their first due time (escalation does not move it)."""
    p = report_problems.c
    rows = uow.conn.execute(
        select(p.id, p.unit_code, p.severity, p.raised_at, p.resolved_at).where(
            p.needs_help.is_(True),
            _in_subtree(p.unit_code, root),
            or_(
                and_(p.raised_at >= start - LONGEST_PROBLEM_DUE, p.raised_at < end),
                and_(p.resolved_at >= start, p.resolved_at < end),
            ),
        )
    )
    return [
        Duty("problem", unit, str(pid), raised, raised + PROBLEM_DUE[ProblemSeverity(severity)], resolved)
        for pid, unit, severity, raised, resolved in rows
    ]
