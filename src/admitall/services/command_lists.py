"""What waits for someone to act, as the command screen shows it: open alerts (the broken links among them),
open problems, open directives. Counted in full by the database; only the first few are listed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from admitall.domain.units import subtree_bounds
from admitall.services import alert_inbox
from admitall.services.context import Actor
from admitall.store.tables import report_problems
from admitall.store.tables_accountability import directive_recipients, directives
from admitall.store.uow import UnitOfWork


def _within(column: Any, root: str) -> ColumnElement[bool]:
    return column.between(*subtree_bounds(root))


def _counted(uow: UnitOfWork, table: Any, where: Any, flag: Any) -> tuple[int, int]:
    total, flagged = uow.conn.execute(
        select(func.count(), func.coalesce(func.sum(case((flag, 1), else_=0)), 0)).select_from(table).where(where)
    ).one()
    return int(total), int(flagged)


def open_alerts(uow: UnitOfWork, root: str, size: int, actor: Actor | None = None) -> dict[str, Any]:
    """Alerts about the subtree that someone must still act on, newest first: the open count and the broken
    links (missing reports) are the alerts page's own numbers for the same unit (services.alert_inbox)."""
    return alert_inbox.open_alerts(uow, root, size, actor)


def open_problems(uow: UnitOfWork, root: str, now: datetime, size: int) -> dict[str, Any]:
    """Problems raised in the subtree, or owned by a unit in it, still open; those most overdue first."""
    p = report_problems.c
    where = and_(or_(_within(p.unit_code, root), _within(p.owner_unit, root)), p.status == "open")
    total, overdue = _counted(uow, report_problems, where, and_(p.due_at.is_not(None), p.due_at <= now))
    query = select(report_problems).where(where).order_by(p.due_at.is_(None), p.due_at, p.id).limit(size)
    items = [
        {
            "id": x.id,
            "unit_code": x.unit_code,
            "type": x.type,
            "severity": x.severity,
            "description": x.description,
            "owner_unit": x.owner_unit,
            "due_at": x.due_at.isoformat() if x.due_at else None,
            "overdue": bool(x.due_at and x.due_at <= now),
        }
        for x in uow.conn.execute(query)
    ]
    return {"open": total, "overdue": overdue, "items": items}


def open_directives(uow: UnitOfWork, root: str, now: datetime, size: int) -> dict[str, Any]:
    """Directives units in the subtree received and have not completed; the soonest due first."""
    r, d = directive_recipients.c, directives.c
    where = and_(_within(r.unit_code, root), r.status != "completed")
    total, overdue = _counted(uow, directive_recipients, where, r.due_at <= now)
    query = (
        select(r.id, r.directive_id, r.unit_code, r.status, r.due_at, d.title)
        .join(directives, d.id == r.directive_id)
        .where(where)
        .order_by(r.due_at, r.id)
        .limit(size)
    )
    items = [
        {
            "recipient_id": x.id,
            "directive_id": x.directive_id,
            "title": x.title,
            "unit_code": x.unit_code,
            "status": x.status,
            "due_at": x.due_at.isoformat(),
            "overdue": x.due_at <= now,
        }
        for x in uow.conn.execute(query)
    ]
    return {"open": total, "overdue": overdue, "items": items}
