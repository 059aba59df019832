"""Staffed beds over HTTP (issue 18 §2): beds as in service / staffed / usable, a site's roster (list, add, end,
import), and the medical teams (list; register and record a departure: the city command)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import Code, Id, Page, Size
from admitall.services import staffing, staffing_import, staffing_views
from admitall.services.context import Actor, Context
from admitall.services.tabular import Limits, open_table
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(prefix="/api/staffing", tags=["staffing"])


@router.get("/capacity", summary="Beds by type as in service / staffed / usable, per facility and in total")
def capacity(
    unit: Annotated[str, Query(max_length=20)] = "",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return staffing_views.overview(ctx, actor, root=unit or None, page=page, size=size)


@router.get(
    "/sites/{code}/staff", summary="A facility's or unit's roster on a day (phones and IDs masked unless allowed)"
)
def roster(
    code: Code,
    on: date | None = None,
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return staffing.roster(ctx, actor, code, page=page, size=size, on=on)


class MemberIn(BaseModel):
    name: str = Field(max_length=100)
    role: str = Field(max_length=30, description="doctor, nurse, icu_doctor, icu_nurse, community_worker, …")
    phone: str | None = Field(None, max_length=30)
    id_number: str | None = Field(None, max_length=30)
    active_from: date | None = None
    active_until: date | None = None
    team_id: int | None = Field(None, ge=1, le=2**31 - 1)


@router.post("/sites/{code}/staff", summary="Put one person on a site's roster")
def add_member(
    code: Code, body: MemberIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return staffing.add_member(ctx, actor, code, body.model_dump())


class EndIn(BaseModel):
    last_day: date | None = None


@router.post("/staff/{member_id}/end", summary="Take someone off the roster after a last day")
def end_member(
    member_id: Id, body: EndIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return staffing.end_member(ctx, actor, member_id, body.last_day)


@router.post("/sites/{code}/staff/import", summary="Import a site's roster (CSV or XLSX): every row accounted")
def import_roster(
    code: Code, file: UploadFile = File(...), actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    table = open_table(
        file.file,
        staffing_import.ROSTER_HEADERS,
        staffing_import.REQUIRED,
        xlsx=(file.filename or "").lower().endswith(".xlsx"),
        limits=Limits.of(ctx.settings),
    )
    return staffing_import.import_roster(ctx, actor, code, table.rows)


@router.get("/teams", summary="Medical teams at the jurisdiction's facilities: here, arriving or gone")
def teams(
    facility: Annotated[str, Query(max_length=40)] = "",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return staffing.teams(ctx, actor, page=page, size=size, facility=facility or None)


class TeamIn(BaseModel):
    name: str = Field(max_length=100)
    origin: str = Field(max_length=60)
    facility_code: str = Field(max_length=40)
    arrives_on: date
    departs_on: date | None = None
    headcount: dict[Annotated[str, Field(max_length=30)], Annotated[int, Field(ge=0, le=100_000)]] = Field(
        max_length=20, description="people by role, e.g. {'nurse': 100, 'doctor': 30}"
    )


@router.post("/teams", summary="Register a medical team sent in (the city command)")
def add_team(body: TeamIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return staffing.add_team(ctx, actor, body.model_dump())


class DepartureIn(BaseModel):
    departs_on: date


@router.post("/teams/{team_id}/departure", summary="Record the last day a team is at its facility")
def team_departs(
    team_id: Id, body: DepartureIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return staffing.set_departure(ctx, actor, team_id, body.departs_on)
