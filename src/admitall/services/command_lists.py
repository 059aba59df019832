"""What waits for someone to act, as the command screen shows it: open alerts (the broken links among them),
open problems, open directives. Counted in full by the database; only the first few are listed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from admitall.domain.units import subtree_bounds
from admitall.services.watch import MISSING
from admitall.store.tables import alerts, report_problems
from admitall.store.tables_accountability import directive_recipients, directives
from admitall.store.uow import UnitOfWork


def _within(column: Any, root: str) -> ColumnElement[bool]:
    return column.between(*subtree_bounds(root))


def _counted(uow: UnitOfWork, table: Any, where: Any, flag: Any) -> tuple[int, int]:
    total, flagged = uow.conn.execute(
        select(func.count(), func.coalesce(func.sum(case((flag, 1), else_=0)), 0)).select_from(table).where(where)
    ).one()
    return int(total), int(flagged)


def open_alerts(uow: UnitOfWork, root: str, size: int) -> dict[str, Any]:
    """Alerts about the subtree or for it to act on, neither acknowledged nor resolved; newest first. A missing
    report is a broken link."""
    a = alerts.c
    where = and_(
        or_(_within(a.unit_code, root), _within(a.target_unit, root)),
        a.acknowledged_at.is_(None),
        a.resolved_at.is_(None),
    )
    total, broken = _counted(uow, alerts, where, a.kind == MISSING)
    rows = [
        dict(r._mapping)
        for r in uow.conn.execute(select(alerts).where(where).order_by(a.raised_at.desc(), a.id.desc()).limit(size))
    ]
    items = [
        {
            "id": x["id"],
            "kind": x["kind"],
            "unit_code": x["unit_code"],
            "target_unit": x["target_unit"],
            "step": x["step"],
            "consecutive": x["consecutive"],
            "raised_at": x["raised_at"].isoformat(),
            "period_start": x["period_start"].isoformat() if x["period_start"] else None,
        }
        for x in rows
    ]
    return {"open": total, "broken_links": broken, "items": items}


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
