"""The watch round's part for help requests: a request nobody acted on by its deadline raises an alert to the unit
above its community (kind help_overdue, in the same alert inbox as a missed report), which goes one level further
up each further period of the request's urgency (1 h critical, 6 h otherwise: the policy's help_request_hours)
while nobody acts; an action on the request resolves it (services.help_request_lists.act, and here for any left
over). Throttle rows too old to count are let go. Called by services.watch inside the round's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from admitall.domain import help as rules
from admitall.domain.policy import Policy
from admitall.services.help_request_lists import HELP_OVERDUE, settle_alerts
from admitall.store.repositories.alert_batch import change_alerts, raise_alerts
from admitall.store.repositories.alert_states import OPEN as ALERT_OPEN
from admitall.store.tables import alerts
from admitall.store.tables_help import help_requests, help_throttle
from admitall.store.uow import UnitOfWork

_r = help_requests.c
_a = alerts.c
# requests past their deadline that nobody acted on and whose alert is not raised yet: one statement
_OVERDUE_UNRAISED = select(_r.id, _r.number, _r.unit_code, _r.urgency, _r.deadline_at).where(
    _r.state == rules.OPEN,
    _r.acted_at.is_(None),
    ~select(_a.id).where(_a.kind == HELP_OVERDUE, _a.subject_id == _r.id, _a.step == 0).exists(),
)
# open requests' alerts settled once acted on (or closed): the ids to resolve
_ACTED_WITH_OPEN_ALERT = (
    select(_a.subject_id)
    .join(help_requests, _r.id == _a.subject_id)
    .where(_a.kind == HELP_OVERDUE, ALERT_OPEN, _r.acted_at.is_not(None))
)


def watch_help(
    uow: UnitOfWork, now: datetime, top: Callable[[str | None], str | None], policy: Policy
) -> dict[str, int]:
    """Raise, escalate and resolve the help requests' alerts; returns how many of each."""
    overdue = list(uow.conn.execute(_OVERDUE_UNRAISED.where(_r.deadline_at <= now)))
    leads = uow.officials.leads_now(None) if overdue else {}  # the community's lead is told as well
    rows = [
        {
            "kind": HELP_OVERDUE,
            "unit_code": r.unit_code,
            "period_start": r.deadline_at,
            "target_unit": top(r.unit_code) or r.unit_code,
            "step": 0,
            "consecutive": 1,
            "raised_at": now,
            "subject_id": r.id,
            "official_id": leads[r.unit_code].official_id if r.unit_code in leads else None,
            "detail": {"number": r.number, "urgency": r.urgency, "deadline": r.deadline_at.isoformat()},
        }
        for r in overdue
    ]
    raised = raise_alerts(uow.conn, uow.keys, rows, checked=True)
    resolved = settle_alerts(uow, list(uow.conn.execute(_ACTED_WITH_OPEN_ALERT).scalars()), now)
    escalated = _escalate(uow, now, top, policy)
    uow.conn.execute(delete(help_throttle).where(help_throttle.c.at < now - timedelta(days=1, hours=1)))
    return {"help_overdue_raised": raised, "help_overdue_escalated": escalated, "help_overdue_resolved": resolved}


def _escalate(uow: UnitOfWork, now: datetime, top: Callable[[str | None], str | None], policy: Policy) -> int:
    """One level up per period of the request's urgency since the alert last moved (never above the top)."""
    changes: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for alert in uow.conn.execute(select(alerts).where(_a.kind == HELP_OVERDUE, ALERT_OPEN)).mappings():
        period = policy.help_deadline.get(alert["detail"].get("urgency", rules.NORMAL), timedelta(hours=6))
        if (alert["escalated_at"] or alert["raised_at"]) > now - period:
            continue
        target = top(alert["escalated_to"] or alert["target_unit"])
        if target is None:
            continue
        steps = (alert["escalations"] or alert["step"]) + 1
        changes.append((dict(alert), {"escalated_to": target, "escalated_at": now, "escalations": steps}))
    return change_alerts(uow.conn, uow.keys, changes)
