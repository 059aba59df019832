"""The door-to-door survey over HTTP (issue 17 §3): the phone app's session and households, its batches of
visits, households imported from a list, campaigns and their progress.

The survey app signs in with the web session: a POST carries the session's CSRF token in `X-CSRF-Token`, which the
app reads from `GET /api/survey/session` (a read: another site cannot read the answer). A bearer token works too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from admitall.api.deps import SESSION_COOKIE, current_actor, get_ctx
from admitall.api.params import Id
from admitall.domain.access import Permission
from admitall.domain.units import UnitLevel, level_of
from admitall.services import survey, survey_progress, survey_visits
from admitall.services.auth import session_actor
from admitall.services.context import Actor, Context
from admitall.services.tabular import Limits, open_table

router = APIRouter(prefix="/api/survey", tags=["survey"])


@router.get("/session", summary="Who the survey app is signed in as, their community and the CSRF token")
def survey_session(request: Request, actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    actor.require(Permission.REGISTER_PERSONS)
    csrf = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and not request.headers.get("authorization"):
        _actor, csrf = session_actor(get_ctx(request), cookie)
    unit = actor.unit_code
    community = unit if unit and level_of(unit) is UnitLevel.COMMUNITY else None
    return {"username": actor.username, "unit_code": unit, "community": community, "csrf": csrf}


@router.get("/households", summary="A community's households, the people surveys found there, today's campaign")
def list_households(
    community: Annotated[str, Query(max_length=20)],
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return survey.households(ctx, actor, community)


@router.post("/households/import", summary="Import a community's households (CSV or XLSX): every row accounted")
def import_households(
    community: Annotated[str, Query(max_length=20)],
    file: UploadFile = File(...),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    actor.require(Permission.REGISTER_PERSONS)
    name = file.filename or "upload"
    table = open_table(
        file.file,
        survey.HOUSEHOLD_HEADERS,
        ("address",),
        xlsx=name.lower().endswith(".xlsx"),
        limits=Limits.of(ctx.settings),
    )
    return survey.add_households(ctx, actor, community, table.rows)


@router.post("/visits", summary="A phone's queued visits in one transaction: stored, duplicate, conflict, refused")
def post_visits(
    visits: Annotated[list[dict[str, Any]], Body(embed=True, max_length=survey_visits.MAX_VISITS)],
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """Each visit: `key` (its idempotency key, 8–64 letters, digits or '-'), `household_id` (or `community`,
    `address` and `label` for a household not listed yet), `outcome` (`visited` or `absent`), `occurred_at`,
    `note`, and `people` at home: `name`, `temperature` (°C), `symptoms` (cough, fatigue, breathless, sore_throat,
    diarrhea, muscle_ache), `category` (none, contact, fever, suspected, confirmed), `phone`, `id_number`, and for
    someone the app loaded, `person_id` with the `version` it loaded."""
    return survey_visits.record_visits(ctx, actor, visits)


class CampaignIn(BaseModel):
    name: str = Field(max_length=100)
    starts_on: str = Field(max_length=10, description="YYYY-MM-DD")
    ends_on: str = Field(max_length=10, description="YYYY-MM-DD")
    units: list[Annotated[str, Field(max_length=20)]] = Field(max_length=500)
    absent_visits_done: int = Field(2, ge=0, le=survey.ABSENT_VISITS_MAX)


@router.get("/campaigns", summary="The survey campaigns over the jurisdiction")
def list_campaigns(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return {"campaigns": survey.campaigns_list(ctx, actor)}


@router.post("/campaigns", summary="Set a survey campaign (a district or HQ, over units of its subtree)")
def set_campaign(
    body: CampaignIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return survey.create_campaign(
        ctx,
        actor,
        name=body.name,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        units_codes=body.units,
        absent_visits_done=body.absent_visits_done,
    )


@router.get("/campaigns/{campaign_id}", summary="A campaign's progress by unit")
def campaign_progress(
    campaign_id: Id,
    unit: Annotated[str, Query(max_length=20)] = "",
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return survey_progress.campaign_progress(ctx, actor, campaign_id, unit or None)
