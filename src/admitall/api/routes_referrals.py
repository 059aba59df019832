"""Registration referrals: the queue of registrations that matched a person of this jurisdiction elsewhere."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import Short
from admitall.services import referrals
from admitall.services.context import Actor, Context

router = APIRouter(prefix="/api/referrals", tags=["registry"])


class DismissIn(BaseModel):
    reason: str = Field(description="why the registration is not applied to the person (1-500 characters)")


@router.get("", summary="Referrals addressed to units within my jurisdiction (open ones unless `state` says)")
def listing(
    state: str = Query("open", description="open, applied, dismissed or all"),
    unit: str | None = None,
    q: Short = "",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return referrals.list_referrals(ctx, actor, state=state, unit=unit, q=q, limit=limit, offset=offset)


@router.post("/{referral_id}/apply", summary="Merge a referred registration into the person, as a registration would")
def apply(
    referral_id: int = Path(ge=1, le=2**31 - 1),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return referrals.apply_referral(ctx, actor, referral_id)


@router.post("/{referral_id}/dismiss", summary="Close a referral without changing the person, with a reason")
def dismiss(
    body: DismissIn,
    referral_id: int = Path(ge=1, le=2**31 - 1),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return referrals.dismiss_referral(ctx, actor, referral_id, body.reason)
