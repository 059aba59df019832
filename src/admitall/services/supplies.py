"""Supply sites and their movements (issue 18 §1): a facility, a unit or a warehouse holds stock; a receipt, an
issue, a transfer (two legs in one transaction), consumption or a count correction (with its reason) is appended,
never a total edited. Every read and write is limited to the actor's jurisdiction (a site outside it answers 404,
as absent); an admissions desk keeps its own facility's stock only; every movement is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from admitall.domain import supplies as rules
from admitall.domain.access import Permission
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.domain.units import normalize_code
from admitall.services.context import Actor, Context
from admitall.services.supply_stock import covers, figure, worst_first
from admitall.store.paged import bounded, fetch_page, page_fields
from admitall.store.tables import facilities, units
from admitall.store.tables_supplies import supply_movements, supply_sites
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

_m, _s = supply_movements.c, supply_sites.c
# what each kind of movement does to the stock, as the form gives its quantity (a count gives what was counted)
SIGN = {rules.RECEIPT: 1, rules.ISSUE: -1, rules.CONSUMPTION: -1, rules.TRANSFER_OUT: -1, rules.TRANSFER_IN: 1}
FORM_KINDS = (rules.RECEIPT, rules.ISSUE, "transfer", rules.CONSUMPTION, rules.COUNT)
MAX_QUANTITY = 10_000_000


def site_not_found(kind: str, code: str) -> NotFound:
    return NotFound(
        "supplies.site_not_found",
        f"找不到物资点 {code}（或不在您的管辖范围内）",
        f"No supply site {kind} {code} (or not within your jurisdiction)",
    )


def may_see(actor: Actor, site: RowMapping) -> bool:
    """Within the jurisdiction; an admissions desk sees its own facility only."""
    if actor.facility_code is not None and not actor.can(Permission.APPROVE_SUPPLIES):
        return site["kind"] == "facility" and site["code"] == actor.facility_code
    return actor.covers(site["unit_code"])


def ensure_site(uow: UnitOfWork, kind: str, code: str, now: datetime) -> RowMapping | None:
    """The site of a facility or a unit, made on first use; a warehouse must have been added. None: no such."""
    conn = uow.conn
    row = conn.execute(select(supply_sites).where(_s.kind == kind, _s.code == code)).mappings().first()
    if row is not None or kind == "warehouse":
        return row
    if kind == "facility":
        owner = conn.execute(select(facilities.c.unit_code).where(facilities.c.code == code)).scalar()
    elif kind == "unit":
        try:
            code = normalize_code(code)
        except InvalidInput:
            return None
        owner = conn.execute(select(units.c.code).where(units.c.code == code)).scalar()
    else:
        return None
    if owner is None:
        return None
    try:  # two first uses at once: the second finds the first's row
        with conn.begin_nested():
            conn.execute(insert(supply_sites).values(kind=kind, code=code, name=None, unit_code=owner, created_at=now))
    except IntegrityError:
        pass
    return conn.execute(select(supply_sites).where(_s.kind == kind, _s.code == code)).mappings().one()


def load_site(uow: UnitOfWork, actor: Actor, kind: str, code: str, now: datetime) -> RowMapping:
    """A site the actor may see (made on first use), else 404."""
    if kind not in rules.SITE_KINDS:
        raise site_not_found(kind, code)
    row = ensure_site(uow, kind, code.strip(), now)
    if row is None or not may_see(actor, row):
        raise site_not_found(kind, code)
    return row


def add_warehouse(ctx: Context, actor: Actor, code: str, name: str, unit_code: str) -> dict[str, Any]:
    """A warehouse of a unit within the jurisdiction (its code unique among warehouses); not by a desk."""
    actor.require(Permission.MANAGE_SUPPLIES)
    if actor.facility_code is not None and not actor.can(Permission.APPROVE_SUPPLIES):
        raise Forbidden(
            "supplies.desk_only", "收治点只能管理本机构的物资", "An admissions desk keeps its own stock only"
        )
    unit = actor.scoped(unit_code)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("supplies.warehouse", "请填写仓库编码和名称", "Give the warehouse's code and name")
    check_row("supply_sites", {"code": code, "name": name})
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        if uow.units.get(unit) is None:
            raise site_not_found("unit", unit)
        if uow.conn.execute(select(_s.id).where(_s.kind == "warehouse", _s.code == code)).first():
            raise InvalidInput("supplies.warehouse_exists", "仓库编码已存在", "A warehouse has this code", field="code")
        uow.conn.execute(
            insert(supply_sites).values(kind="warehouse", code=code, name=name, unit_code=unit, created_at=now)
        )
        uow.audit.record(now, actor.username, "supply_warehouse_added", "supply_site", code, unit=unit, name=name)
        uow.commit()
    return {"kind": "warehouse", "code": code, "name": name, "unit_code": unit}


def on_hand(conn: Connection, site_id: int, item_code: str) -> float:
    return float(
        conn.execute(
            select(func.coalesce(func.sum(_m.quantity), 0)).where(_m.site_id == site_id, _m.item_code == item_code)
        ).scalar_one()
    )


def _quantity(raw: Any, field: str = "quantity") -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = -1
    if not 0 < value <= MAX_QUANTITY or value != value:
        raise InvalidInput("supplies.quantity", "请填写大于 0 的数量", "Give a quantity above 0", field=field)
    return value


def _counted(raw: Any) -> float:
    """What a count found: 0 or more."""
    text = str(raw if raw is not None else "").strip()
    return 0.0 if text in ("0", "0.0") else _quantity(text, "counted")


def lock(conn: Connection, site_id: int) -> None:
    """Hold the site's row until the transaction ends, so that two withdrawals at once cannot both read the same
    stock and overdraw it (PostgreSQL; SQLite's writers take turns already)."""
    conn.execute(select(_s.id).where(_s.id == site_id).with_for_update())


def _take(conn: Connection, site_id: int, item_code: str, quantity: float) -> None:
    held = on_hand(conn, site_id, item_code)
    if quantity > held + 1e-9:
        raise InvalidInput(
            "supplies.not_enough",
            f"库存不足：现有 {held:g}，需要 {quantity:g}",
            f"Not enough in stock: {held:g} on hand, {quantity:g} needed",
            field="quantity",
        )


def append(
    conn: Connection, site_id: int, item_code: str, kind: str, quantity: float, now: datetime, actor: str, **more: Any
) -> int:
    """One movement row (signed quantity); its id."""
    result = conn.execute(
        insert(supply_movements).values(
            site_id=site_id,
            item_code=item_code,
            kind=kind,
            quantity=quantity,
            at=more.pop("at", now),
            recorded_at=now,
            actor=actor,
            reason=more.pop("reason", "") or "",
            **more,
        )
    )
    return int(result.inserted_primary_key[0])


def record_movement(ctx: Context, actor: Actor, site_kind: str, site_code: str, form: dict[str, Any]) -> dict[str, Any]:
    """A receipt, issue, transfer (to another site within the jurisdiction), consumption or count; audited."""
    actor.require(Permission.MANAGE_SUPPLIES)
    kind = str(form.get("kind") or "")
    if kind not in FORM_KINDS:
        raise InvalidInput("supplies.kind", "请选择出入库类型", "Choose the kind of movement", field="kind")
    item = ctx_supply_policy(ctx).item(str(form.get("item_code") or ""))
    reason = str(form.get("reason") or "").strip()
    check_row("supply_movements", {"reason": reason})
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        site = load_site(uow, actor, site_kind, site_code, now)
        conn, sid = uow.conn, site["id"]
        lock(conn, sid)
        detail: dict[str, Any] = {"item": item.code, "kind": kind}
        if kind == rules.COUNT:
            counted = _counted(form.get("counted", form.get("quantity")))
            if not reason:
                raise InvalidInput(
                    "supplies.reason", "盘点更正须写明原因", "A count correction needs a reason", field="reason"
                )
            delta = counted - on_hand(conn, sid, item.code)
            moved = append(
                conn, sid, item.code, rules.COUNT, delta, now, actor.username, reason=reason, counted=counted
            )
            detail.update(counted=counted, delta=delta)
        elif kind == "transfer":
            quantity = _quantity(form.get("quantity"))
            to = load_site(uow, actor, str(form.get("to_kind") or ""), str(form.get("to_code") or ""), now)
            if to["id"] == sid:
                raise InvalidInput(
                    "supplies.same_site", "调出和调入不能是同一地点", "Transfer to another site", field="to_code"
                )
            _take(conn, sid, item.code, quantity)
            moved = append(conn, sid, item.code, rules.TRANSFER_OUT, -quantity, now, actor.username, reason=reason)
            append(
                conn,
                to["id"],
                item.code,
                rules.TRANSFER_IN,
                quantity,
                now,
                actor.username,
                reason=reason,
                transfer_id=moved,
            )
            conn.execute(supply_movements.update().where(_m.id == moved).values(transfer_id=moved))
            detail.update(quantity=quantity, to=f"{to['kind']}:{to['code']}")
        else:
            quantity = _quantity(form.get("quantity"))
            if SIGN[kind] < 0:
                _take(conn, sid, item.code, quantity)
            moved = append(conn, sid, item.code, kind, SIGN[kind] * quantity, now, actor.username, reason=reason)
            detail.update(quantity=quantity)
        uow.audit.record(
            now,
            actor.username,
            "supply_movement",
            "supply_site",
            f"{site_kind}:{site['code']}",
            unit=site["unit_code"],
            **detail,
        )
        uow.commit()
    return {"id": moved, **detail, "site_kind": site_kind, "site_code": site["code"]}


def ctx_supply_policy(ctx: Context) -> rules.SupplyPolicy:
    """The catalogue and rates the services use: the packaged data/supplies.toml (one place to change it)."""
    return rules.default_supply_policy()


def site_view(site: RowMapping, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": site["id"],
        "kind": site["kind"],
        "code": site["code"],
        "name": site["name"] or names.get(site["code"]) or site["code"],
        "unit_code": site["unit_code"],
        "unit_name": names.get(site["unit_code"]),
    }


def site_names(uow: UnitOfWork, sites: list[RowMapping]) -> dict[str, str]:
    """Names of the sites' units and facilities, one statement each."""
    names = dict(uow.units.names({s["unit_code"] for s in sites} | {s["code"] for s in sites if s["kind"] == "unit"}))
    codes = [s["code"] for s in sites if s["kind"] == "facility"]
    if codes:
        names.update(
            dict(
                uow.conn.execute(select(facilities.c.code, facilities.c.name).where(facilities.c.code.in_(codes))).all()
            )
        )
    return names


def site_stock(ctx: Context, actor: Actor, site_kind: str, site_code: str, lang: str = "zh") -> dict[str, Any]:
    """A site's stock: each item it holds or its beds use, on hand, use per day and days of cover."""
    actor.require(Permission.VIEW_COUNTS)
    policy = ctx_supply_policy(ctx)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        site = load_site(uow, actor, site_kind, site_code, now)
        uow.commit()
        rows = worst_first(covers(uow.conn, policy, now, site_ids=[site["id"]]))
        names = site_names(uow, [site])
        # a unit's warehouses (a unit with hundreds has a list of its own to come; a few is the case)
        warehouses = (
            uow.conn.execute(
                select(_s.code, _s.name).where(_s.kind == "warehouse", _s.unit_code == site["code"]).order_by(_s.code)
            ).all()
            if site["kind"] == "unit"
            else []
        )
    return {
        "site": site_view(site, names),
        "warehouses": [{"code": code, "name": name} for code, name in warehouses],
        "items": [c.view(policy, lang) for c in rows],
        "shortage_days": figure(policy.shortage_days),
        "catalogue": [
            {"code": i.code, "name": i.name(lang), "unit": i.unit(lang), "kind": i.kind} for i in policy.items.values()
        ],
        "may_move": actor.can(Permission.MANAGE_SUPPLIES) and may_see(actor, site),
    }


def movement_history(
    ctx: Context, actor: Actor, site_kind: str, site_code: str, *, page: int = 1, size: int = 50, lang: str = "zh"
) -> dict[str, Any]:
    """A site's movements, newest first, one page with the real total."""
    actor.require(Permission.VIEW_COUNTS)
    policy = ctx_supply_policy(ctx)
    page, size = bounded(page, size)
    with ctx.uow(write=True) as uow:
        site = load_site(uow, actor, site_kind, site_code, ctx.clock.now())
        uow.commit()
        query = select(supply_movements).where(_m.site_id == site["id"]).order_by(_m.at.desc(), _m.id.desc())
        rows, total = fetch_page(uow.conn, query, page, size)
        names = site_names(uow, [site])
    moves = []
    for r in rows:
        item = policy.items.get(r.item_code)
        moves.append(
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "kind": r.kind,
                "item_code": r.item_code,
                "item_name": item.name(lang) if item else r.item_code,
                "quantity": r.quantity,
                "counted": r.counted,
                "reason": r.reason,
                "actor": r.actor,
                "estimated": bool(r.estimated),
                "request_id": r.request_id,
            }
        )
    return {"site": site_view(site, names), "movements": moves, **page_fields(page, size, total)}


