"""Help requests for the people who act on them: the list (critical first, then the oldest; a page at a time with
the real total; limited to the user's subtree), one request with its trail, the community's one-tap actions, and
the command screen's counts.

Who may act on a request: the owning community's staff and the units above it, with the right to register people
(`may_act`: one rule for the button and for the service). Phones and ID numbers are masked, and the resident's
own words (symptoms) hidden, for roles that see personal data masked; every read of unmasked details is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update

from admitall.domain import help as rules
from admitall.domain.access import Permission, sees_people_at_desk_only
from admitall.domain.errors import Forbidden, InvalidInput
from admitall.domain.identity import mask_document, mask_phone
from admitall.domain.units import subtree_bounds
from admitall.services.auth import shown_names
from admitall.services.context import Actor, Context, not_found
from admitall.services.help_requests import link_pending, public_trail
from admitall.store.paged import bounded, fetch_page, page_fields
from admitall.store.repositories.alert_batch import change_alerts
from admitall.store.repositories.alert_states import OPEN as ALERT_OPEN
from admitall.store.tables import alerts
from admitall.store.tables_help import help_request_events, help_requests
from admitall.store.uow import UnitOfWork

HELP_OVERDUE = "help_overdue"
STATES = ("open", "closed", "all")
_r = help_requests.c
# critical first, then the longest waiting
_ORDER = (case((_r.urgency == rules.CRITICAL, 0), else_=1), _r.received_at, _r.id)


def within(root: str | None, state: str = "open", unit: str | None = None) -> Any:
    """The requests a list shows for a user whose jurisdiction is `root` (None: everywhere), in `state`, within
    `unit`'s subtree: the command screen counts with the same condition."""
    where = []
    if root is not None:
        where.append(_r.unit_code.between(*subtree_bounds(root)))
    if unit:
        where.append(_r.unit_code.between(*subtree_bounds(unit)))
    if state in (rules.OPEN, rules.CLOSED):
        where.append(_r.state == state)
    return and_(True, *where)


def _sees_requests(actor: Actor) -> bool:
    """A facility's desk sees its own patients only; a request is its community's business."""
    return actor.can(Permission.VIEW_PERSONS) and not (actor.unit_code and sees_people_at_desk_only(actor.role))


def may_act(actor: Actor | None, row: Mapping[str, Any]) -> bool:
    """Whether the actor may record an action on the request: it is open, and the actor registers people for its
    community or a unit above it. The page shows the buttons exactly where this holds; the service refuses
    elsewhere."""
    return (
        actor is not None
        and actor.can(Permission.REGISTER_PERSONS)
        and _sees_requests(actor)
        and row["state"] == rules.OPEN
        and actor.covers(row["unit_code"])
    )


def view(row: Mapping[str, Any], names: Mapping[str, str], actor: Actor, now: datetime) -> dict[str, Any]:
    """A request as the staff's pages show it: masked for masked roles, the resident's words only for the others."""
    unmasked = actor.can(Permission.SEE_PERSONAL_DATA)
    doc = row["document_number"]
    return {
        "id": row["id"],
        "number": row["number"],
        "received_at": row["received_at"].isoformat(),
        "unit_code": row["unit_code"],
        "unit_name": names.get(row["unit_code"], row["unit_code"]),
        "for_whom": row["for_whom"],
        "name": row["name"],
        "phone": row["phone"] if unmasked else mask_phone(row["phone"]),
        "document": (doc if unmasked else mask_document(doc)) if doc else None,
        "address": row["address"] if unmasked else "***",
        "symptoms": row["symptoms"] if unmasked else None,
        "symptoms_since": row["symptoms_since"],
        "breathless": row["breathless"],
        "fever_days": row["fever_days"],
        "age": row["age"],
        "chronic": row["chronic"],
        "told_contact": row["told_contact"],
        "tested_positive": row["tested_positive"],
        "urgency": row["urgency"],
        "deadline_at": row["deadline_at"].isoformat(),
        "overdue": row["state"] == rules.OPEN and row["acted_at"] is None and row["deadline_at"] <= now,
        "waiting_hours": round((now - row["received_at"]).total_seconds() / 3600, 1),
        "state": row["state"],
        "acted_at": row["acted_at"].isoformat() if row["acted_at"] else None,
        "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
        "close_reason": row["close_reason"],
        "person_id": row["person_id"],
        "repeats": row["repeats"],
        "masked": not unmasked,
        "may_act": may_act(actor, row),
    }


