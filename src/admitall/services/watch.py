"""Watching the chain (掉链子): a unit whose reports are missing at their deadline has one alert for the running
miss (连续缺报 N 期: its first and last missed period), grown each period it stays missing, closed by the report
that answers it, expired into the record when a later period is reported (services.reporting settles both as the
report is stored; a round expires what a report left behind meanwhile). Directives past their due time are
alerts; so is a unit without a responsible lead; an alert unanswered for a period goes one level up (the same
alert, never a copy per period); problems that need help escalate when overdue; measurable directives the
registry shows done are completed; the scorecards are kept current; yesterday's public bulletin is counted and
kept; the census's changes are folded in. Run every minute by one runner at a time; acknowledging and resolving
by people (services.alert_inbox, services.problem_inbox).
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from admitall.domain.directives import ESCALATE_EVERY
from admitall.domain.officials import LeadAssignment
from admitall.domain.reporting import PROBLEM_DUE, ProblemSeverity
from admitall.domain.units import level_of, parent_of
from admitall.services.alert_inbox import acknowledge, acknowledge_many, inbox
from admitall.services.bulletin import publish_yesterday
from admitall.services.chain_heads import record_yesterday
from admitall.services.context import Context
from admitall.services.directives import OVERDUE, complete_measured
from admitall.services.help_requests import link_pending
from admitall.services.help_watch import watch_help
from admitall.services.observation_checks import observation_round
from admitall.services.officials import NO_LEAD
from admitall.services.problem_inbox import problems, resolve_problem
from admitall.services.reporting import chain_status
from admitall.services.reporting_rules import schedules_of
from admitall.services.scorecards import refresh
from admitall.services.staff_safety_rates import watch_staff_safety
from admitall.services.supply_watch import watch_supplies
from admitall.services.watch_rounds import begin_round, end_round, last_round, purge_sessions
from admitall.store.repositories.alert_batch import (
    NO_LEAD_UNRAISED,
    OVERDUE_UNRAISED,
    RUNNING_MISSES,
    TO_ESCALATE,
    UNIT_CODES,
    change_alerts,
    move_problems,
    raise_alerts,
)
from admitall.store.tables import job_locks
from admitall.store.uow import UnitOfWork

# the people's side lives in alert_inbox and problem_inbox; these names are where callers have always found it
__all__ = ["acknowledge", "acknowledge_many", "inbox", "problems", "resolve_problem", "watch"]

JOB = "chain_watch"
LEASE = timedelta(minutes=2)
# while a round runs its lease is renewed this often (seconds), so a long round keeps it and a dead runner's lapses
RENEW_EVERY = 20.0
# how far back the watch looks for deadlines it has not yet seen (a server down for a while catches up)
LOOKBACK = timedelta(hours=26)
MISSING = "missing_report"
RUNNER = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
log = logging.getLogger("admitall.watch")


Top = Callable[[str | None], str | None]


class _Tops:
    """The unit above a code that exists in the tree (None above the root): the tree's codes read once a round,
    by one statement, on the first question (a round asks it for every alert it raises or escalates)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.codes: set[str] = set()
        self.known: dict[str | None, str | None] = {}

    def __call__(self, code: str | None) -> str | None:
        if code not in self.known:
            parent = parent_of(code) if code else None
            while parent is not None and parent not in self.all():
                parent = parent_of(parent)
            self.known[code] = parent
        return self.known[code]

    def all(self) -> set[str]:
        if not self.codes:
            self.codes.update(self.uow.conn.execute(UNIT_CODES).scalars())
        return self.codes

    def roots(self) -> list[str]:
        """The units with nothing above them: an alert with them can go no higher."""
        return sorted(code for code in self.all() if self(code) is None)


def _tops(uow: UnitOfWork) -> _Tops:
    return _Tops(uow)


