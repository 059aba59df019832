"""The directives a jurisdiction received and those it issued, a page at a time with how many there are in all
(the page and its count from one query: store.paged). The views are those of services.directives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.directives import RecipientStatus
from admitall.domain.errors import InvalidInput
from admitall.domain.identity import nfkc
from admitall.services.context import Actor, Context
from admitall.services.directives import _directive_view, answerable, inbox_view, named
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields

# a receipt's status, or "pending": not completed yet (not acknowledged, or acknowledged)
STATUSES = ("pending", *(s.value for s in RecipientStatus))
SHOWN = ("received", "issued")  # the board's two lists, either alone


def received(
    ctx: Context,
    actor: Actor,
    *,
    roots: Sequence[str] | None = None,
    status: str = "",
    q: str = "",
    page: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """A page of what the jurisdiction's units (or those of `roots`) received from above, newest first, with the
    total; orders the jurisdiction gave itself are followed among those it issued. `q`: part of the title."""
    actor.require(Permission.VIEW_COUNTS)
    if status and status not in STATUSES:
        raise InvalidInput(
            "directives.status", f"状态无效：{status[:20]}", f"Invalid status: {status[:20]}", field="status"
        )
    page, size = bounded(page, size)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        rows: list[dict[str, Any]] = []
        total = 0
        if actor.unit_code is not None:  # the top gave every order itself
            rows, total = uow.directives.received_page(
                [actor.unit_code] if roots is None else list(roots),
                not_issued_within=actor.unit_code,
                status=status or None,
                title=nfkc(q).strip(),
                page=page,
                size=size,
            )
        names = uow.units.names({x["unit_code"] for x in rows})
        inbox = [inbox_view(x, names, now) for x in rows]
        named(uow, inbox)
        answerable(uow, actor, inbox)  # the acknowledge and complete buttons only where the actor may use them
    return {"received": inbox, "status": status, **page_fields(page, size, total)}


def issued(ctx: Context, actor: Actor, *, q: str = "", page: int = 1, size: int = DEFAULT_SIZE) -> dict[str, Any]:
    """A page of the directives issued within the jurisdiction (`q`: part of the title), newest first, each with
    where its recipients stand, and the total."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    with ctx.uow() as uow:
        rows, total = uow.directives.issued_page(actor.unit_code, title=nfkc(q).strip(), page=page, size=size)
        views = [_directive_view(uow, d) for d in rows]
        named(uow, views)
    return {"issued": views, **page_fields(page, size, total)}


def board(
    ctx: Context,
    actor: Actor,
    *,
    status: str = "",
    show: str = "",
    q: str = "",
    page: int = 1,
    ipage: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """Both lists a page at a time: what was received (its page `page`, its count `total`) and what was issued
    (page `ipage`, count `issued_total`); `show` one of them only ("received" or "issued")."""
    show = show if show in SHOWN else ""
    received_page = received(ctx, actor, status=status, q=q, page=page, size=size)
    issued_page = issued(ctx, actor, q=q, page=ipage, size=size)
    return {
        "as_of": ctx.clock.now().isoformat(),
        "received": received_page["received"] if show != "issued" else [],
        **page_fields(received_page["page"], received_page["size"], received_page["total"]),
        "issued": issued_page["issued"] if show != "received" else [],
        "issued_total": issued_page["total"],
        "ipage": issued_page["page"],
        "status": status,
        "show": show,
        "q": q,
    }