def _audit(ctx: Context, uow: UnitOfWork, actor: Actor, rows: list[Mapping[str, Any]], action: str) -> None:
    """Every read of requests on record, masked or not (a request is personal data from its first word): who,
    when, which requests, whether masked."""
    if rows:
        ids = [r["id"] for r in rows]
        uow.audit.record(
            ctx.clock.now(), actor.username, action, "help_request", ids[0] if len(ids) == 1 else None,
            unit=rows[0]["unit_code"] if len(ids) == 1 else actor.unit_code, request_ids=ids,
            masked=not actor.can(Permission.SEE_PERSONAL_DATA),
        )  # fmt: skip


def list_requests(
    ctx: Context, actor: Actor, *, state: str = "open", unit: str | None = None, page: int = 1, size: int = 50
) -> dict[str, Any]:
    """One page of the requests within the jurisdiction (critical first, then the oldest) with the real total."""
    actor.require(Permission.VIEW_PERSONS)
    if state not in STATES:
        raise InvalidInput(
            "help.state", "状态只能是未办结、已办结或全部", "state is open, closed or all", field="state"
        )
    page, size = bounded(page, size)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        scope = actor.scoped(unit) if unit else None
        if scope is not None and uow.units.get(scope) is None:
            raise not_found("unit", scope)
        if not _sees_requests(actor):
            rows, total = [], 0
        else:
            query = select(help_requests).where(within(actor.unit_code, state, scope)).order_by(*_ORDER)
            found, total = fetch_page(uow.conn, query, page, size)
            rows = [dict(r._mapping) for r in found]
        names = uow.units.names({r["unit_code"] for r in rows})
        shown = [view(r, names, actor, now) for r in rows]
        totals = counts(uow, actor.unit_code, now) if _sees_requests(actor) else None
        _audit(ctx, uow, actor, rows, "read_help_requests")
        uow.commit()
    return {
        "requests": shown,
        **page_fields(page, size, total),
        "state": state,
        "unit": scope,
        "counts": totals or {"open": 0, "critical": 0, "overdue": 0, "oldest_received_at": None},
        "masked": not actor.can(Permission.SEE_PERSONAL_DATA),
        "actions": list(rules.ACTIONS),
        "close_reasons": list(rules.CLOSE_REASONS),
        "may_act_any": any(r["may_act"] for r in shown),
    }


def counts(uow: UnitOfWork, root: str | None, now: datetime) -> dict[str, Any]:
    """Open requests within the jurisdiction, the critical and the overdue among them, and the oldest one's time:
    one statement, over the list's own condition."""
    total, critical, overdue, oldest = uow.conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((_r.urgency == rules.CRITICAL, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(_r.acted_at.is_(None), _r.deadline_at <= now), 1), else_=0)), 0),
            func.min(_r.received_at),
        ).where(within(root, rules.OPEN))
    ).one()
    if isinstance(oldest, str):  # min() loses the column's type on SQLite
        oldest = datetime.fromisoformat(oldest)
    return {
        "open": int(total),
        "critical": int(critical),
        "overdue": int(overdue),
        "oldest_received_at": oldest.isoformat() if oldest else None,
    }


def screen_tile(uow: UnitOfWork, root: str | None, now: datetime, size: int = 5) -> dict[str, Any]:
    """The command screen's tile: the counts and the oldest few open requests (critical first): numbers, units and
    times, never a name (the screen is on the wall)."""
    rows = uow.conn.execute(
        select(_r.id, _r.number, _r.unit_code, _r.urgency, _r.received_at, _r.deadline_at, _r.acted_at)
        .where(within(root, rules.OPEN))
        .order_by(*_ORDER)
        .limit(size)
    ).all()
    names = uow.units.names({r.unit_code for r in rows})
    return {
        **counts(uow, root, now),
        "items": [
            {
                "id": r.id,
                "number": r.number,
                "unit_code": r.unit_code,
                "unit_name": names.get(r.unit_code, r.unit_code),
                "urgency": r.urgency,
                "received_at": r.received_at.isoformat(),
                "overdue": r.acted_at is None and r.deadline_at <= now,
            }
            for r in rows
        ],
    }


