"""The pages of cadres sent down and staff safety (issue 18 §3–4): `/cadres` (who is on duty, assign, import, end),
`/cadres/coverage` (per 1,000 households, the gaps worst first) and `/safety` (rates per 1,000 staff by facility,
the events recorded, and the form a desk records one with). Each page has its JSON twin and calls the same
services as /api/cadres and /api/safety; a form refused for its input is shown again with the reason (422)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Page, Size
from admitall.api.uploads import posted_form
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.staff_safety import Protection
from admitall.domain.units import UnitLevel, level_of
from admitall.services import cadres, cadres_coverage, staff_safety, staff_safety_rates
from admitall.services.context import Actor
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
EVENTS_SHOWN = 20  # the events a page of /safety lists (paged: `events_page`)


def _cadres_data(request: Request, actor: Actor, unit: str, q: str, duty: str, page: int, size: int) -> dict[str, Any]:
    data = cadres.list_cadres(get_ctx(request), actor, unit or None, q=q, duty=duty, page=page, size=size)
    own = actor.unit_code if actor.unit_code and level_of(actor.unit_code) is UnitLevel.COMMUNITY else ""
    data.update(result=None, error=None, values={}, json_url="/api/cadres", own_community=own)
    return data


@router.get("/cadres")
@router.get("/cadres.json")
def cadres_page(
    request: Request, unit: str = "", q: str = "", duty: str = "today", page: Page = 1, size: Size = DEFAULT_SIZE
) -> Response:
    actor, csrf = session(request)
    data = _cadres_data(request, actor, unit, q, duty, page, size)
    return render(request, "cadres.html", data, actor=actor, csrf=csrf)


@router.post("/cadres")
def cadres_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    """One cadre typed in, or a list uploaded (CSV/XLSX): every row accounted either way."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    ctx = get_ctx(request)
    lang = request_lang(request)
    upload = posted.get("file")
    try:
        if upload is not None and not isinstance(upload, str) and upload.filename:
            community = form.get("community_code") or None
            result = cadres.import_list(ctx, actor, upload.file, upload.filename, community=community, lang=lang)
        else:
            result = cadres.without_errors(cadres.assign_cadre(ctx, actor, form, lang=lang))
    except AdmitAllError as e:
        if e.kind != "invalid":
            raise
        data = _cadres_data(request, actor, "", "", "today", 1, DEFAULT_SIZE)
        data.update(error=e.message(lang), values=form)
        return render(request, "cadres.html", data, actor=actor, csrf=csrf, status_code=422)
    data = _cadres_data(request, actor, "", "", "today", 1, DEFAULT_SIZE)
    data["result"] = result
    return render(request, "cadres.html", data, actor=actor, csrf=csrf)


@router.post("/cadres/{cadre_id}/end")
def cadre_end(request: Request, cadre_id: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    if not cadre_id.isdigit() or not 0 < int(cadre_id) < 2**31:
        raise InvalidInput("cadre.id", f"编号无效：{cadre_id}", f"Not a cadre's id: {cadre_id}")
    cadres.end_cadre(get_ctx(request), actor, int(cadre_id), on=form.get("on") or None)
    return RedirectResponse("/cadres?duty=all", status_code=303)


@router.get("/cadres/coverage")
@router.get("/cadres/coverage.json")
def coverage_page(
    request: Request, unit: str = "", gaps: str = "1", page: Page = 1, size: Size = DEFAULT_SIZE
) -> Response:
    actor, csrf = session(request)
    data = cadres_coverage.coverage(get_ctx(request), actor, unit or None, gaps_only=gaps != "0", page=page, size=size)
    data["json_url"] = "/api/cadres/coverage"
    return render(request, "cadres_coverage.html", data, actor=actor, csrf=csrf)


def _safety_data(
    request: Request, actor: Actor, unit: str, page: int, size: int, events_page: int = 1
) -> dict[str, Any]:
    ctx = get_ctx(request)
    data = staff_safety_rates.safety_rates(ctx, actor, unit or None, page=page, size=size)
    data["recent"] = staff_safety.events_list(ctx, actor, unit or None, page=events_page, size=EVENTS_SHOWN)
    data.update(protections=[p.value for p in Protection], made=None, error=None, values={}, json_url="/api/safety")
    return data


@router.get("/safety")
@router.get("/safety.json")
def safety_page(
    request: Request, unit: str = "", page: Page = 1, size: Size = DEFAULT_SIZE, events_page: Page = 1
) -> Response:
    actor, csrf = session(request)
    data = _safety_data(request, actor, unit, page, size, events_page)
    return render(request, "safety.html", data, actor=actor, csrf=csrf)


def _id(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise InvalidInput("safety.id", f"编号无效：{text}", f"Not an id: {text}", field="staff_id")
    return int(text)


@router.post("/safety")
def safety_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    lang = request_lang(request)
    worker = form.get("worker", "staff")
    try:
        made = staff_safety.record_event(
            get_ctx(request), actor, kind=form.get("kind", ""), status=form.get("status") or None,
            staff_id=_id(form.get("worker_id")) if worker == "staff" else None,
            cadre_id=_id(form.get("worker_id")) if worker == "cadre" else None,
            occurred_on=form.get("occurred_on", ""), protection=form.get("protection", ""),
            place=form.get("place", ""), source_case_id=_id(form.get("source_case_id")), note=form.get("note"),
        )  # fmt: skip
    except AdmitAllError as e:
        if e.kind != "invalid":
            raise
        data = _safety_data(request, actor, "", 1, DEFAULT_SIZE)
        data.update(error=e.message(lang), values=form)
        return render(request, "safety.html", data, actor=actor, csrf=csrf, status_code=422)
    data = _safety_data(request, actor, "", 1, DEFAULT_SIZE)
    data["made"] = made
    return render(request, "safety.html", data, actor=actor, csrf=csrf)
