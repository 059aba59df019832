"""Where an alert stands, as SQL conditions shared by every reader (the watch, the alerts page, the command
screen, the board, a report that answers a miss), so that a number on one page is the number another counts.

- unsettled: still about something that has not happened (not resolved by the report or completion it waits
  for, not expired into the record, not folded into another alert of the same broken link);
- open: unsettled and not acknowledged either: someone still has to act on it (the inbox, the counts);
- expired: a miss that a later period's report left behind: in the record and the history, in nobody's inbox.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, true
from sqlalchemy.sql.elements import ColumnElement

from admitall.domain.units import subtree_bounds
from admitall.store.tables import alerts

_c = alerts.c

UNSETTLED = and_(_c.resolved_at.is_(None), _c.expired_at.is_(None), _c.folded_into.is_(None))
OPEN = and_(UNSETTLED, _c.acknowledged_at.is_(None))
EXPIRED = _c.expired_at.is_not(None)
# the unit that must act now: the one above the unit concerned, or where the alert has gone up to since
acting_unit = func.coalesce(_c.escalated_to, _c.target_unit)
# when the alert last moved (raised, or gone up one level): it goes up again one period after
last_moved = func.coalesce(_c.escalated_at, _c.raised_at)
# how the partial index of open alerts reads (migration 0018_alert_running_miss)
OPEN_SQL = "acknowledged_at IS NULL AND resolved_at IS NULL AND expired_at IS NULL AND folded_into IS NULL"


# which alerts a list shows: open (someone must act), expired (left in the record), or all of them
STATES = ("open", "expired", "all")


def listed(root: str | None, state: str = "open", unit: str | None = None, kind: str | None = None) -> Any:
    """The alerts a list shows for a user whose jurisdiction is `root` (None: everywhere): those about a unit in
    it (the unit that must act is always the one concerned or above it, so this is also every alert it must act
    on), in the state asked, about `unit`'s subtree, of `kind`. The alerts page, the command screen's counts and
    the board all read through this one condition."""
    where: list[ColumnElement[bool]] = []
    if root is not None:
        where.append(_c.unit_code.between(*subtree_bounds(root)))
    if unit:
        where.append(_c.unit_code.between(*subtree_bounds(unit)))
    if kind:
        where.append(_c.kind == kind)
    if state == "open":
        where.append(OPEN)
    elif state == "expired":
        where.append(EXPIRED)
    else:
        where.append(_c.folded_into.is_(None))  # a folded alert is shown as the one it was folded into
    return and_(true(), *where)


def state_of(row: Any) -> str:
    """One word for where an alert stands: open, acknowledged, resolved, expired or folded."""
    if row["folded_into"] is not None:
        return "folded"
    if row["expired_at"] is not None:
        return "expired"
    if row["resolved_at"] is not None:
        return "resolved"
    if row["acknowledged_at"] is not None:
        return "acknowledged"
    return "open"
