"""The alerts a person sees and answers: one page of them with the real total (the same condition the command
screen counts with: store.repositories.alert_states.listed), who may acknowledge which (one rule for the button
and for the service), and acknowledging several at once, each checked and each refusal named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import case, func, select

from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, Forbidden, InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.supplies import default_supply_policy
from admitall.services.auth import shown_names
from admitall.services.context import Actor, Context, not_found
from admitall.services.supply_watch import SUPPLY_SHORT
from admitall.store.paged import bounded, fetch_page, page_fields
from admitall.store.repositories.alert_states import STATES, listed, state_of
from admitall.store.repositories.reports import MISSING_REPORT
from admitall.store.tables import alerts
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

SIZE = 50
# more than a page at once is a mistake (or a script that should use the API one page at a time)
MAX_AT_ONCE = 200
_c = alerts.c
_NEWEST_FIRST = (_c.raised_at.desc(), _c.id.desc())


def may_acknowledge(actor: Actor | None, alert: Mapping[str, Any]) -> bool:
    """Whether the actor may acknowledge the alert: it is open, and the actor handles alerts for the unit that
    must act on it (the one above the unit concerned) or a unit above that. Not the unit the alert is about, nor
    a unit beside it. The page shows the button exactly where this holds; the service refuses where it does not."""
    return (
        actor is not None
        and actor.can(Permission.HANDLE_ALERTS)
        and state_of(alert) == "open"
        and alert["target_unit"] is not None
        and actor.covers(alert["target_unit"])
    )


def counts(uow: UnitOfWork, root: str | None, unit: str | None = None, kind: str | None = None) -> dict[str, int]:
    """Open alerts about the subtree and, among them, the broken links (missing reports), by one statement over
    the same condition the alerts page lists them with."""
    total, broken = uow.conn.execute(
        select(func.count(), func.coalesce(func.sum(case((_c.kind == MISSING_REPORT, 1), else_=0)), 0))
        .select_from(alerts)
        .where(listed(root, "open", unit, kind))
    ).one()
    return {"open": int(total), "broken_links": int(broken)}


def open_by_kind(ctx: Context, actor: Actor) -> dict[str, Any]:
    """The open alerts about the actor's jurisdiction, in all and by kind (counted by the database)."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        found = uow.conn.execute(
            select(_c.kind, func.count()).where(listed(actor.unit_code, "open")).group_by(_c.kind).order_by(_c.kind)
        ).all()
    by_kind = {str(kind): int(n) for kind, n in found}
    return {"open": sum(by_kind.values()), "by_kind": by_kind}


def view(a: Mapping[str, Any], names: Mapping[str, str], actor: Actor | None) -> dict[str, Any]:
    """An alert as the pages and the API show it: where it stands, who must act now, how many periods a running
    miss has lasted, and whether this user may acknowledge it."""

    def when(key: str) -> str | None:
        return a[key].isoformat() if a[key] else None

    acting = a["escalated_to"] or a["target_unit"]
    return {
        "id": a["id"],
        "kind": a["kind"],
        "state": state_of(a),
        "unit_code": a["unit_code"],
        "unit_name": names.get(a["unit_code"]),
        "target_unit": acting,
        "target_name": names.get(acting or ""),
        "responsible_unit": a["target_unit"],
        "step": a["escalations"] or a["step"],
        "periods_missed": a["periods_missed"] or 1,
        "consecutive": a["periods_missed"] or a["consecutive"],
        "period_start": when("period_start"),
        "last_period_start": when("last_period_start") or when("period_start"),
        "raised_at": when("raised_at"),
        "escalated_at": when("escalated_at"),
        "resolved_at": when("resolved_at"),
        "resolved_report": a["resolved_report"],
        "expired_at": when("expired_at"),
        "acknowledged_at": when("acknowledged_at"),
        "acknowledged_by": a["acknowledged_by"],
        "note": a["ack_note"],
        "detail": a["detail"],
        "subject_id": a["subject_id"] or None,
        "official_id": a["official_id"],
        "may_acknowledge": may_acknowledge(actor, a),
    }