def shortages(
    ctx: Context,
    actor: Actor,
    *,
    unit: str | None = None,
    page: int = 1,
    size: int = 50,
    lang: str = "zh",
    only_short: bool = True,
) -> dict[str, Any]:
    """The jurisdiction's (or a unit's within it) items and sites, worst cover first, one page with the real total
    (and how many are short in all)."""
    actor.require(Permission.VIEW_COUNTS)
    if actor.facility_code is not None and not actor.can(Permission.APPROVE_SUPPLIES):
        raise Forbidden(
            "supplies.desk_only", "收治点只能查看本机构的物资", "An admissions desk sees its own stock only"
        )
    root = actor.scoped(unit) if unit else actor.unit_code
    policy = ctx_supply_policy(ctx)
    page, size = bounded(page, size)
    with ctx.uow() as uow:
        if root is not None and uow.units.get(root) is None:
            raise site_not_found("unit", root)
        every = worst_first(covers(uow.conn, policy, ctx.clock.now(), root=root))
        listed = [c for c in every if c.short] if only_short else every
        shown = listed[(page - 1) * size : page * size]
        sites = list(uow.conn.execute(select(supply_sites).where(_s.id.in_({c.site_id for c in shown}))).mappings())
        names = site_names(uow, sites)
    return {
        "unit_code": root,
        "unit_name": names.get(root or ""),
        "rows": [
            {**c.view(policy, lang), "site_name": c.site_name or names.get(c.site_code) or c.site_code} for c in shown
        ],
        "short": sum(1 for c in every if c.short),
        "shortage_days": figure(policy.shortage_days),
        **page_fields(page, size, len(listed)),
    }
