"""Tracing and medical observation (issue 17 §1, §2): exposures, a case's contacts and chain, clusters and the
tracing figures; a team's due checks, recording checks (a batch at once), release at the end."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.services import observation, tracing
from admitall.services.context import Actor, Context
from admitall.services.observation_checks import CheckInput, record_checks

router = APIRouter(tags=["tracing and observation"])
PersonId = Path(ge=1, le=2**31 - 1)


class ExposureIn(BaseModel):
    contact_id: int = Field(ge=1, le=2**31 - 1)
    case_id: int = Field(ge=1, le=2**31 - 1)
    exposed_on: date = Field(description="the day of the (last) exposure")
    setting: str = Field(max_length=20, description="household, work, transport or care (or their labels)")
    closeness: str | None = Field(None, max_length=20, description="close (default), medium or casual")


class ExposuresIn(BaseModel):
    exposures: list[ExposureIn] = Field(max_length=5000)
    source: str = Field("api", max_length=100)


class CheckIn(BaseModel):
    person_id: int = Field(ge=1, le=2**31 - 1)
    temperature: float = Field(description="°C, 34.0 to 43.0")
    symptoms: list[str] = Field(default_factory=list, max_length=10, description="cough, fatigue, sore_throat, …")
    at: datetime | None = Field(None, description="when it was taken (default: now); never in the future")


class ChecksIn(BaseModel):
    checks: list[CheckIn] = Field(max_length=5000)


class ReleaseIn(BaseModel):
    test: str | None = Field(None, description="negative or positive, where the policy asks for a test")


@router.post("/api/exposures", summary="Record exposures (contact to case); the contacts go into observation")
def exposures_post(
    body: ExposuresIn,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
    lang: str = Depends(request_lang),
) -> dict[str, Any]:
    items = [
        tracing.ExposureInput(x.contact_id, x.case_id, x.exposed_on, x.setting, x.closeness) for x in body.exposures
    ]
    return tracing.register_exposures(ctx, actor, items, source=body.source, lang=lang).as_dict()


@router.get("/api/persons/{person_id}/contacts", summary="A case's contacts with their state, and its known sources")
def contacts(
    person_id: int = PersonId, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return tracing.contacts_of(ctx, actor, person_id)


@router.get("/api/persons/{person_id}/chain", summary="The transmission chain up to the source and down")
def chain(
    person_id: int = PersonId,
    depth: int = Query(2, ge=1, le=tracing.MAX_DEPTH),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return tracing.chain(ctx, actor, person_id, depth)


@router.get("/api/tracing/clusters", summary="Clusters (connected components) by size and growth in 7 days")
def clusters(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return tracing.cluster_list(ctx, actor)


@router.get("/api/tracing/counts", summary="Contacts per case, known-contact share, hours to observation, by unit")
def counts(
    unit: str | None = None, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return tracing.tracing_counts(ctx, actor, unit)


@router.get("/api/observation/due", summary="A team's day of checks (its unit's contacts in observation)")
def due(
    unit: str | None = None,
    day: date | None = None,
    page: int = Query(1, ge=1, le=100_000),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return observation.due_list(ctx, actor, unit, day, page)


@router.post("/api/observation/checks", summary="Record checks; fever or a symptom moves the person to fever at once")
def checks(
    body: ChecksIn,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
    lang: str = Depends(request_lang),
) -> dict[str, Any]:
    items = [CheckInput(c.person_id, c.temperature, tuple(c.symptoms), c.at) for c in body.checks]
    return record_checks(ctx, actor, items, source="api", lang=lang).as_dict()


@router.post("/api/observation/{person_id}/release", summary="Release a contact at the end of observation")
def release(
    body: ReleaseIn,
    person_id: int = PersonId,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
    lang: str = Depends(request_lang),
) -> dict[str, Any]:
    return observation.release(ctx, actor, person_id, test=body.test, lang=lang)


@router.get("/api/persons/{person_id}/observation", summary="A person's observation and their checks")
def person_observation(
    person_id: int = PersonId, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any] | None:
    return observation.person_observation(ctx, actor, person_id)
