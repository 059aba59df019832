"""Watching the chain (掉链子): missing reports raise alerts at their deadline and escalate; so do directives
past their due time; a unit without a responsible lead is an alert; problems that need help escalate when
overdue; measurable directives the registry shows done are completed; the scorecards are kept current; yesterday's
public bulletin is counted and kept; the census's changes are folded in. Run every minute by one runner at a time;
acknowledging and resolving by people.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.directives import ESCALATE_EVERY
from admitall.domain.errors import Forbidden, InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.officials import LeadAssignment
from admitall.domain.reporting import PROBLEM_DUE, ProblemSeverity
from admitall.domain.units import level_of, parent_of
from admitall.services.bulletin import publish_yesterday
from admitall.services.chain_heads import record_yesterday
from admitall.services.context import Actor, Context, not_found
from admitall.services.directives import OVERDUE, complete_measured
from admitall.services.officials import NO_LEAD
from admitall.services.reporting import chain_status
from admitall.services.reporting_rules import schedules_of
from admitall.services.scorecards import refresh
from admitall.store.repositories.alert_batch import (
    NO_LEAD_UNRAISED,
    OVERDUE_UNRAISED,
    TO_ESCALATE,
    UNIT_CODES,
    move_problems,
    raise_alerts,
)
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

JOB = "chain_watch"
LEASE = timedelta(minutes=2)
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


def watch(ctx: Context, holder: str = RUNNER) -> dict[str, Any]:
    """One round: raise alerts for reports missing at their deadline, escalate unanswered alerts one level per
    period, escalate overdue problems. Does nothing (and says so) if another runner holds the lease."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        if not uow.reports.take_lease(JOB, holder, now, LEASE):
            return {"ran": False, "reason": "another runner holds the lease"}
        uow.commit()
    try:
        with ctx.uow(write=True) as uow:
            leads = uow.officials.leads_now(None)
            top = _tops(uow)
            raised = _raise_missing(ctx, uow, now, leads, top)
            vacant = _raise_no_lead(uow, now, top)
            completed = complete_measured(uow, now)
            overdue = _raise_overdue(uow, now, top)
            escalated = _escalate(ctx, uow, now, top)
            problems = _escalate_problems(uow, now, top)
            folded = uow.census.fold()
            uow.commit()
        cards = refresh(ctx)
        heads = record_yesterday(ctx)
        published = publish_yesterday(ctx)
    finally:
        with ctx.uow(write=True) as uow:
            uow.reports.release_lease(JOB, holder, now)
            uow.commit()
    return {
        "ran": True,
        "raised": raised,
        "units_without_lead": vacant,
        "directives_completed_by_registry": completed,
        "directives_overdue": overdue,
        "escalated": escalated,
        "problems_escalated": problems,
        "scorecards": cards,
        "bulletin_published": published,
        "chain_heads_recorded": heads,
        "census_changes_folded": folded,
    }


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


def _raise_missing(ctx: Context, uow: UnitOfWork, now: datetime, leads: dict[str, LeadAssignment], top: Top) -> int:
    status = chain_status(ctx, uow, None, now - LOOKBACK, now)
    missing = {key for key, state in status.items() if state == "missing"}
    schedules = schedules_of(uow)
    rows = []
    for code, start in sorted(missing):
        schedule = schedules[level_of(code)]
        consecutive = 2 if (code, start - schedule.period) in missing else 1
        detail = {
            "period_start": start.isoformat(),
            "deadline": (start + schedule.period + schedule.grace).isoformat(),
            "two_in_a_row": consecutive > 1,
        }
        rows.append(
            _alert(
                MISSING, code, start, top(code), now, consecutive=consecutive, detail=detail,
                official_id=_official(leads, code),
            )
        )  # fmt: skip
    return raise_alerts(uow.conn, uow.keys, rows)


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
    """An alert unanswered for one more period (neither acknowledged nor resolved: the report received, the
    directive completed) goes one level up. A directive's period is ESCALATE_EVERY."""
    schedules = schedules_of(uow)
    shortest = min([*(s.period for s in schedules.values()), ESCALATE_EVERY])
    rows = []
    for kind in (MISSING, OVERDUE):
        found = uow.conn.execute(TO_ESCALATE, {"kind": kind, "before": now - shortest, "tops": top.roots()})
        for alert in found.mappings():
            schedule = schedules.get(level_of(alert["unit_code"]))
            period = schedule.period if kind == MISSING and schedule is not None else ESCALATE_EVERY
            if alert["raised_at"] > now - period:
                continue
            target = top(alert["target_unit"])
            if target is None:
                continue  # already at the top
            rows.append(
                _alert(
                    kind, alert["unit_code"], alert["period_start"], target, now, step=alert["step"] + 1,
                    consecutive=alert["consecutive"], subject_id=alert["subject_id"], official_id=alert["official_id"],
                    detail={**alert["detail"], "escalated_from": alert["target_unit"]},
                )
            )  # fmt: skip
    return raise_alerts(uow.conn, uow.keys, rows)


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


