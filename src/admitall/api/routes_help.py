"""Help requests over HTTP. Public (no token): asking for help, following a request, finding one's community.
Staff (a token): the list within the jurisdiction, one request, the community's actions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from admitall.api.deps import client_address, current_actor, get_ctx
from admitall.api.params import Short
from admitall.services import help_request_lists, help_requests
from admitall.services.context import Actor, Context
from admitall.services.help_places import search_communities

router = APIRouter(tags=["help requests"])
# the public routes: no token (tests/e2e/test_api.py knows them)
PUBLIC = (("post", "/api/help-requests"), ("post", "/api/help-requests/status"), ("get", "/api/help/communities"))


class HelpIn(BaseModel):
    for_whom: str = Field("self", description="self or family", max_length=10)
    name: str = Field(description="the patient's name", max_length=100)
    phone: str = Field(description="a phone number the community can call", max_length=40)
    id_number: str | None = Field(None, description="the patient's ID number, if known", max_length=40)
    unit_code: str = Field(description="the community's code (GET /api/help/communities)", max_length=12)
    address: str = Field(description="building, entrance, door", max_length=200)
    symptoms: str = Field("", description="symptoms in the resident's words", max_length=500)
    symptoms_since: str | None = Field(None, description="the day symptoms began (YYYY-MM-DD)", max_length=10)
    breathless: bool = False
    fever_days: int | None = Field(None, ge=0, le=60)
    age: int | None = Field(None, ge=0, le=120)
    chronic: bool = Field(False, description="a chronic illness (heart, lungs, diabetes, ...)")
    told_contact: bool = Field(False, description="told they are a close contact")
    tested_positive: bool = Field(False, description="told they tested positive (checked, never taken as such)")


class StatusIn(BaseModel):
    number: str = Field(max_length=20)
    code: str = Field(max_length=20)


class ActionIn(BaseModel):
    action: str = Field(description="called, visited, registered, fever_clinic or closed", max_length=20)
    reason: str | None = Field(
        None, description="with closed: the reason (helped, admitted, not_needed, ...)", max_length=20
    )


@router.post("/api/help-requests", status_code=201, summary="Ask for help (public, no sign-in)")
def ask(body: HelpIn, request: Request, ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    """The answer: the request's number and its follow code (shown once), or, for the same person's request
    still open, that one's number with `folded` true and no code."""
    fields = {k: (str(v) if v is not None and not isinstance(v, bool) else v) for k, v in body.model_dump().items()}
    return help_requests.submit(ctx, fields, client_address(request))


@router.post("/api/help-requests/status", summary="Follow a request by its number and code (public)")
def follow(body: StatusIn, request: Request, ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return help_requests.status(ctx, body.number, body.code, client_address(request))


@router.get("/api/help/communities", summary="Find a community by name (public; at most 20)")
def communities(request: Request, q: Short = "", ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return search_communities(ctx, q, client_address(request))


@router.get("/api/help-requests", summary="Help requests within my jurisdiction (critical first, then the oldest)")
def listing(
    state: str = Query("open", description="open, closed or all"),
    unit: str | None = Query(None, max_length=12),
    page: int = Query(1, ge=1, le=100_000),
    size: int = Query(50, ge=1, le=500),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return help_request_lists.list_requests(ctx, actor, state=state, unit=unit, page=page, size=size)


@router.get("/api/help-requests/{request_id}", summary="One help request with its trail (audited)")
def one(
    request_id: int = Path(ge=1, le=2**31 - 1), actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return help_request_lists.get_request(ctx, actor, request_id)


@router.post("/api/help-requests/{request_id}/actions", summary="Record the community's action on a request")
def act(
    body: ActionIn,
    request_id: int = Path(ge=1, le=2**31 - 1),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return help_request_lists.act(ctx, actor, request_id, body.action, body.reason)
