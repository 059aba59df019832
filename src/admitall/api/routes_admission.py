"""Facilities, beds, the dispatcher's plan and the admissions desk; the backlog."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.api.params import Code, CountField, Id, IdField, Note, Short, VersionField, Word
from admitall.domain.access import Permission
from admitall.services import admission
from admitall.services.backlog import backlog as backlog_service
from admitall.services.context import Actor, Context
from admitall.services.facilities import (
    FACILITY_HEADERS,
    MAX_BEDS,
    get_facility,
    import_facilities,
    list_facilities,
    occupancy,
    set_admission_rate,
    set_beds,
)
from admitall.services.tabular import Limits, open_table

router = APIRouter(prefix="/api", tags=["admission"])


class BedsIn(BaseModel):
    capacity: CountField
    out_of_service: CountField = 0


class AdmissionRateIn(BaseModel):
    admissions_per_hour: int | None = Field(
        None, ge=1, le=MAX_BEDS, description="people the facility can admit in an hour; null for no limit"
    )


class ConfirmItem(BaseModel):
    person: IdField
    facility: Short
    bed_type: Short
    version: VersionField | None = Field(None, description="the person's version when the plan was made")


class ConfirmIn(BaseModel):
    items: list[ConfirmItem] = Field(max_length=1000, description="at most 1,000 items a request")


class StepIn(BaseModel):
    reason: Note | None = None
    expected_version: VersionField | None = None


class OutcomeIn(BaseModel):
    outcome: Short = Field(description="recovered, released, excluded or dead")
    reason: Note | None = None
    expected_version: VersionField | None = None


@router.get("/facilities", summary="Facilities in my jurisdiction with their beds")
def facilities(
    type: str | None = None, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return list_facilities(ctx, actor, type=type)


@router.post("/facilities/import", summary="Import a facilities file (CSV or XLSX)")
def facilities_import(
    file: UploadFile = File(...), actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    actor.require(Permission.MANAGE_FACILITIES)
    name = file.filename or "upload"
    table = open_table(
        file.file,
        FACILITY_HEADERS,
        ("code", "name", "type", "unit_code"),
        xlsx=name.lower().endswith(".xlsx"),
        limits=Limits.of(ctx.settings),
    )
    return import_facilities(ctx, actor, table.rows).as_dict()


@router.get("/facilities/{code}", summary="A facility and its beds")
def facility(code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return get_facility(ctx, actor, code)


@router.get("/facilities/{code}/desk", summary="The admissions desk: expected arrivals, admitted, leaving, beds")
def facility_desk(code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return admission.desk(ctx, actor, code)


@router.put("/facilities/{code}/beds/{bed_type}", summary="Set a pool's capacity and beds out of service")
def beds(
    code: Code, bed_type: Word, body: BedsIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return set_beds(ctx, actor, code, bed_type, capacity=body.capacity, out_of_service=body.out_of_service)


@router.put("/facilities/{code}/admission-rate", summary="Set how many people a facility can admit in an hour")
def admission_rate(
    code: Code, body: AdmissionRateIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return set_admission_rate(ctx, actor, code, body.admissions_per_hour)


@router.get("/beds", summary="Bed occupancy by facility type and bed type")
def beds_overview(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return occupancy(ctx, actor)


@router.get(
    "/allocation/plan",
    summary="The engine's plan for everyone waiting in my jurisdiction (changes nothing): every assignment, "
    "the unplaced counted and the first 200 listed",
)
def plan(
    actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx), lang: str = Depends(request_lang)
) -> dict[str, Any]:
    return admission.plan_admissions(ctx, actor, lang=lang)


@router.post("/allocation/confirm", summary="Reserve beds for the given plan items")
def confirm(
    body: ConfirmIn,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
    lang: str = Depends(request_lang),
) -> dict[str, Any]:
    items = [admission.Confirmation(i.person, i.facility, i.bed_type, i.version) for i in body.items]
    return admission.confirm(ctx, actor, items, lang=lang)


@router.post("/persons/{person_id}/outcome", summary="Discharge: recovered, released, ruled out or dead")
def outcome(
    person_id: Id, body: OutcomeIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return admission.record_outcome(
        ctx, actor, person_id, body.outcome, reason=body.reason, expected_version=body.expected_version
    )


@router.post("/persons/{person_id}/{step}", summary="A desk step: depart, admit, refuse (with a reason) or cancel")
def step(
    person_id: Id, step: Word, body: StepIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return admission.desk_step(ctx, actor, person_id, step, reason=body.reason, expected_version=body.expected_version)


@router.get("/backlog", summary="Stock, inflow, change, admissions, SLA breaches, time to clear")
def backlog(
    unit: str | None = None, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return backlog_service(ctx, actor, unit)
