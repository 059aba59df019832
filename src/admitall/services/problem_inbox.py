"""The problems reports raised, as a person sees and answers them: one page with the real total, who may resolve
which (one rule for the button and for the service), and resolving with a note saying how."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, or_, select, true

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.units import subtree_bounds
from admitall.services.context import Actor, Context, not_found
from admitall.store.paged import bounded, fetch_page, page_fields
from admitall.store.tables import report_problems
from admitall.store.text_limits import check_row

SIZE = 50
STATUSES = ("open", "noted", "resolved", "all")
_p = report_problems.c


def may_resolve(actor: Actor | None, problem: Mapping[str, Any]) -> bool:
    """Whether the actor may resolve the problem: it is open and the actor handles alerts for the unit that owns
    it (the unit above the one that raised it, when it needs help) or a unit above that."""
    return (
        actor is not None
        and actor.can(Permission.HANDLE_ALERTS)
        and problem["status"] == "open"
        and actor.covers(problem["owner_unit"] or "")
    )


def _within(column: Any, root: str) -> Any:
    return column.between(*subtree_bounds(root))


def listed(root: str | None, status: str, unit: str | None = None) -> Any:
    """Problems raised in the subtree or owned by a unit in it, in the status asked, about `unit`'s subtree."""
    where: list[Any] = [true()]
    if root is not None:
        where.append(or_(_within(_p.unit_code, root), _within(_p.owner_unit, root)))
    if unit:
        where.append(_within(_p.unit_code, unit))
    if status != "all":
        where.append(_p.status == status)
    return and_(*where)


def problems(
    ctx: Context, actor: Actor, *, status: str | None = "open", unit: str | None = None, page: int = 1, size: int = SIZE
) -> dict[str, Any]:
    """One page of the problems (newest first) with the list's total; each says whether this user may resolve it."""
    actor.require(Permission.VIEW_COUNTS)
    status = status or "all"
    if status not in STATUSES:
        raise InvalidInput(
            "problems.status",
            "问题状态只能是未解决、仅记录、已解决或全部",
            "status is open, noted, resolved or all",
            field="status",
        )
    page, size = bounded(page, size)
    with ctx.uow() as uow:
        within = actor.scoped(unit) if unit else None
        query = select(report_problems).where(listed(actor.unit_code, status, within)).order_by(_p.id.desc())
        rows, total = fetch_page(uow.conn, query, page, size)
        found = [dict(r._mapping) for r in rows]
        names = uow.units.names({p["unit_code"] for p in found} | {p["owner_unit"] for p in found if p["owner_unit"]})
    return {
        "problems": [
            {
                **p,
                "unit_name": names.get(p["unit_code"]),
                "owner_name": names.get(p["owner_unit"] or ""),
                **{k: p[k].isoformat() for k in ("due_at", "raised_at", "resolved_at") if p[k]},
                "may_resolve": may_resolve(actor, p),
            }
            for p in found
        ],
        **page_fields(page, size, total),
        "status": status,
        "unit": within,
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
        if problem is None or not may_resolve(actor, problem):
            raise not_found("problem", problem_id)
        uow.reports.update_problem(
            problem_id, status="resolved", resolved_at=now, resolved_by=actor.username, resolution_note=text[:2000]
        )
        uow.audit.record(
            now, actor.username, "resolve_problem", "problem", problem_id, unit=problem["unit_code"], note=text
        )
        uow.commit()
    return {"id": problem_id, "status": "resolved", "resolved_at": now.isoformat(), "note": text}