def views(uow: UnitOfWork, actor: Actor, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The views of many alerts, their units' and leads' names read by one statement each."""
    names = uow.units.names(
        {a["unit_code"] for a in rows} | {a["escalated_to"] or a["target_unit"] for a in rows} - {None}
    )
    leads = uow.officials.named(a["official_id"] for a in rows if a["official_id"])
    who = shown_names(uow, {a["acknowledged_by"] for a in rows if a["acknowledged_by"]})  # by the name they go by
    readable = _supply_details(uow, rows)
    return [
        {
            **view(a, names, actor),
            "detail": readable.get(a["id"], a["detail"]),
            "official_name": leads[a["official_id"]].name if a["official_id"] in leads else None,
            "acknowledged_by_name": who.get(a["acknowledged_by"] or ""),
        }
        for a in rows
    ]


def _supply_details(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """Supply shortages as a person reads them (an alert names a site and an item by code): the facility's name and
    the item's in both languages, the names read by one statement."""
    short = [a for a in rows if a["kind"] == SUPPLY_SHORT and isinstance(a["detail"], Mapping)]
    if not short:
        return {}
    items = default_supply_policy().items
    codes = {a["detail"].get("site_code") for a in short if a["detail"].get("site_kind") == "facility"}
    sites = uow.facilities.names(c for c in codes if c)
    found = {}
    for a in short:
        detail, item = a["detail"], items.get(a["detail"].get("item", ""))
        found[a["id"]] = {
            **detail,
            "site_name": sites.get(detail.get("site_code", "")) if detail.get("site_kind") == "facility" else None,
            "item_names": {"zh": item.zh, "en": item.en} if item else None,
        }
    return found


def inbox(
    ctx: Context,
    actor: Actor,
    *,
    state: str = "open",
    unit: str | None = None,
    kind: str | None = None,
    page: int = 1,
    size: int = SIZE,
    open_only: bool | None = None,
) -> dict[str, Any]:
    """One page of the alerts about the actor's jurisdiction (newest first) with the total of the list, the open
    count and the broken links among them. `state`: open (someone must act), expired, or all; `unit`: a unit's
    subtree within the jurisdiction (404 outside it); `kind`: one kind. `open_only` is the older spelling."""
    actor.require(Permission.VIEW_COUNTS)
    if open_only is not None:
        state = "open" if open_only else "all"
    if state not in STATES:
        raise InvalidInput(
            "alerts.state", "警报状态只能是未处理、已过期或全部", "state is open, expired or all", field="state"
        )
    page, size = bounded(page, size)
    with ctx.uow() as uow:
        within = actor.scoped(unit) if unit else None
        if within is not None and uow.units.get(within) is None:
            raise not_found("unit", within)
        query = select(alerts).where(listed(actor.unit_code, state, within, kind or None)).order_by(*_NEWEST_FIRST)
        rows, total = fetch_page(uow.conn, query, page, size)
        found = views(uow, actor, [dict(r._mapping) for r in rows])
        counted = counts(uow, actor.unit_code, within, kind or None)
    return {
        "alerts": found,
        **page_fields(page, size, total),
        **counted,
        "state": state,
        "unit": within,
        "kind": kind or None,
        "may_acknowledge_any": any(a["may_acknowledge"] for a in found),
    }


def acknowledge(ctx: Context, actor: Actor, alert_id: int, note: str | None = None) -> dict[str, Any]:
    """One alert acknowledged (the API's and the form's single button): refused as the list refuses each."""
    done, errors = _acknowledge(ctx, actor, [alert_id], note)
    if errors:
        raise errors[0]
    return dict(done["alerts"][0])


def acknowledge_many(ctx: Context, actor: Actor, alert_ids: Sequence[int], note: str | None = None) -> dict[str, Any]:
    """Acknowledge the alerts in one transaction: each checked on its own by may_acknowledge; what is refused is
    named with the reason and does not stop the others. Recorded: who, when, with what note (audited each). An
    acknowledged alert goes no further up the chain."""
    return _acknowledge(ctx, actor, alert_ids, note)[0]


def _acknowledge(
    ctx: Context, actor: Actor, alert_ids: Sequence[int], note: str | None
) -> tuple[dict[str, Any], list[AdmitAllError]]:
    actor.require(Permission.HANDLE_ALERTS)
    text = nfkc(note or "") or None
    check_row("alerts", {"ack_note": text or ""}, multiline=("ack_note",))
    ids = list(dict.fromkeys(alert_ids))
    if not ids or len(ids) > MAX_AT_ONCE:
        raise InvalidInput(
            "alerts.choose",
            f"请选择 1 至 {MAX_AT_ONCE} 条警报",
            f"Choose between 1 and {MAX_AT_ONCE} alerts",
            field="alert",
        )
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        rows = {r.id: dict(r._mapping) for r in uow.conn.execute(select(alerts).where(_c.id.in_(ids)))}
        allowed: list[int] = []
        errors: list[AdmitAllError] = []
        refused: list[dict[str, Any]] = []
        for alert_id in ids:
            error = _refusal(actor, rows.get(alert_id), alert_id)
            if error is None:
                allowed.append(alert_id)
            else:
                errors.append(error)
                refused.append({"id": alert_id, **error.as_dict()})
        if allowed:
            uow.reports.acknowledge(allowed, actor.username, text, now)
            uow.audit.record_many(
                [
                    (now, actor.username, "acknowledge_alert", "alert", i, rows[i]["unit_code"], {"note": note})
                    for i in allowed
                ]
            )
        after = [dict(r._mapping) for r in uow.conn.execute(select(alerts).where(_c.id.in_(allowed)).order_by(_c.id))]
        shown = views(uow, actor, after)
        uow.commit()
    return {"acknowledged": allowed, "alerts": shown, "refused": refused}, errors


def _refusal(actor: Actor, alert: Mapping[str, Any] | None, alert_id: int) -> AdmitAllError | None:
    if alert is None or not (actor.covers(alert["unit_code"]) or actor.covers(alert["target_unit"] or "")):
        return not_found("alert", alert_id)
    if state_of(alert) != "open":
        return InvalidInput(
            "alert.not_open",
            "此警报已处理（已确认、已解除或已过期）",
            "This alert is no longer open (acknowledged, resolved or expired)",
        )
    if not may_acknowledge(actor, alert):
        return Forbidden(
            "alert.not_yours",
            "只有负责处理的上级单位可以确认此警报",
            "Only the unit that must act on this alert (or one above it) can acknowledge it",
        )
    return None


def open_alerts(uow: UnitOfWork, root: str, size: int, actor: Actor | None = None) -> dict[str, Any]:
    """The command screen's alerts: the open count and the broken links (counts: the alerts page's own numbers
    for the same unit) and the newest few, each saying whether this user may acknowledge it (no user: nobody)."""
    query = select(alerts).where(listed(root, "open")).order_by(*_NEWEST_FIRST).limit(size)
    rows = [dict(r._mapping) for r in uow.conn.execute(query)]
    return {**counts(uow, root), "items": [view(a, {}, actor) for a in rows]}
