"""Units, people and counts, always within the caller's jurisdiction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.domain.access import Permission
from admitall.domain.intake import HEADERS
from admitall.services import people
from admitall.services.audit import audit_trail
from admitall.services.auth import add_user
from admitall.services.context import Actor, Context
from admitall.services.registration import register_batch
from admitall.services.tabular import Limits, open_table
from admitall.services.units import scope_root, unit_overview, unit_tree

router = APIRouter(prefix="/api", tags=["registry"])


class PersonIn(BaseModel):
    """A registration, with the same fields (and the same rules) as a row of a persons file."""

    name: str
    category: str = Field(description="confirmed, suspected, fever, contact (or 确诊/疑似/发热/密接)")
    unit_code: str = Field(description="12-digit code of the unit the person belongs to")
    id_number: str | None = None
    id_type: str | None = Field(None, description="resident_id, passport, hk_macau_permit, taiwan_permit, other")
    phone: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    severity: str | None = None
    risk: str | None = None
    address: str | None = None
    identified_at: str | None = None
    source_ref: str | None = None


class ReclassifyIn(BaseModel):
    to: str = Field(description="the new status: a category, or excluded/recovered/released/dead")
    severity: str | None = None
    reason: str | None = None
    occurred_at: str | None = None
    expected_version: int | None = Field(None, description="refuse if the person changed since this version")


class SeverityIn(BaseModel):
    to: str
    reason: str | None = None
    occurred_at: str | None = None
    expected_version: int | None = None


class UserIn(BaseModel):
    username: str
    password: str
    role: str
    unit_code: str
    display_name: str | None = None


@router.get("/units/root", summary="The unit at the top of my jurisdiction, with its children and counts")
def my_root(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return unit_overview(ctx, actor, scope_root(ctx, actor).code)


@router.get("/units/{code}/tree", summary="The units below a unit, nested, `depth` levels down (1-4)")
def tree(
    code: str,
    depth: int = Query(1, ge=1, le=4),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return unit_tree(ctx, actor, code, depth)


@router.get("/units/{code}", summary="A unit with its children and counts by category")
def unit(code: str, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return unit_overview(ctx, actor, code)


@router.get("/stock", summary="People by category, severity and placement in a unit's subtree")
def stock(
    unit: str | None = None, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return people.stock(ctx, actor, unit)


@router.get("/persons", summary="Search people by name, document number or phone within my jurisdiction")
def search(
    q: str = "",
    unit: str | None = None,
    status: str | None = None,
    placement: str | None = None,
    severity: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return people.search_people(
        ctx, actor, q=q, unit=unit, status=status, placement=placement, severity=severity, limit=limit, offset=offset
    )


@router.post(
    "/persons",
    status_code=201,
    summary="Register a person (or merge into the same person); 202 when referred to the person's own unit",
)
def register(
    body: PersonIn, response: Response, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    result = people.register_person(ctx, actor, body.model_dump(), source="api")
    if result["outcome"] == "referred":
        response.status_code = 202
    return result


@router.post("/persons/import", summary="Import a persons file (CSV or XLSX); one transaction")
def import_persons(
    file: UploadFile = File(...),
    source: str = Form(""),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
    lang: str = Depends(request_lang),
) -> dict[str, Any]:
    actor.require(Permission.IMPORT_PERSONS)
    name = file.filename or "upload"
    table = open_table(
        file.file,
        HEADERS,
        ("name", "category", "unit_code"),
        xlsx=name.lower().endswith(".xlsx"),
        limits=Limits.of(ctx.settings),
    )
    summary = register_batch(ctx, actor, table.rows, source=source or name, filename=name, sha256=table.sha256)
    return {**summary.as_dict(lang), "encoding": table.encoding, "ignored_columns": table.ignored_columns}


@router.get("/persons/{person_id}", summary="One person (personal data masked unless my role needs it)")
def person(person_id: int, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return people.get_person(ctx, actor, person_id)


@router.get("/persons/{person_id}/history", summary="A person's events, oldest first")
def history(person_id: int, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return people.person_history(ctx, actor, person_id)


@router.post("/persons/{person_id}/reclassify", summary="Change a person's category or record an outcome")
def reclassify(
    person_id: int, body: ReclassifyIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return people.reclassify_person(
        ctx,
        actor,
        person_id,
        body.to,
        severity=body.severity,
        reason=body.reason,
        occurred_at=body.occurred_at,
        expected_version=body.expected_version,
    )


@router.post("/persons/{person_id}/severity", summary="Record a confirmed patient's new clinical severity")
def severity(
    person_id: int, body: SeverityIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return people.change_person_severity(
        ctx,
        actor,
        person_id,
        body.to,
        reason=body.reason,
        occurred_at=body.occurred_at,
        expected_version=body.expected_version,
    )


@router.get("/audit", summary="The audit log of my jurisdiction: changes and reads of personal data")
def audit(
    by: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    limit: int = Query(200, ge=1, le=1000),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return audit_trail(ctx, actor, by=by, action=action, target_type=target_type, target_id=target_id, limit=limit)


@router.post("/users", status_code=201, summary="Add a user (administrators, within their jurisdiction)")
def users(body: UserIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return add_user(
        ctx,
        actor,
        username=body.username,
        password=body.password,
        role=body.role,
        unit_code=body.unit_code,
        display_name=body.display_name,
    )
