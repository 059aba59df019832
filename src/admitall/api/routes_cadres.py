"""Cadres sent down and staff safety over HTTP (issue 18 §3–4): the same services as the pages /cadres and /safety."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import Id, Page, Size
from admitall.services import cadres, cadres_coverage, staff_safety, staff_safety_rates
from admitall.services.context import Actor, Context
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(prefix="/api", tags=["cadres and staff safety"])
Unit = Annotated[str, Query(max_length=20)]


@dataclass(frozen=True)
class Listing:
    """A list's unit (the jurisdiction when empty) and page."""

    unit: str
    page: int
    size: int


def listing(unit: Unit = "", page: Page = 1, size: Size = DEFAULT_SIZE) -> Listing:
    return Listing(unit, page, size)


class CadreIn(BaseModel):
    name: str = Field(max_length=60)
    department: str = Field(max_length=100)
    community_code: str = Field(max_length=20)
    role: str = Field("", max_length=60)
    starts_on: str = Field(max_length=10, description="YYYY-MM-DD")
    ends_on: str = Field("", max_length=10, description="YYYY-MM-DD (inclusive); empty: until ended")
    phone: str = Field("", max_length=30)


@router.get("/cadres", summary="Cadres sent down within the jurisdiction (on duty today, or all), a page of them")
def list_cadres(
    unit: Unit = "",
    q: Annotated[str, Query(max_length=60)] = "",
    duty: Annotated[str, Query(pattern="^(today|all)$")] = "today",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return cadres.list_cadres(ctx, actor, unit or None, q=q, duty=duty, page=page, size=size)


@router.post("/cadres", summary="Assign a cadre to a community for a period")
def assign_cadre(
    body: CadreIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return cadres.without_errors(cadres.assign_cadre(ctx, actor, body.model_dump()))


@router.post("/cadres/import", summary="Import cadres (CSV or XLSX): every row accounted")
def import_cadres(
    community: Unit = "",
    file: UploadFile = File(...),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return cadres.import_list(ctx, actor, file.file, file.filename or "", community=community or None)


@router.post("/cadres/{cadre_id}/end", summary="End a cadre's assignment on a day (today by default)")
def end_cadre(
    cadre_id: Id,
    on: Annotated[str, Query(max_length=10)] = "",
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return cadres.end_cadre(ctx, actor, cadre_id, on=on or None)


@router.get("/cadres/coverage", summary="Cadres on duty per 1,000 households by community: the gaps worst first")
def coverage(
    gaps: bool = True,
    at: Listing = Depends(listing),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return cadres_coverage.coverage(ctx, actor, at.unit or None, gaps_only=gaps, page=at.page, size=at.size)


class SafetyIn(BaseModel):
    kind: str = Field(max_length=10, description="exposure or infection")
    status: str | None = Field(None, max_length=12, description="an infection: suspected or confirmed")
    staff_id: int | None = Field(None, ge=1, lt=2**31, description="a roster row (staff_members)")
    cadre_id: int | None = Field(None, ge=1, lt=2**31, description="or a cadre sent down")
    occurred_on: str = Field(max_length=10, description="YYYY-MM-DD")
    protection: str = Field(max_length=16, description="none, surgical_mask, n95 or full_ppe")
    place: str = Field("", max_length=100)
    source_case_id: int | None = Field(None, ge=1, lt=2**31, description="the case they were exposed to, if known")
    note: str | None = Field(None, max_length=500)


@router.get("/safety", summary="Staff exposures and infections per 1,000 staff by facility, worst first")
def safety(
    at: Listing = Depends(listing), actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return staff_safety_rates.safety_rates(ctx, actor, at.unit or None, page=at.page, size=at.size)


@router.get("/safety/events", summary="The exposures and infections recorded, newest first")
def safety_events(
    at: Listing = Depends(listing), actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return staff_safety.events_list(ctx, actor, at.unit or None, page=at.page, size=at.size)


@router.post("/safety/events", summary="Record a staff member's or a cadre's exposure or infection")
def record_safety(
    body: SafetyIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return staff_safety.record_event(ctx, actor, **body.model_dump())
