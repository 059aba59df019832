"""HQ allocation of scarce stock across the open requests it may decide (issue 18 §1): load the open requests and
their lines, the requesting sites' stock, use and beds, and the source site's stock (a few set statements), run
the pure optimiser (allocation.supplies), show the proposal with a reason per line; on confirmation write every
decision and movement in one transaction, audited — refused if anything changed since the proposal was shown
(its fingerprint: the open lines and the source's stock)."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping

from admitall.allocation.supplies import Ask, Grant, Need, allocate
from admitall.domain import supplies as rules
from admitall.domain.access import Permission
from admitall.domain.errors import Forbidden, InvalidInput
from admitall.domain.units import UnitLevel, level_of, subtree_bounds
from admitall.services.context import Actor, Context
from admitall.services.supplies import ctx_supply_policy, load_site, site_names, site_view
from admitall.services.supply_requests import write_decisions
from admitall.services.supply_stock import covers, shown_days
from admitall.store.paged import bounded, page_fields
from admitall.store.tables import bed_pools
from admitall.store.tables_supplies import supply_movements, supply_request_lines, supply_requests, supply_sites
from admitall.store.uow import UnitOfWork

_r, _l, _s, _m, _b = supply_requests.c, supply_request_lines.c, supply_sites.c, supply_movements.c, bed_pools.c


def _require(actor: Actor) -> None:
    actor.require(Permission.APPROVE_SUPPLIES)
    if actor.unit_code is not None and level_of(actor.unit_code) is UnitLevel.COMMUNITY:
        raise Forbidden("supplies.not_approver", "社区不能调配物资", "A community cannot allocate supplies")


def _plan(
    uow: UnitOfWork, ctx: Context, actor: Actor, source: RowMapping, *, lock: bool = False
) -> tuple[list[Any], dict[int, Any], list[Grant], str]:
    """The open requests the actor decides, their lines, the grants and the fingerprint of what they rest on;
    `lock`: the requests' rows held until the transaction ends (confirming: no decision in between)."""
    policy = ctx_supply_policy(ctx)
    now = ctx.clock.now()
    decides = True if actor.unit_code is None else _r.approver_unit.between(*subtree_bounds(actor.unit_code))
    query = (
        select(supply_requests)
        .where(_r.state == rules.OPEN, decides, _r.site_id != source["id"])
        .order_by(_r.created_at, _r.id)
    )
    requests = list(uow.conn.execute(query.with_for_update() if lock else query).mappings())
    by_id = {r["id"]: r for r in requests}
    lines = (
        list(
            uow.conn.execute(
                select(supply_request_lines).where(_l.request_id.in_(list(by_id))).order_by(_l.request_id, _l.id)
            ).mappings()
        )
        if by_id
        else []
    )
    site_ids = sorted({r["site_id"] for r in requests})
    cover = {(c.site_id, c.item_code): c for c in covers(uow.conn, policy, now, site_ids=site_ids)} if site_ids else {}
    sites = {s["id"]: s for s in uow.conn.execute(select(supply_sites).where(_s.id.in_(site_ids))).mappings()}
    facilities = [s["code"] for s in sites.values() if s["kind"] == "facility"]
    critical_codes = (
        set(
            uow.conn.execute(
                select(_b.facility_code).where(
                    _b.facility_code.in_(facilities),
                    _b.bed_type.in_([b.value for b in rules.CRITICAL_BEDS]),
                    _b.capacity > 0,
                )
            ).scalars()
        )
        if facilities
        else set()
    )
    stock = {
        item: max(0, math.floor(float(n or 0) + 1e-9))
        for item, n in uow.conn.execute(
            select(_m.item_code, func.sum(_m.quantity)).where(_m.site_id == source["id"]).group_by(_m.item_code)
        )
    }
    asks, needs = [], {}
    for line in lines:
        site_id = by_id[line["request_id"]]["site_id"]
        site = sites[site_id]
        asks.append(Ask(line["id"], line["request_id"], str(site_id), line["item_code"], int(line["quantity"])))
        c = cover.get((site_id, line["item_code"]))
        item = policy.items.get(line["item_code"])
        needs[(str(site_id), line["item_code"])] = Need(
            c.on_hand if c else 0.0,
            c.per_day if c else 0.0,
            site["kind"] == "facility" and site["code"] in critical_codes,
            item is not None and item.kind == rules.EQUIPMENT,
        )
    grants = allocate(stock, asks, needs)
    seen = (
        ";".join(f"{x['id']}:{x['quantity']}" for x in lines)
        + "|"
        + ";".join(f"{k}:{v}" for k, v in sorted(stock.items()))
    )
    return (
        [(by_id[rid], [x for x in lines if x["request_id"] == rid]) for rid in by_id],
        sites,
        grants,
        hashlib.sha256(seen.encode()).hexdigest()[:16],
    )


