"""Reading the audit log: who did what, and who read whose personal data, within the auditor's jurisdiction."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput
from admitall.domain.units import parent_of, subtree_bounds
from admitall.services.auth import shown_names
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields


def audit_trail(
    ctx: Context,
    actor: Actor,
    *,
    by: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    unit: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """A page of the entries, newest first, with how many match in all: by who (`by`), what (`action`), a unit's
    subtree within the jurisdiction (`unit`) and the city's days `since` to `until` (both included, YYYY-MM-DD).
    Entries made at the server's console (no unit) are shown only to auditors of the whole tree, whose unit has
    no parent unit, and only while no unit is asked for."""
    actor.require(Permission.VIEW_AUDIT)
    page, size = bounded(page, size)
    start = _day_start(ctx, since, "since")
    end = _day_start(ctx, until, "until", next_day=True)
    with ctx.uow() as uow:
        within, include_console = None, True
        if actor.unit_code is not None:
            within = subtree_bounds(actor.unit_code)
            parent = parent_of(actor.unit_code)
            include_console = parent is None or uow.units.get(parent) is None
        if unit:
            within, include_console = subtree_bounds(unit_in_scope(uow, actor, unit)), False
        entries, total = uow.audit.page(
            within=within,
            include_console=include_console,
            actor=by or None,
            action=action or None,
            target_type=target_type or None,
            target_id=target_id or None,
            since=start,
            until=end,
            page=page,
            size=size,
        )
        who = shown_names(uow, {e["actor"] for e in entries})  # by the name they go by (services.auth)
    shown = [{**e, "at": e["at"].isoformat(), "actor_name": who.get(e["actor"], e["actor"])} for e in entries]
    return {"entries": shown, **page_fields(page, size, total)}


def _day_start(ctx: Context, text: str | None, field: str, *, next_day: bool = False) -> datetime | None:
    """The start of a city day written YYYY-MM-DD (of the day after, for an inclusive end), or None if blank."""
    if not text or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "audit.bad_day",
            f"日期格式应为 YYYY-MM-DD：{text[:20]}",
            f"A day is written YYYY-MM-DD: {text[:20]}",
            field=field,
        ) from None
    return datetime.combine(day + timedelta(days=1 if next_day else 0), time(), ctx.settings.tz)
