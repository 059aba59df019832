"""The staffing pages (issue 18 §2): beds as in service / staffed / usable by facility (`/staffing`), a site's
roster with its teams (`/staffing/sites/{code}`: add one person, import a list, end someone's stay), and the
medical teams arriving and leaving (`/staffing/teams`: the city command registers them). Each page has its JSON
twin and calls the same services as /api/staffing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Page, Size
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.staffing import StaffRole
from admitall.services import staffing, staffing_import, staffing_views
from admitall.services.context import Actor, Context
from admitall.services.tabular import Limits, open_table
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
ROLES = [r.value for r in StaffRole]


@router.get("/staffing")
@router.get("/staffing.json")
def overview_page(request: Request, unit: str = "", page: Page = 1, size: Size = DEFAULT_SIZE) -> Response:
    actor, csrf = session(request)
    data = staffing_views.overview(get_ctx(request), actor, root=unit or None, page=page, size=size)
    return render(request, "staffing.html", data, actor=actor, csrf=csrf)


def _site(ctx: Context, actor: Actor, code: str, page: int, size: int) -> dict[str, Any]:
    data = staffing.roster(ctx, actor, code, page=page, size=size)
    with ctx.uow() as uow:
        facility = uow.facilities.get(data["site_code"])
        name = facility.name if facility else uow.units.names([data["site_code"]]).get(data["site_code"], code)
    data["site_name"] = name
    data["capacity"] = staffing_views.facility_capacity(ctx, actor, code)["beds"] if facility else []
    data["teams"] = staffing.teams(ctx, actor, facility=data["site_code"], size=50)["teams"] if facility else []
    data["may_manage_staff"] = actor.can(Permission.MANAGE_STAFF)
    data["roles"] = ROLES
    data.update(result=None, error=None)
    return data


@router.get("/staffing/sites/{code}")
def site_page(request: Request, code: str, page: Page = 1, size: Size = DEFAULT_SIZE) -> Response:
    actor, csrf = session(request)
    data = _site(get_ctx(request), actor, code.removesuffix(".json"), page, size)
    return render(request, "staffing_site.html", data, actor=actor, csrf=csrf)


@router.post("/staffing/sites/{code}")
def site_submit(request: Request, code: str, posted: FormData = Depends(posted_form)) -> Response:
    """One person typed in, a list uploaded (CSV/XLSX, every row accounted), or someone's stay ended."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    ctx = get_ctx(request)
    upload = posted.get("file")
    result, error = None, None
    try:
        if upload is not None and not isinstance(upload, str) and upload.filename:
            table = open_table(
                upload.file,
                staffing_import.ROSTER_HEADERS,
                staffing_import.REQUIRED,
                xlsx=upload.filename.lower().endswith(".xlsx"),
                limits=Limits.of(ctx.settings),
            )
            result = staffing_import.import_roster(ctx, actor, code, table.rows)
        elif form.get("end"):
            raw = form["end"]
            if not raw.isdigit() or not 0 < int(raw) < 2**31:
                raise InvalidInput("staffing.id", f"编号无效：{raw}", f"Not a staff id: {raw}")
            staffing.end_member(ctx, actor, int(raw))
            return RedirectResponse(f"/staffing/sites/{code}", status_code=303)
        else:
            staffing.add_member(ctx, actor, code, form)
            return RedirectResponse(f"/staffing/sites/{code}", status_code=303)
    except AdmitAllError as e:
        if e.kind != "invalid":
            raise
        error = e.message(request_lang(request))
    data = _site(ctx, actor, code, 1, DEFAULT_SIZE)
    data.update(result=result, error=error, values=form)
    return render(request, "staffing_site.html", data, actor=actor, csrf=csrf, status_code=422 if error else 200)


def _teams(ctx: Context, actor: Actor, page: int, size: int) -> dict[str, Any]:
    data = staffing.teams(ctx, actor, page=page, size=size)
    data["may_manage_teams"] = _is_hq(actor)
    data["roles"] = ROLES
    data.update(error=None, values={})
    return data


def _is_hq(actor: Actor) -> bool:
    try:
        staffing.require_hq(actor)
    except AdmitAllError:
        return False
    return True


@router.get("/staffing/teams")
@router.get("/staffing/teams.json")
def teams_page(request: Request, page: Page = 1, size: Size = DEFAULT_SIZE) -> Response:
    actor, csrf = session(request)
    return render(request, "staffing_teams.html", _teams(get_ctx(request), actor, page, size), actor=actor, csrf=csrf)


@router.post("/staffing/teams")
def teams_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    ctx = get_ctx(request)
    try:
        if form.get("team") and form.get("departs_on"):
            raw = form["team"]
            if not raw.isdigit() or not 0 < int(raw) < 2**31:
                raise InvalidInput("staffing.id", f"编号无效：{raw}", f"Not a team id: {raw}")
            day = staffing.parse_day(form["departs_on"], "departs_on")
            assert day is not None
            staffing.set_departure(ctx, actor, int(raw), day)
        else:
            heads = {role: form.get(f"n_{role}", "") for role in ROLES if form.get(f"n_{role}", "").strip()}
            staffing.add_team(ctx, actor, {**form, "headcount": heads})
    except AdmitAllError as e:
        if e.kind != "invalid":
            raise
        data = _teams(ctx, actor, 1, DEFAULT_SIZE)
        data.update(error=e.message(request_lang(request)), values=form)
        return render(request, "staffing_teams.html", data, actor=actor, csrf=csrf, status_code=422)
    return RedirectResponse("/staffing/teams", status_code=303)
