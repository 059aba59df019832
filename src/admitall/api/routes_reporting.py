"""The hourly reporting chain over HTTP: drafts, reports, the board, completeness, alerts, problems."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import (
    CountField,
    Id,
    IdField,
    MinutesField,
    Note,
    Page,
    Short,
    Size,
    TimeText,
    Word,
    stored,
)
from admitall.services import alert_inbox, problem_inbox, reporting
from admitall.services.context import Actor, Context
from admitall.services.reporting import ReportInput
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(prefix="/api", tags=["reporting"])
AttestedBy = stored("reports", "attested_by")
IdempotencyKey = stored("reports", "idempotency_key")
ProblemText = stored("report_problems", "description", multiline=True)


class ProblemIn(BaseModel):
    type: Short = Field(description="beds, transport, supplies, staff, testing, data or other")
    severity: Short = Field(description="low, medium or high")
    description: ProblemText
    needs_help: bool = False


class ReportIn(BaseModel):
    unit_code: Short
    period_start: TimeText = Field(None, description="start of the period (ISO time); the current one if left out")
    reported: dict[Short, Any] = Field(
        default_factory=dict, max_length=200, description="the figures stated, as in the draft"
    )
    field: dict[Short, CountField] = Field(
        default_factory=dict, max_length=50, description="households_screened, found_not_registered, transport_needed"
    )
    problems: list[ProblemIn] = Field(default_factory=list, max_length=100)
    attested_by: AttestedBy
    attest: bool
    idempotency_key: IdempotencyKey | None = None
    supersedes: IdField | None = Field(None, description="for a correction: the id of the report it corrects")
    correction_reason: Note | None = None
    as_drafted: bool = Field(False, description="attest the registry's figures as the draft prefills them")


class NoteIn(BaseModel):
    note: Note | None = None


class ScheduleIn(BaseModel):
    period_minutes: MinutesField
    grace_minutes: Annotated[int, Field(ge=0, le=24 * 60)]


@router.get("/reports/draft", summary="The report form for a unit: the registry's figures, prefilled")
def draft(
    unit: str, period_start: TimeText = None, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return reporting.draft(ctx, actor, unit, period_start)


@router.post("/reports", status_code=201, summary="Submit a report, or a correction of one")
def submit(
    body: ReportIn,
    idempotency_key: str | None = Header(None),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    data = body.model_dump()
    data["problems"] = [p.model_dump() for p in body.problems]
    data["idempotency_key"] = body.idempotency_key or idempotency_key
    return reporting.submit(ctx, actor, ReportInput(**data))


# an hour's reports of a whole city fit; more is a mistake or an attack
MAX_BATCH = 10_000


@router.post("/reports/batch", summary="Submit many reports in one transaction, each stored or refused on its own")
def submit_batch(
    body: Annotated[list[ReportIn], Body(max_length=MAX_BATCH)],
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """Each report is stored, found a duplicate of one stored before (same idempotency key), or refused with its
    unit, field and reason (`results`, in the order sent); a refused report does not stop the others."""
    items = []
    for report in body:
        data = report.model_dump()
        data["problems"] = [p.model_dump() for p in report.problems]
        items.append(ReportInput(**data))
    return reporting.submit_many(ctx, actor, items)


@router.get("/reports/history", summary="Every version of a unit's report for a period")
def history(
    unit: str,
    period_start: Annotated[TimeText, Query()],
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return reporting.history(ctx, actor, unit, period_start)


@router.get("/reports/board", summary="Who reported, who is late, where the chain broke")
def board(
    unit: str | None = None,
    hours: int = Query(6, ge=1, le=48),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return reporting.board(ctx, actor, unit, hours=hours)


@router.get("/reports/completeness", summary="Completeness and timeliness, rolled up, over a window")
def completeness(
    unit: str | None = None,
    hours: int = Query(24, ge=1, le=24 * 14),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return reporting.completeness(ctx, actor, unit, hours=hours)


@router.get("/reports/discrepancies", summary="Reported figures that disagree with the registry")
def discrepancies(
    unit: str | None = None,
    hours: int = Query(24, ge=1, le=24 * 14),
    figure: Short | None = None,
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """A page of them, newest first, with how many there are in all."""
    return reporting.discrepancies(ctx, actor, unit, hours=hours, figure=figure, page=page, size=size)


@router.get("/reporting/schedules", summary="How often each level reports")
def schedules(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return reporting.get_schedules(ctx, actor)


@router.put("/reporting/schedules/{level}", summary="Change a level's period and grace")
def set_schedule(
    level: Word, body: ScheduleIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return reporting.set_schedule(
        ctx, actor, level, period_minutes=body.period_minutes, grace_minutes=body.grace_minutes
    )


@router.get(
    "/alerts",
    summary="Alerts about my jurisdiction, a page at a time with the total: open (someone must act), expired or all",
)
def alerts(
    state: Annotated[str, Query(max_length=10, description="open, expired or all")] = "open",
    all: bool = False,
    unit: Annotated[str | None, Query(max_length=64, description="a unit's subtree within my jurisdiction")] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    page: Page = 1,
    size: Size = alert_inbox.SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """`all=true` is the older way to ask for every state. Each alert says whether I may acknowledge it."""
    return alert_inbox.inbox(ctx, actor, state="all" if all else state, unit=unit, kind=kind, page=page, size=size)


class AcknowledgeIn(BaseModel):
    ids: list[IdField] = Field(min_length=1, max_length=alert_inbox.MAX_AT_ONCE)
    note: Note | None = None


@router.post("/alerts/acknowledge", summary="Acknowledge several alerts at once, each checked, refusals named")
def acknowledge_many(
    body: AcknowledgeIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    """One transaction: `acknowledged` (ids), `alerts` (as they stand now) and `refused` (id, code, message)."""
    return alert_inbox.acknowledge_many(ctx, actor, body.ids, body.note)


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert (it escalates no further)")
def acknowledge(
    alert_id: Id, body: NoteIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return alert_inbox.acknowledge(ctx, actor, alert_id, body.note)


@router.get("/problems", summary="Problems reported in or owned by my jurisdiction, a page at a time with the total")
def problems(
    status: Annotated[str | None, Query(max_length=10, description="open, noted, resolved or all")] = "open",
    unit: Annotated[str | None, Query(max_length=64)] = None,
    page: Page = 1,
    size: Size = problem_inbox.SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return problem_inbox.problems(ctx, actor, status=status or None, unit=unit, page=page, size=size)


@router.post("/problems/{problem_id}/resolve", summary="Resolve a problem (a note is required)")
def resolve(
    problem_id: Id, body: NoteIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return problem_inbox.resolve_problem(ctx, actor, problem_id, body.note or "")