def _load(uow: UnitOfWork, actor: Actor, request_id: int) -> dict[str, Any]:
    row = uow.conn.execute(select(help_requests).where(_r.id == request_id)).first()
    if row is None or not _sees_requests(actor) or not actor.covers(row.unit_code):
        raise not_found("help_request", request_id)
    return dict(row._mapping)


def get_request(ctx: Context, actor: Actor, request_id: int) -> dict[str, Any]:
    """One request with its whole trail (staff see every kind, with who acted), audited."""
    actor.require(Permission.VIEW_PERSONS)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        row = _load(uow, actor, request_id)
        e = help_request_events.c
        events = [
            dict(x._mapping)
            for x in uow.conn.execute(select(help_request_events).where(e.request_id == request_id).order_by(e.id))
        ]
        who = shown_names(uow, {x["actor"] for x in events})
        names = uow.units.names(
            {row["unit_code"], *(x["detail"].get("unit_code") for x in events if x["detail"].get("unit_code"))}
        )
        result = view(row, names, actor, now)
        result["trail"] = [
            {
                "kind": x["kind"],
                "at": x["at"].isoformat(),
                "actor": x["actor"],
                "actor_name": who.get(x["actor"], x["actor"]),
                "unit_name": names.get(x["detail"].get("unit_code", "")),
                "reason": x["detail"].get("reason"),
                "urgency": x["detail"].get("urgency"),
            }
            for x in events
        ]
        result["public_trail"] = public_trail(uow, _Row(row))
        _audit(ctx, uow, actor, [row], "read_help_request")
        uow.commit()
    return result


class _Row:
    """A row's mapping read as attributes (public_trail reads rows so)."""

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self.__dict__.update(mapping)


def act(ctx: Context, actor: Actor, request_id: int, action: str, reason: str | None = None) -> dict[str, Any]:
    """Record one action of the community (called, visited, registered, sent to a fever clinic, closed with one
    of the reasons): an event on the request's trail, audited; the first stops its clock and settles its overdue
    alert. "registered" links the request to the registry now if it is not yet."""
    if action not in rules.ACTIONS:
        raise InvalidInput("help.action", "未知的处置", f"Unknown action {action}", field="action")
    if action == "closed" and reason not in rules.CLOSE_REASONS:
        raise InvalidInput("help.reason", "请选择办结原因", "Choose the reason for closing", field="reason")
    actor.require(Permission.REGISTER_PERSONS)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        row = _load(uow, actor, request_id)
        if not may_act(actor, row):
            if row["state"] != rules.OPEN:
                raise InvalidInput("help.closed", "该求助已办结", "This request is closed already")
            raise Forbidden(
                "help.not_yours",
                "只有所属社区及其上级单位可以处置此求助",
                "Only the request's community or a unit above it can act on it",
            )
        values: dict[str, Any] = {"acted_at": row["acted_at"] or now}
        detail: dict[str, Any] = {}
        if action == "closed":
            values.update(state=rules.CLOSED, closed_at=now, close_reason=reason)
            detail["reason"] = reason
        uow.conn.execute(update(help_requests).where(_r.id == request_id).values(**values))
        uow.conn.execute(
            insert(help_request_events).values(
                request_id=request_id, at=now, kind=action, actor=actor.username, detail=detail
            )
        )
        settle_alerts(uow, [request_id], now)
        uow.audit.record(
            now,
            actor.username,
            f"help_request_{action}",
            "help_request",
            request_id,
            unit=row["unit_code"],
            reason=reason,
        )
        uow.commit()
    if action == "registered" and row["linked_at"] is None:
        link_pending(ctx, [request_id])
    return get_request(ctx, actor, request_id)


def settle_alerts(uow: UnitOfWork, request_ids: list[int], now: datetime) -> int:
    """The open overdue alerts of requests acted on: resolved (each sealed again)."""
    if not request_ids:
        return 0
    c = alerts.c
    found = uow.conn.execute(
        select(alerts).where(c.kind == HELP_OVERDUE, ALERT_OPEN, c.subject_id.in_(request_ids))
    ).mappings()
    return change_alerts(uow.conn, uow.keys, [(dict(a), {"resolved_at": now}) for a in found])