def watch(ctx: Context, holder: str = RUNNER, take_over: bool = False) -> dict[str, Any]:
    """One round: raise alerts for reports missing at their deadline, escalate unanswered alerts one level per
    period, escalate overdue problems. Does nothing (and says so) if another runner holds the lease, unless
    `take_over`: the caller holds PostgreSQL's watch lock (services.watch_runner), so a lease left is a dead
    runner's."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        if take_over:
            uow.conn.execute(update(job_locks).where(job_locks.c.name == JOB).values(expires_at=now))
        if not uow.reports.take_lease(JOB, holder, now, LEASE):
            return {"ran": False, "reason": "another runner holds the lease"}
        uow.commit()
    began = begin_round(ctx, holder, now)  # on the record (watch_rounds): readiness reads the last one
    try:
        with _renewing(ctx, holder):
            with ctx.uow(write=True) as uow:
                leads = uow.officials.leads_now(None)
                top = _tops(uow)
                raised, grown, expired = _raise_missing(ctx, uow, now, leads, top)
                vacant = _raise_no_lead(uow, now, top)
                completed = complete_measured(uow, now)
                overdue = _raise_overdue(uow, now, top)
                escalated = _escalate(ctx, uow, now, top)
                problems = _escalate_problems(uow, now, top)
                help_alerts = watch_help(uow, now, top, ctx.policy)
                safety = watch_staff_safety(ctx, uow, now)  # staff infections over the threshold (issue 18)
                supplies = watch_supplies(uow, now, top)  # shortages of supplies (issue 18)
                last = last_round(uow.conn)  # the last round that finished well, for what is new since
                since = last["started_at"] if last is not None and last["started_at"] <= now else None
                observed = observation_round(ctx, uow, now, leads, since)  # missed checks (issue 17)
                folded = uow.census.fold()
                sessions = purge_sessions(uow.conn, now)
                uow.commit()
            help_linked = link_pending(ctx)
            cards = refresh(ctx)
            heads = record_yesterday(ctx)
            published = publish_yesterday(ctx)
    finally:
        with ctx.uow(write=True) as uow:
            uow.reports.release_lease(JOB, holder, now)
            uow.commit()
        end_round(ctx, began)
    return {
        "ran": True,
        "raised": raised,
        "running_misses_grown": grown,
        "running_misses_expired": expired,
        "units_without_lead": vacant,
        "directives_completed_by_registry": completed,
        "directives_overdue": overdue,
        "escalated": escalated,
        "problems_escalated": problems,
        **help_alerts,
        **safety,
        **supplies,
        "help_requests_linked": help_linked,
        **observed,
        "scorecards": cards,
        "bulletin_published": published,
        "chain_heads_recorded": heads,
        "census_changes_folded": folded,
        "expired_sessions_purged": sessions,
    }


@contextmanager
def _renewing(ctx: Context, holder: str) -> Iterator[None]:
    """Renew the lease every RENEW_EVERY seconds while the block runs (a thread of its own), so that a round longer
    than LEASE does not let a second runner in; stopped (and joined) before the block's caller releases it."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(RENEW_EVERY):
            try:
                with ctx.uow(write=True) as uow:
                    kept = uow.reports.take_lease(JOB, holder, ctx.clock.now(), LEASE)
                    uow.commit()
                if not kept:
                    log.warning("the watch's lease was taken by another runner during a round")
            except Exception:  # tried again at the next beat
                log.exception("could not renew the watch's lease")

    thread = threading.Thread(target=renew, daemon=True, name="chain-watch-lease")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _official(leads: dict[str, LeadAssignment], code: str) -> int | None:
    lead = leads.get(code)
    return lead.official_id if lead is not None else None


def _alert(
    kind: str, code: str, start: datetime | None, target: str | None, now: datetime, **rest: Any
) -> dict[str, Any]:
    """An alert's row as raised: step 0, one in a row, unless `rest` says otherwise."""
    return {
        "kind": kind,
        "unit_code": code,
        "period_start": start,
        "target_unit": target,
        "step": 0,
        "consecutive": 1,
        "raised_at": now,
        "subject_id": 0,
        "official_id": None,
        **rest,
    }


def _raise_missing(
    ctx: Context, uow: UnitOfWork, now: datetime, leads: dict[str, LeadAssignment], top: Top
) -> tuple[int, int, int]:
    """One alert per unit and running miss. A unit's misses after its latest reported period and after the last
    period its latest alert speaks of: the open alert grows by them (how many periods, the last one), or a new
    alert is raised for them (acknowledged already, or none: a new miss is a new alert). A running alert that a
    later reported period left behind expires (the report did it already unless it raced the round). Returns
    (raised, grown, expired)."""
    status = chain_status(ctx, uow, None, now - LOOKBACK, now, open_too=True)  # a period open but reported counts
    missing: dict[str, list[datetime]] = defaultdict(list)
    reported: dict[str, datetime] = {}
    for (code, start), state in sorted(status.items()):
        if state == "missing":
            missing[code].append(start)
        elif state in ("on_time", "late"):
            reported[code] = start
    latest: dict[str, dict[str, Any]] = {}
    for row in uow.conn.execute(RUNNING_MISSES).mappings():
        latest[row["unit_code"]] = dict(row)  # ordered by first period: the unit's latest running alert last
    schedules = schedules_of(uow)
    rows, grow, expire = [], [], []
    for code in sorted(set(missing) | set(latest)):
        running = latest.get(code)
        last: datetime | None = None
        if running is not None:
            last = running["last_period_start"] or running["period_start"]
        if running is not None and last is not None and code in reported and reported[code] > last:
            expire.append((running, {"expired_at": now}))
            running = None
        since = max([t for t in (last, reported.get(code)) if t is not None], default=None)
        new = [start for start in missing.get(code, []) if since is None or start > since]
        if not new:
            continue
        if running is not None and running["acknowledged_at"] is None:
            grow.append(
                (running, {"periods_missed": (running["periods_missed"] or 1) + len(new), "last_period_start": new[-1]})
            )
            continue
        schedule = schedules[level_of(code)]
        detail = {
            "period_start": new[0].isoformat(),
            "deadline": (new[0] + schedule.period + schedule.grace).isoformat(),
        }
        rows.append(
            _alert(
                MISSING, code, new[0], top(code), now, detail=detail, official_id=_official(leads, code),
                periods_missed=len(new), last_period_start=new[-1],
            )
        )  # fmt: skip
    change_alerts(uow.conn, uow.keys, expire + grow)
    return raise_alerts(uow.conn, uow.keys, rows), len(grow), len(expire)


