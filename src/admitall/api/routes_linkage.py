"""Record linkage (issue 16 §2): the review queue, one pair with its evidence, the decision, and unmerge."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import Id, Page, Size
from admitall.services import linkage_review
from admitall.services.context import Actor, Context
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(prefix="/api/linkage", tags=["registry"])


class DecisionIn(BaseModel):
    choice: Literal["merge", "distinct"] = Field(description="merge: the same person; distinct: not the same person")


@router.get("/pairs", summary="Candidate pairs of records of one person within my jurisdiction, likeliest first")
def pairs(
    state: str = Query("review", description="review, merged, distinct or unmerged"),
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return linkage_review.review_queue(ctx, actor, state=state, page=page, size=size)


@router.get("/pairs/{pair_id}", summary="One pair side by side with the evidence of each field (masked per role)")
def pair(pair_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return linkage_review.pair_view(ctx, actor, pair_id)


@router.post("/pairs/{pair_id}/decision", summary="Decide a pair in review: merge it, or mark it not the same person")
def decision(
    body: DecisionIn, pair_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return linkage_review.decide(ctx, actor, pair_id, body.choice)


@router.post("/persons/{person_id}/unmerge", summary="Undo the merge that made this record a pointer to another")
def unmerge(person_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return linkage_review.unmerge(ctx, actor, person_id)
