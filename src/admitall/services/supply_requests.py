"""Supply requests up the chain (issue 18 §1): a facility or a unit asks (items, quantities, why); the unit above
it that decides (a facility's owner, a unit's parent; never a community) or any unit above that (HQ) approves in
full, in part or refuses, with a reason; what is approved is moved from the approver's site to the requester in
the same transaction (the two legs of a transfer, each carrying the request). Who sees a request: the requester's
jurisdiction (a district sees its own units' and facilities' requests, not another district's); an admissions
desk its own facility's. Every request and decision is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.engine import RowMapping

from admitall.domain import supplies as rules
from admitall.domain.access import Permission
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.domain.units import UnitLevel, level_of, parent_of, subtree_bounds
from admitall.services.context import Actor, Context
from admitall.services.supplies import ctx_supply_policy, load_site, lock, site_names, site_view
from admitall.store.paged import bounded, fetch_page, page_fields
from admitall.store.tables_supplies import supply_movements, supply_request_lines, supply_requests, supply_sites
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

_r, _l, _s, _m = supply_requests.c, supply_request_lines.c, supply_sites.c, supply_movements.c
MAX_LINES = 20


def approver_of(site: Mapping[str, Any]) -> str | None:
    """The unit that decides a site's requests: a facility's owner, a unit's parent, the first at street level or
    above (a community never decides). None for the top of the tree (it has nobody to ask)."""
    code = site["unit_code"] if site["kind"] != "unit" else parent_of(site["code"])
    while code is not None and level_of(code) is UnitLevel.COMMUNITY:
        code = parent_of(code)
    return code


def may_decide(actor: Actor, request: Mapping[str, Any]) -> bool:
    """Open, and the actor approves supplies for the deciding unit or a unit above it (never a community)."""
    above_community = actor.unit_code is None or level_of(actor.unit_code) is not UnitLevel.COMMUNITY
    return (
        actor.can(Permission.APPROVE_SUPPLIES)
        and request["state"] == rules.OPEN
        and above_community
        and actor.covers(request["approver_unit"])
    )


def _visible(actor: Actor) -> Any:
    """The requests an actor may see: within the jurisdiction; a desk: its facility's."""
    if actor.facility_code is not None and not actor.can(Permission.APPROVE_SUPPLIES):
        return and_(_s.kind == "facility", _s.code == actor.facility_code)
    if actor.unit_code is None:
        return True
    return _r.unit_code.between(*subtree_bounds(actor.unit_code))


def ask(
    ctx: Context, actor: Actor, site_kind: str, site_code: str, lines: list[tuple[str, Any]], why: str
) -> dict[str, Any]:
    """A request from a facility or a unit to the unit above it; its lines (item, quantity), why."""
    actor.require(Permission.MANAGE_SUPPLIES)
    policy = ctx_supply_policy(ctx)
    why = (why or "").strip()
    if not why:
        raise InvalidInput("supplies.why", "请写明申请理由", "Say why the supplies are needed", field="why")
    check_row("supply_requests", {"why": why})
    wanted: dict[str, float] = {}
    for code, raw in lines:
        if not str(raw or "").strip():
            continue
        item = policy.item(code)
        try:
            quantity = float(str(raw).strip())
        except ValueError:
            quantity = 0
        if not 0 < quantity <= 10_000_000:
            raise InvalidInput("supplies.quantity", "请填写大于 0 的数量", "Give a quantity above 0", field=code)
        wanted[item.code] = wanted.get(item.code, 0) + quantity
    if not wanted or len(wanted) > MAX_LINES:
        raise InvalidInput("supplies.no_lines", "请至少申请一种物资", "Ask for at least one item", field="lines")
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        site = load_site(uow, actor, site_kind, site_code, now)
        approver = approver_of(site) if site["kind"] != "warehouse" else None
        if approver is None or uow.units.get(approver) is None:
            raise InvalidInput("supplies.no_approver", "没有可以审批此申请的上级单位", "There is no unit above to ask")
        request_id = uow.conn.execute(
            insert(supply_requests).values(
                site_id=site["id"],
                unit_code=site["unit_code"],
                approver_unit=approver,
                why=why,
                state=rules.OPEN,
                created_at=now,
                created_by=actor.username,
            )
        ).inserted_primary_key[0]
        uow.conn.execute(
            insert(supply_request_lines),
            [{"request_id": request_id, "item_code": c, "quantity": q} for c, q in wanted.items()],
        )
        uow.audit.record(
            now, actor.username, "supply_request", "supply_request", request_id, unit=site["unit_code"], lines=wanted
        )
        uow.commit()
    return get_request(ctx, actor, int(request_id))