def _alert_view(a: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": a["id"],
        "kind": a["kind"],
        "unit_code": a["unit_code"],
        "unit_name": names.get(a["unit_code"]),
        "target_unit": a["target_unit"],
        "target_name": names.get(a["target_unit"] or ""),
        "step": a["step"],
        "consecutive": a["consecutive"],
        "period_start": a["period_start"].isoformat() if a["period_start"] else None,
        "raised_at": a["raised_at"].isoformat(),
        "resolved_at": a["resolved_at"].isoformat() if a["resolved_at"] else None,
        "acknowledged_at": a["acknowledged_at"].isoformat() if a["acknowledged_at"] else None,
        "acknowledged_by": a["acknowledged_by"],
        "note": a["ack_note"],
        "detail": a["detail"],
        "subject_id": a["subject_id"] or None,
        "official_id": a["official_id"],
    }


def inbox(ctx: Context, actor: Actor, *, open_only: bool = True) -> dict[str, Any]:
    """Alerts for the actor's jurisdiction: those it must act on, and those about its own units."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        found = uow.reports.alerts_for(actor.unit_code, open_only=open_only)
        names = uow.units.names({a["unit_code"] for a in found} | {a["target_unit"] for a in found if a["target_unit"]})
        leads = uow.officials.named(a["official_id"] for a in found if a["official_id"])
    return {
        "alerts": [
            {
                **_alert_view(a, names),
                "official_name": leads[a["official_id"]].name if a["official_id"] in leads else None,
            }
            for a in found
        ]
    }


def acknowledge(ctx: Context, actor: Actor, alert_id: int, note: str | None = None) -> dict[str, Any]:
    """Recorded: who acknowledged, when, with what note. An acknowledged alert escalates no further. Only the
    unit that must act (or one above it) acknowledges: not the unit the alert is about."""
    actor.require(Permission.HANDLE_ALERTS)
    check_row("alerts", {"ack_note": nfkc(note or "")}, multiline=("ack_note",))
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        alert = uow.reports.alert(alert_id)
        if alert is None or not (actor.covers(alert["unit_code"]) or actor.covers(alert["target_unit"] or "")):
            raise not_found("alert", alert_id)
        if alert["target_unit"] is None or not actor.covers(alert["target_unit"]):
            raise Forbidden(
                "alert.not_yours",
                "只有负责处理的上级单位可以确认此警报",
                "Only the unit that must act on this alert (or one above it) can acknowledge it",
            )
        uow.reports.acknowledge(alert_id, actor.username, nfkc(note or "") or None, now)
        uow.audit.record(
            now, actor.username, "acknowledge_alert", "alert", alert_id, unit=alert["unit_code"], note=note
        )
        names = uow.units.names([alert["unit_code"], alert["target_unit"] or ""])
        view = _alert_view(uow.reports.alert(alert_id) or alert, names)
        uow.commit()
    return view


def problems(ctx: Context, actor: Actor, *, status: str | None = "open") -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        found = uow.reports.problems(actor.unit_code, status=status)
        names = uow.units.names({p["unit_code"] for p in found} | {p["owner_unit"] for p in found if p["owner_unit"]})
    return {
        "problems": [
            {
                **p,
                "unit_name": names.get(p["unit_code"]),
                "owner_name": names.get(p["owner_unit"] or ""),
                **{k: p[k].isoformat() for k in ("due_at", "raised_at", "resolved_at") if p[k]},
            }
            for p in found
        ]
    }


def resolve_problem(ctx: Context, actor: Actor, problem_id: int, note: str) -> dict[str, Any]:
    """A problem is resolved by its owner (or above), and only with a note saying how."""
    actor.require(Permission.HANDLE_ALERTS)
    text = nfkc(note or "")
    check_row("report_problems", {"resolution_note": text}, multiline=("resolution_note",))
    if not text:
        raise InvalidInput(
            "problem.needs_note",
            "解决问题必须说明如何解决",
            "Resolving a problem needs a note saying how",
            field="note",
        )
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        problem = uow.reports.problem(problem_id)
        if problem is None or problem["status"] != "open" or not actor.covers(problem["owner_unit"] or ""):
            raise not_found("problem", problem_id)
        uow.reports.update_problem(
            problem_id, status="resolved", resolved_at=now, resolved_by=actor.username, resolution_note=text[:2000]
        )
        uow.audit.record(
            now, actor.username, "resolve_problem", "problem", problem_id, unit=problem["unit_code"], note=text
        )
        uow.commit()
    return {"id": problem_id, "status": "resolved", "resolved_at": now.isoformat(), "note": text}


def run_every_minute(ctx: Context, stop: threading.Event) -> None:
    """The server's watcher: one round a minute until stopped. A failed round is logged, never fatal."""
    while True:
        try:
            watch(ctx)
        except Exception:  # the next round tries again; the server keeps serving
            log.exception("chain watch round failed")
        if stop.wait(60):
            return
