"""Reading the audit log: who did what, and who read whose personal data, within the auditor's jurisdiction."""

from __future__ import annotations

from typing import Any

from admitall.domain.access import Permission
from admitall.domain.units import parent_of, subtree_bounds
from admitall.services.context import Actor, Context


def audit_trail(
    ctx: Context,
    actor: Actor,
    *,
    by: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """Newest first. Entries made at the server's console (no unit) are shown only to auditors of the whole
    tree, whose unit has no parent unit."""
    actor.require(Permission.VIEW_AUDIT)
    with ctx.uow() as uow:
        within, include_console = None, True
        if actor.unit_code is not None:
            within = subtree_bounds(actor.unit_code)
            parent = parent_of(actor.unit_code)
            include_console = parent is None or uow.units.get(parent) is None
        entries = uow.audit.entries(
            within=within,
            include_console=include_console,
            actor=by,
            action=action,
            target_type=target_type,
            target_id=target_id,
            limit=max(1, min(limit, 1000)),
        )
    return {"entries": [{**e, "at": e["at"].isoformat()} for e in entries]}
