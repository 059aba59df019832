"""Units, people and counts, always within the caller's jurisdiction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.api.params import Code, DayText, Id, Note, Offset, Page, Short, Size, TimeText, VersionField, stored
from admitall.domain.access import Permission
from admitall.domain.intake import HEADERS
from admitall.services import people
from admitall.services.audit import audit_trail
from admitall.services.auth import add_user
from admitall.services.context import Actor, Context
from admitall.services.registration import register_batch
from admitall.services.tabular import Limits, open_table
from admitall.services.units import scope_root, unit_overview, unit_tree
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(prefix="/api", tags=["registry"])
UserName = stored("users", "username")
DisplayName = stored("users", "display_name")


class PersonIn(BaseModel):
    """A registration, with the same fields (and the same rules) as a row of a persons file."""

    name: Short
    category: Short = Field(description="confirmed, suspected, fever, contact (or 确诊/疑似/发热/密接)")
    unit_code: Short = Field(description="12-digit code of the unit the person belongs to")
    id_number: Short | None = None
    id_type: Short | None = Field(None, description="resident_id, passport, hk_macau_permit, taiwan_permit, other")
    phone: Short | None = None
    sex: Short | None = None
    birth_date: Short | None = None
    severity: Short | None = None
    risk: Short | None = None
    address: Short | None = None
    identified_at: TimeText = None
    source_ref: Short | None = None


class ReclassifyIn(BaseModel):
    to: Short = Field(description="the new status: a category, or excluded/recovered/released/dead")
    severity: Short | None = None
    reason: Note | None = None
    occurred_at: TimeText = None
    expected_version: VersionField | None = Field(None, description="refuse if the person changed since this version")


class SeverityIn(BaseModel):
    to: Short
    reason: Note | None = None
    occurred_at: TimeText = None
    expected_version: VersionField | None = None


class UserIn(BaseModel):
    username: UserName
    password: str = Field(max_length=1024)
    role: Short
    unit_code: Short
    display_name: DisplayName | None = None


@router.get("/units/root", summary="The unit at the top of my jurisdiction, with its children and counts")
def my_root(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return unit_overview(ctx, actor, scope_root(ctx, actor).code)


@router.get("/units/{code}/tree", summary="The units below a unit, nested, `depth` levels down (1-4)")
def tree(
    code: Code,
    depth: int = Query(1, ge=1, le=4),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return unit_tree(ctx, actor, code, depth)


@router.get("/units/{code}", summary="A unit with its children and counts by category")
def unit(code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
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
    offset: Offset = 0,
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
    summary = register_batch(
        ctx, actor, table.rows, source=source or name, filename=name, sha256=table.sha256, keep_rejects=True
    )
    kept = summary.rejected or summary.warnings
    rejects_url = f"/api/imports/{summary.import_id}/rejects" if kept else None
    return {
        **summary.as_dict(lang),
        "encoding": table.encoding,
        "ignored_columns": table.ignored_columns,
        "rejects_url": rejects_url,
    }


@router.get("/persons/{person_id}", summary="One person (personal data masked unless my role needs it)")
def person(person_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return people.get_person(ctx, actor, person_id)


@router.get("/persons/{person_id}/history", summary="A person's events, oldest first")
def history(person_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return people.person_history(ctx, actor, person_id)


@router.post("/persons/{person_id}/reclassify", summary="Change a person's category or record an outcome")
def reclassify(
    person_id: Id, body: ReclassifyIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
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
    person_id: Id, body: SeverityIn, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
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
    by: Short | None = None,
    action: Short | None = None,
    target_type: Short | None = None,
    target_id: Short | None = None,
    unit: Short | None = None,
    since: DayText = None,
    until: DayText = None,
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """A page of entries, newest first, with the total; `since` and `until` are the city's days (included)."""
    return audit_trail(
        ctx,
        actor,
        by=by,
        action=action,
        target_type=target_type,
        target_id=target_id,
        unit=unit,
        since=since,
        until=until,
        page=page,
        size=size,
    )


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
