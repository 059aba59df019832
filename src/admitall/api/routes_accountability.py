"""Responsibility and accountability over HTTP: officials and leads, directives, scorecards, rankings, exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.api.params import Code, DayText, Id, IdField, Note, Page, QueryId, Short, Size, TimeText, When, stored
from admitall.domain.units import UnitLevel
from admitall.services import directive_lists, directives, exports, officials, scorecard_views
from admitall.services.context import Actor, Context
from admitall.services.my_desk import my_desk
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(prefix="/api", tags=["accountability"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OfficialName = stored("officials", "name")
OfficialTitle = stored("officials", "title")
OfficialUser = stored("officials", "username")
DirectiveTitle = stored("directives", "title")
DirectiveBody = stored("directives", "body", multiline=True)


class OfficialIn(BaseModel):
    name: OfficialName
    title: OfficialTitle = ""
    home_unit: Short
    phone: Short | None = None
    username: OfficialUser | None = Field(None, description="the user account that signs in as this official")


class LeadIn(BaseModel):
    official_id: IdField
    starts_at: TimeText = Field(None, description="when the handover takes effect (ISO time); now if left out")
    reason: Note | None = None


class DirectiveIn(BaseModel):
    title: DirectiveTitle
    body: DirectiveBody = ""
    due_at: When = Field(description="ISO time; read in the city's time zone if it has no offset")
    units: list[Short] = Field(default_factory=list, max_length=1000)
    officials: list[IdField] = Field(default_factory=list, max_length=1000, description="to the units they lead")
    broadcast_level: Short | None = Field(None, description="district, street or community: every unit of it below")
    target: dict[str, Any] | None = Field(
        None, description='how completion is measured: {"kind": "none_waiting", "priority_class": "critical"} …'
    )


class NoteIn(BaseModel):
    note: Note = ""


@router.get("/officials", summary="Officials of the jurisdiction and the units each leads now")
def list_officials(
    unit: str | None = None,
    q: Short = "",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """A page of them (search by name, title or unit), with the total."""
    return officials.list_officials(ctx, actor, unit, q=q, page=page, size=size)


@router.post("/officials", status_code=201, summary="Register an official")
def add_official(
    body: OfficialIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return officials.add_official(ctx, actor, **body.model_dump())


@router.get("/officials/vacancies", summary="Units that must have a lead and have none")
def vacancies(
    unit: str | None = None,
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return officials.vacancies(ctx, actor, unit, page=page, size=size)


@router.get("/units/{code}/leads", summary="Who leads the unit, and who led it when")
def leads(code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return officials.responsibility(ctx, actor, code)


@router.post("/units/{code}/lead", summary="Make an official the unit's lead (a handover)")
def assign_lead(
    code: Code, body: LeadIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    starts = directives.parse_when(body.starts_at, ctx, "starts_at") if body.starts_at else None
    return officials.assign_lead(ctx, actor, code, body.official_id, starts_at=starts, reason=body.reason)


@router.get("/me/desk", summary="The signed-in official's units, open alerts, directives, problems and score")
def desk(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return my_desk(ctx, actor)


@router.get("/directives", summary="Directives issued in the jurisdiction and those its units received")
def directive_board(
    status: Short = "",
    show: Short = "",
    q: Short = "",
    page: Page = 1,
    ipage: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """Each list a page at a time with its total: received (`page`, `total`), issued (`ipage`, `issued_total`)."""
    return directive_lists.board(ctx, actor, status=status, show=show, q=q, page=page, ipage=ipage, size=size)


@router.post("/directives", status_code=201, summary="Issue a directive to units below")
def issue(body: DirectiveIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return directives.issue(ctx, actor, **body.model_dump())


@router.get("/directives/{directive_id}", summary="A directive and where each recipient stands")
def one_directive(
    directive_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return directives.directive(ctx, actor, directive_id)


@router.post("/directives/recipients/{recipient_id}/acknowledge", summary="Acknowledge a directive received")
def acknowledge(
    recipient_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return directives.acknowledge(ctx, actor, recipient_id)


@router.post("/directives/recipients/{recipient_id}/complete", summary="Report a directive done, with a note")
def complete(
    recipient_id: Id, body: NoteIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return directives.complete(ctx, actor, recipient_id, body.note)


@router.get("/scorecards/units/{code}", summary="A unit's scorecard for a day, or a window of days")
def unit_scorecard(
    code: Code,
    day: DayText = Query(None, description="YYYY-MM-DD; today if left out"),
    start: DayText = Query(None, description="first day of a window"),
    end: DayText = Query(None, description="last day of a window"),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return scorecard_views.unit_card(ctx, actor, code, day=day, start=start, end=end)


@router.get("/scorecards/officials/{official_id}", summary="An official's scorecard for a day, or a window")
def official_scorecard(
    official_id: Id,
    day: DayText = None,
    start: DayText = None,
    end: DayText = None,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return scorecard_views.official_card(ctx, actor, official_id, day=day, start=start, end=end)


@router.get("/scorecards/ranking", summary="A day's ranking within a level, with the red and black lists")
def ranking(
    level: str = "district",
    day: DayText = None,
    kind: str = Query("unit", description="unit or official"),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return scorecard_views.ranking(ctx, actor, level=level, day=day, kind=kind)


@router.get("/scorecards/facts", summary="The recorded facts behind a figure or a flag")
def facts(
    kinds: str = Query(description="comma-separated: breach, report_missing, placed, …"),
    unit: str | None = None,
    official: QueryId | None = None,
    day: DayText = None,
    start: DayText = None,
    end: DayText = None,
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """A page of them, with how many there are in all."""
    return scorecard_views.facts_behind(
        ctx,
        actor,
        kinds=kinds.split(","),
        unit=unit,
        official_id=official,
        day=day,
        start=start,
        end=end,
        page=page,
        size=size,
    )


@router.get("/scorecards/ranking.xlsx", summary="The ranking, red and black lists and method as a spreadsheet")
def ranking_xlsx(
    request: Request,
    level: str = "district",
    day: DayText = None,
    kind: str = "unit",
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> Response:
    content = exports.scorecards_xlsx(ctx, actor, day=day, level=level, kind=kind, lang=request_lang(request))
    parsed = UnitLevel.parse(level)
    which = kind if kind in ("unit", "official") else "unit"
    name = f"scorecards-{which}-{parsed.value if parsed else 'level'}-{day or 'today'}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/briefs/daily", summary="The daily accountability brief, as data (the page prints it)")
def brief(
    day: DayText = None, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return exports.daily_brief(ctx, actor, day)