def _load(uow: UnitOfWork, actor: Actor, request_id: int) -> RowMapping:
    row = (
        uow.conn.execute(
            select(supply_requests).join(supply_sites, _s.id == _r.site_id).where(_r.id == request_id, _visible(actor))
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("supplies.request_not_found", f"找不到物资申请 {request_id}", f"No supply request {request_id}")
    return row


def views(uow: UnitOfWork, actor: Actor, rows: list[RowMapping], lang: str) -> list[dict[str, Any]]:
    """Requests as pages show them, their lines, sites and names read by one statement each."""
    policy = rules.default_supply_policy()
    ids = [r["id"] for r in rows]
    lines: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for line in uow.conn.execute(select(supply_request_lines).where(_l.request_id.in_(ids)).order_by(_l.id)).mappings():
        item = policy.items.get(line["item_code"])
        lines[line["request_id"]].append(
            {
                "id": line["id"],
                "item_code": line["item_code"],
                "item_name": item.name(lang) if item else line["item_code"],
                "item_unit": item.unit(lang) if item else "",
                "quantity": line["quantity"],
                "approved": line["approved"],
                "reason": line["reason_zh"] if lang == "zh" else line["reason_en"],
            }
        )
    site_ids = {r["site_id"] for r in rows} | {r["source_site_id"] for r in rows if r["source_site_id"]}
    sites = {s["id"]: s for s in uow.conn.execute(select(supply_sites).where(_s.id.in_(site_ids))).mappings()}
    names = site_names(uow, list(sites.values()))
    names.update(uow.units.names({r["approver_unit"] for r in rows}))

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return [
        {
            "id": r["id"],
            "state": r["state"],
            "site": site_view(sites[r["site_id"]], names),
            "approver_unit": r["approver_unit"],
            "approver_name": names.get(r["approver_unit"]),
            "why": r["why"],
            "created_at": when(r["created_at"]),
            "created_by": r["created_by"],
            "decided_at": when(r["decided_at"]),
            "decided_by": r["decided_by"],
            "decision_reason": r["decision_reason"],
            "source": site_view(sites[r["source_site_id"]], names) if r["source_site_id"] in sites else None,
            "lines": lines[r["id"]],
            "may_decide": may_decide(actor, r),
        }
        for r in rows
    ]


def get_request(ctx: Context, actor: Actor, request_id: int, lang: str = "zh") -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        return views(uow, actor, [_load(uow, actor, request_id)], lang)[0]


def list_requests(
    ctx: Context,
    actor: Actor,
    *,
    state: str = "open",
    to_decide: bool = False,
    page: int = 1,
    size: int = 50,
    lang: str = "zh",
) -> dict[str, Any]:
    """One page of the requests the actor may see (oldest open first; decided ones newest first), with the real
    total; `to_decide`: only those the actor may decide."""
    actor.require(Permission.VIEW_COUNTS)
    if state not in (*rules.REQUEST_STATES, "all"):
        raise InvalidInput("supplies.state", "状态无效", "Unknown state", field="state")
    page, size = bounded(page, size)
    where = [_visible(actor)]
    if state != "all":
        where.append(_r.state == state)
    if to_decide:
        if not actor.can(Permission.APPROVE_SUPPLIES) or (
            actor.unit_code is not None and level_of(actor.unit_code) is UnitLevel.COMMUNITY
        ):
            raise Forbidden("supplies.not_approver", "您不能审批物资申请", "You cannot decide supply requests")
        if actor.unit_code is not None:
            where.append(_r.approver_unit.between(*subtree_bounds(actor.unit_code)))
    order = (_r.created_at, _r.id) if state == rules.OPEN else (_r.created_at.desc(), _r.id.desc())
    with ctx.uow() as uow:
        query = select(supply_requests).join(supply_sites, _s.id == _r.site_id).where(*where).order_by(*order)
        rows, total = fetch_page(uow.conn, query, page, size)
        shown = views(uow, actor, [r._mapping for r in rows], lang)
    return {"requests": shown, "state": state, "to_decide": to_decide, **page_fields(page, size, total)}


def decide(
    ctx: Context,
    actor: Actor,
    request_id: int,
    approved: Mapping[int, Any],
    reason: str,
    source_kind: str,
    source_code: str,
) -> dict[str, Any]:
    """Approve (each line's quantity, up to what was asked), partly approve or refuse (all 0) with a reason (needed
    unless all is approved); the approved stock moves from the source site (the approver's) to the requester."""
    actor.require(Permission.APPROVE_SUPPLIES)
    reason = (reason or "").strip()
    check_row("supply_requests", {"decision_reason": reason})
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        request = _load(uow, actor, request_id)
        # held until this decision is written: a second decision at once waits, then finds it decided
        state_now = uow.conn.execute(select(_r.state).where(_r.id == request_id).with_for_update()).scalar_one()
        request = {**request, "state": state_now}
        if not may_decide(actor, request):
            if request["state"] != rules.OPEN:
                raise InvalidInput("supplies.decided", "该申请已审批", "This request was decided already")
            raise Forbidden(
                "supplies.not_approver",
                "只有上级单位可以审批此申请",
                "Only the unit above the requester (or above that) can decide this request",
            )
        lines = list(uow.conn.execute(select(supply_request_lines).where(_l.request_id == request_id)).mappings())
        grant = {line["id"]: _granted(approved.get(line["id"], approved.get(str(line["id"]))), line) for line in lines}
        total = sum(grant.values())
        state = rules.decision_state([(x["quantity"], grant[x["id"]]) for x in lines])
        if state != rules.APPROVED and not reason:
            raise InvalidInput("supplies.reason", "部分批准或不批准须写明原因", "Give the reason", field="reason")
        source = load_site(uow, actor, source_kind, source_code, now) if total else None
        if source is not None and source["id"] == request["site_id"]:
            raise InvalidInput("supplies.same_site", "不能从申请方自身调拨", "Issue from another site", field="source")
        write_decisions(uow, actor.username, now, [(request, lines, grant, state, reason)], source, {})
        uow.audit.record(
            now,
            actor.username,
            f"supply_request_{state}",
            "supply_request",
            request_id,
            unit=request["unit_code"],
            approved={str(k): v for k, v in grant.items()},
            reason=reason,
        )
        uow.commit()
    return get_request(ctx, actor, request_id)


def _granted(raw: Any, line: Mapping[str, Any]) -> float:
    text = str(raw if raw is not None else "").strip()
    try:
        value = float(text) if text else 0.0
    except ValueError:
        value = -1.0
    if not 0 <= value <= line["quantity"]:
        raise InvalidInput(
            "supplies.approved",
            f"批准数量须在 0 到 {line['quantity']:g} 之间",
            f"The approved quantity is 0 to {line['quantity']:g}",
            field=str(line["id"]),
        )
    return value


def write_decisions(
    uow: UnitOfWork,
    username: str,
    now: datetime,
    decided: list[tuple[Mapping[str, Any], list[RowMapping], Mapping[int, float], str, str]],
    source: Mapping[str, Any] | None,
    reasons: Mapping[int, tuple[str, str]],
) -> None:
    """Each request's state, its lines' grants (and reasons, if the allocation gave them), and the movements: the
    source's stock of every item checked by one statement, then out of it and into each requester (both legs
    carry the request; executemany). `decided`: (request, its lines, grant by line id, state, reason)."""
    conn = uow.conn
    moved: dict[str, float] = {}
    for _request, lines, grant, _state, _reason in decided:
        for line in lines:
            if grant[line["id"]] > 0:
                moved[line["item_code"]] = moved.get(line["item_code"], 0.0) + grant[line["id"]]
    if moved and source is None:
        raise InvalidInput("supplies.source", "请选择调出地点", "Choose the site to issue from", field="source")
    if moved and source is not None:
        lock(conn, source["id"])
        held = dict(
            conn.execute(
                select(_m.item_code, func.sum(_m.quantity))
                .where(_m.site_id == source["id"], _m.item_code.in_(sorted(moved)))
                .group_by(_m.item_code)
            ).all()
        )
        for item, n in sorted(moved.items()):
            if n > float(held.get(item) or 0) + 1e-9:
                raise InvalidInput(
                    "supplies.not_enough",
                    f"{item} 库存不足：现有 {float(held.get(item) or 0):g}，批准 {n:g}",
                    f"Not enough {item} at the source: {float(held.get(item) or 0):g} on hand, {n:g} approved",
                    field="source",
                )
        legs = []
        for request, lines, grant, _state, _reason in decided:
            for line in lines:
                n = grant[line["id"]]
                if n <= 0:
                    continue
                for site_id, kind, q in (
                    (source["id"], rules.TRANSFER_OUT, -n),
                    (request["site_id"], rules.TRANSFER_IN, n),
                ):
                    legs.append(
                        {
                            "site_id": site_id,
                            "item_code": line["item_code"],
                            "kind": kind,
                            "quantity": q,
                            "at": now,
                            "recorded_at": now,
                            "actor": username,
                            "reason": f"request {request['id']}",
                            "request_id": request["id"],
                        }
                    )
        conn.execute(insert(supply_movements), legs)
    line_rows = [
        {
            "line_id": line["id"],
            "approved": grant[line["id"]],
            "zh": reasons.get(line["id"], (None, None))[0],
            "en": reasons.get(line["id"], (None, None))[1],
        }
        for _request, lines, grant, _state, _reason in decided
        for line in lines
    ]
    if line_rows:
        conn.execute(
            update(supply_request_lines)
            .where(_l.id == bindparam("line_id"))
            .values(approved=bindparam("approved"), reason_zh=bindparam("zh"), reason_en=bindparam("en")),
            line_rows,
        )
    request_rows = [
        {"rid": request["id"], "state": state, "reason": reason or None, "source": source["id"] if source else None}
        for request, _lines, _grant, state, reason in decided
    ]
    if request_rows:
        conn.execute(
            update(supply_requests)
            .where(_r.id == bindparam("rid"), _r.state == rules.OPEN)
            .values(
                state=bindparam("state"),
                decided_at=now,
                decided_by=username,
                decision_reason=bindparam("reason"),
                source_site_id=bindparam("source"),
            ),
            request_rows,
        )