def propose(
    ctx: Context, actor: Actor, source_kind: str, source_code: str, lang: str = "zh", *, page: int = 1, size: int = 50
) -> dict[str, Any]:
    """The proposal: one page of the open lines the actor decides (critical-care sites, then the least cover,
    first) with their grants and reasons, the totals of the whole, and the fingerprint to confirm it."""
    _require(actor)
    page, size = bounded(page, size)
    policy = ctx_supply_policy(ctx)
    with ctx.uow(write=True) as uow:
        source = load_site(uow, actor, source_kind, source_code, ctx.clock.now())
        uow.commit()
        _requests, sites, grants, fingerprint = _plan(uow, ctx, actor, source)
        names = site_names(uow, [*sites.values(), source])
    ordered = sorted(grants, key=lambda g: (not g.critical, _cover_key(g.cover), g.request_id, g.line_id))
    rows = []
    for g in ordered[(page - 1) * size : page * size]:
        item = policy.items.get(g.item)
        rows.append(
            {
                "line_id": g.line_id,
                "request_id": g.request_id,
                "site": site_view(sites[int(g.site)], names),
                "item_code": g.item,
                "item_name": item.name(lang) if item else g.item,
                "asked": g.asked,
                "granted": g.granted,
                "critical": g.critical,
                "cover_days": None if g.cover is None else shown_days(g.cover),
                "reason": g.reason_zh if lang == "zh" else g.reason_en,
            }
        )
    return {
        "source": site_view(source, names),
        "lines": rows,
        "requests": len({g.request_id for g in grants}),
        "granted": sum(g.granted for g in grants),
        "asked": sum(g.asked for g in grants),
        "fingerprint": fingerprint,
        **page_fields(page, size, len(grants)),
    }


def _cover_key(cover: float | None) -> float:
    return float("inf") if cover is None else cover


def confirm(ctx: Context, actor: Actor, source_kind: str, source_code: str, fingerprint: str) -> dict[str, Any]:
    """Write the proposal shown (same fingerprint) as decisions and movements in one transaction, audited."""
    _require(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        source = load_site(uow, actor, source_kind, source_code, now)
        requests, _sites, grants, found = _plan(uow, ctx, actor, source, lock=True)
        if found != fingerprint:
            raise InvalidInput(
                "supplies.changed",
                "申请或库存已变化，请重新生成调配方案",
                "Requests or stock changed since the proposal: make it again",
                field="fingerprint",
            )
        by_line = {g.line_id: g for g in grants}
        decided = []
        for request, lines in requests:
            grant = {x["id"]: float(by_line[x["id"]].granted) for x in lines}
            state = rules.decision_state([(x["quantity"], grant[x["id"]]) for x in lines])
            reason = ""  # each line carries its reason, in both languages
            decided.append((request, lines, grant, state, reason))
        reasons = {g.line_id: (g.reason_zh, g.reason_en) for g in grants}
        write_decisions(uow, actor.username, now, decided, source, reasons)
        counts = {s: sum(1 for d in decided if d[3] == s) for s in (rules.APPROVED, rules.PARTIAL, rules.REFUSED)}
        uow.audit.record(
            now,
            actor.username,
            "supply_allocation",
            "supply_site",
            f"{source['kind']}:{source['code']}",
            unit=source["unit_code"],
            requests=len(decided),
            granted=sum(g.granted for g in grants),
            **counts,
        )
        uow.commit()
    return {"decided": len(decided), **counts, "granted": sum(g.granted for g in grants)}
