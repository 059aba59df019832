"""Supplies over HTTP (issue 18 §1): the catalogue, a site's stock and movements, the shortages of a
jurisdiction, warehouses, requests up the chain and their decisions, and HQ's allocation (proposal, then
confirmation). Thin: each route calls the service the pages call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.api.params import Code, Id, Page, Short, Size, Word
from admitall.domain.supplies import default_supply_policy
from admitall.services import supplies, supply_allocation, supply_requests
from admitall.services.context import Actor, Context
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(tags=["supplies"])


class MovementIn(BaseModel):
    kind: str = Field(description="receipt, issue, transfer, consumption or count", max_length=20)
    item_code: str = Field(description="an item of GET /api/supplies/items", max_length=24)
    quantity: float | None = Field(None, gt=0, le=10_000_000, description="how many (not for a count)")
    counted: float | None = Field(None, ge=0, le=10_000_000, description="a count: what was counted")
    reason: str = Field("", max_length=200, description="why (a count needs it)")
    to_kind: str | None = Field(None, max_length=10, description="a transfer: facility, unit or warehouse")
    to_code: str | None = Field(None, max_length=40, description="a transfer: the destination's code")


class LineIn(BaseModel):
    item_code: str = Field(max_length=24)
    quantity: float = Field(gt=0, le=10_000_000)


class RequestIn(BaseModel):
    site_kind: str = Field(description="facility or unit", max_length=10)
    site_code: str = Field(max_length=40)
    lines: list[LineIn] = Field(min_length=1, max_length=20)
    why: str = Field(max_length=500)


class DecisionIn(BaseModel):
    approved: dict[int, float] = Field(description="line id → quantity approved (0 refuses the line)")
    reason: str = Field("", max_length=500, description="needed unless everything asked is approved")
    source_kind: str = Field("unit", max_length=10)
    source_code: str = Field("", max_length=40, description="the site the stock is issued from (the approver's)")


class WarehouseIn(BaseModel):
    code: str = Field(max_length=40)
    name: str = Field(max_length=100)
    unit_code: str = Field(max_length=12)


class ConfirmIn(BaseModel):
    source_kind: str = Field("unit", max_length=10)
    source_code: str = Field(max_length=40)
    fingerprint: str = Field(max_length=64, description="the proposal's, as GET /api/supplies/allocation gave it")


@router.get("/api/supplies/items", summary="The item catalogue (names, units, kind, rates per bed-day)")
def items(lang: str = Depends(request_lang), actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    policy = default_supply_policy()
    return {
        "shortage_days": policy.shortage_days,
        "items": [
            {
                "code": i.code,
                "name": i.name(lang),
                "unit": i.unit(lang),
                "kind": i.kind,
                "per_bed_day": {b.value: r for b, r in i.per_bed_day.items()},
                "critical_for": sorted(b.value for b in i.critical_for),
            }
            for i in policy.items.values()
        ],
    }


@router.get("/api/supplies/sites/{kind}/{code}", summary="A site's stock: on hand, use per day, days of cover")
def stock(
    kind: Word, code: Code, lang: str = Depends(request_lang), actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:  # fmt: skip
    return supplies.site_stock(ctx, actor, kind, code, lang)


@router.get("/api/supplies/sites/{kind}/{code}/movements", summary="A site's movements, newest first")
def history(
    kind: Word, code: Code, page: Page = 1, size: Size = DEFAULT_SIZE, lang: str = Depends(request_lang),
    actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:  # fmt: skip
    return supplies.movement_history(ctx, actor, kind, code, page=page, size=size, lang=lang)


@router.post("/api/supplies/sites/{kind}/{code}/movements", status_code=201, summary="Record a movement (audited)")
def move(
    body: MovementIn, kind: Word, code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    form = {k: ("" if v is None else str(v)) for k, v in body.model_dump().items()}
    return supplies.record_movement(ctx, actor, kind, code, form)


@router.get("/api/supplies/shortages", summary="Sites and items of my jurisdiction, worst cover first")
def shortages(
    unit: Short = "", all_items: bool = Query(False, description="every item held, not only the short ones"),
    page: Page = 1, size: Size = DEFAULT_SIZE, lang: str = Depends(request_lang),
    actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:  # fmt: skip
    return supplies.shortages(ctx, actor, unit=unit or None, page=page, size=size, lang=lang, only_short=not all_items)


@router.post("/api/supplies/warehouses", status_code=201, summary="Add a warehouse of a unit")
def warehouse(
    body: WarehouseIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return supplies.add_warehouse(ctx, actor, body.code, body.name, body.unit_code)


@router.post("/api/supplies/requests", status_code=201, summary="Ask the unit above for supplies")
def ask(body: RequestIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    lines = [(line.item_code, line.quantity) for line in body.lines]
    return supply_requests.ask(ctx, actor, body.site_kind, body.site_code, lines, body.why)


@router.get("/api/supplies/requests", summary="Supply requests of my jurisdiction")
def requests(
    state: str = Query("open", description="open, approved, partial, refused or all", max_length=10),
    to_decide: bool = Query(False, description="only those I may decide"), page: Page = 1,
    size: Size = DEFAULT_SIZE, lang: str = Depends(request_lang), actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:  # fmt: skip
    return supply_requests.list_requests(ctx, actor, state=state, to_decide=to_decide, page=page, size=size, lang=lang)


@router.get("/api/supplies/requests/{request_id}", summary="One supply request with its lines")
def one(
    request_id: Id, lang: str = Depends(request_lang), actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:  # fmt: skip
    return supply_requests.get_request(ctx, actor, request_id, lang)


@router.post("/api/supplies/requests/{request_id}/decision", summary="Approve, partly approve or refuse")
def decide(
    body: DecisionIn, request_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return supply_requests.decide(
        ctx, actor, request_id, body.approved, body.reason, body.source_kind, body.source_code
    )


@router.get("/api/supplies/allocation", summary="HQ's proposal: the stock of a site shared across open requests")
def proposal(
    source_code: Short, source_kind: Short = "unit", page: Page = 1, size: Size = DEFAULT_SIZE,
    lang: str = Depends(request_lang), actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:  # fmt: skip
    return supply_allocation.propose(ctx, actor, source_kind, source_code, lang, page=page, size=size)


@router.post("/api/supplies/allocation", summary="Confirm the proposal: decisions and movements in one transaction")
def confirm(body: ConfirmIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return supply_allocation.confirm(ctx, actor, body.source_kind, body.source_code, body.fingerprint)