def _raise_no_lead(uow: UnitOfWork, now: datetime, top: Top) -> int:
    """A unit without a responsible lead is itself an alert, to the unit above (the top unit answers itself)."""
    vacant = uow.conn.execute(NO_LEAD_UNRAISED, {"kind": NO_LEAD})
    rows = [
        _alert(NO_LEAD, code, since, top(code) or code, now, detail={"since": since.isoformat()})
        for code, since in vacant
    ]
    return raise_alerts(uow.conn, uow.keys, rows, checked=True)


def _raise_overdue(uow: UnitOfWork, now: datetime, top: Top) -> int:
    """A directive not completed by its due time: an alert to the unit above the recipient, naming its lead."""
    rows = [
        _alert(
            OVERDUE, x.unit_code, x.due_at, top(x.unit_code), now, subject_id=x.id, official_id=x.official_id,
            detail={"directive_id": x.directive_id, "title": x.title, "due_at": x.due_at.isoformat()},
        )
        for x in uow.conn.execute(OVERDUE_UNRAISED, {"kind": OVERDUE, "now": now})
    ]  # fmt: skip
    return raise_alerts(uow.conn, uow.keys, rows, checked=True)


def _escalate(ctx: Context, uow: UnitOfWork, now: datetime, top: _Tops) -> int:
    """An alert unanswered for one more period (neither acknowledged nor settled: the report received, the
    directive completed) goes one level up: the same alert, now with the unit above (escalated_to), never a copy.
    A missing report's period is its unit's; a directive's is ESCALATE_EVERY."""
    schedules = schedules_of(uow)
    shortest = min([*(s.period for s in schedules.values()), ESCALATE_EVERY])
    changes = []
    for kind in (MISSING, OVERDUE):
        found = uow.conn.execute(TO_ESCALATE, {"kind": kind, "before": now - shortest, "tops": top.roots()})
        for alert in found.mappings():
            schedule = schedules.get(level_of(alert["unit_code"]))
            period = schedule.period if kind == MISSING and schedule is not None else ESCALATE_EVERY
            if (alert["escalated_at"] or alert["raised_at"]) > now - period:
                continue
            target = top(alert["escalated_to"] or alert["target_unit"])
            if target is None:
                continue  # already at the top
            steps = (alert["escalations"] or alert["step"]) + 1
            changes.append((dict(alert), {"escalated_to": target, "escalated_at": now, "escalations": steps}))
    return change_alerts(uow.conn, uow.keys, changes)


def _escalate_problems(uow: UnitOfWork, now: datetime, top: Top) -> int:
    moves = []
    for problem in uow.reports.overdue_problems(now):
        due = PROBLEM_DUE[ProblemSeverity(problem["severity"])]
        moves.append(
            {
                "problem_id": problem["id"],
                "escalations": problem["escalations"] + 1,
                "due_at": now + due,
                "owner_unit": top(problem["owner_unit"]) or problem["owner_unit"],
            }
        )
    move_problems(uow.conn, moves)
    return len(moves)


def run_every_minute(ctx: Context, stop: threading.Event) -> None:
    """The server's watcher: one round a minute until stopped (on PostgreSQL under the watch's lock, as every
    runner there). A failed round is logged, never fatal."""
    from admitall.services.watch_runner import run_once  # it imports this module

    while True:
        try:
            run_once(ctx)
        except Exception:  # the next round tries again; the server keeps serving
            log.exception("chain watch round failed")
        if stop.wait(60):
            return
