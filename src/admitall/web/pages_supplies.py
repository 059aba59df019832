"""The supplies pages (issue 18 §1), each with its JSON twin: /supplies (the jurisdiction's shortages, worst first;
an admissions desk goes to its own facility's stock), /supplies/sites/{kind}/{code} (a site's stock with the
movement and request forms), its /history (the pager), /supplies/requests and /supplies/requests/{id} (the
decision form), /supplies/allocation (HQ's proposal and its confirmation). They call the services the API calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Page, Short, Size, path_id
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.supplies import REQUEST_STATES, default_supply_policy
from admitall.domain.units import UnitLevel, level_of
from admitall.services import supplies, supply_allocation, supply_requests
from admitall.services.context import Actor
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
FLASHES = ("supplies_moved", "supplies_asked", "supplies_decided", "supplies_allocated")


def _bare(text: str) -> str:
    return text.removesuffix(".json")


def may_allocate(actor: Actor) -> bool:
    """Approvers above the community level: the allocation page and its link."""
    return actor.can(Permission.APPROVE_SUPPLIES) and (
        actor.unit_code is None or level_of(actor.unit_code) is not UnitLevel.COMMUNITY
    )


def _flash(flash: str) -> str | None:
    return flash if flash in FLASHES else None


@router.get("/supplies")
@router.get("/supplies.json")
def home(request: Request, unit: Short = "", show: Short = "", page: Page = 1, size: Size = DEFAULT_SIZE) -> Response:
    actor, csrf = session(request)
    if actor.facility_code is not None and not actor.can(Permission.APPROVE_SUPPLIES):
        suffix = ".json" if request.url.path.endswith(".json") else ""
        return RedirectResponse(f"/supplies/sites/facility/{actor.facility_code}{suffix}", status_code=303)
    lang = request_lang(request)
    data = supplies.shortages(
        get_ctx(request), actor, unit=unit or None, page=page, size=size, lang=lang, only_short=show != "all"
    )
    data.update(all=show == "all", may_allocate=may_allocate(actor), own_unit=actor.unit_code)
    return render(request, "supplies.html", data, actor=actor, csrf=csrf)


@router.get("/supplies/sites/{kind}/{code}")
def site_page(request: Request, kind: str, code: str, flash: str = "") -> Response:
    actor, csrf = session(request)
    data = supplies.site_stock(get_ctx(request), actor, kind, _bare(code), request_lang(request))
    site = data["site"]
    data.update(
        flash=_flash(flash),
        move_kinds=supplies.FORM_KINDS,
        site_kinds=("facility", "unit", "warehouse"),
        may_ask=actor.can(Permission.MANAGE_SUPPLIES) and site["kind"] != "warehouse" and data["may_move"],
    )
    return render(request, "supplies_site.html", data, actor=actor, csrf=csrf)


@router.post("/supplies/warehouses")
def warehouse_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    added = supplies.add_warehouse(
        get_ctx(request), actor, form.get("code", ""), form.get("name", ""), form.get("unit_code", "")
    )
    return RedirectResponse(f"/supplies/sites/warehouse/{added['code']}?flash=supplies_moved", status_code=303)


@router.get("/supplies/sites/{kind}/{code}/history")
@router.get("/supplies/sites/{kind}/{code}/history.json")
def history_page(request: Request, kind: str, code: str, page: Page = 1, size: Size = DEFAULT_SIZE) -> Response:
    actor, csrf = session(request)
    data = supplies.movement_history(
        get_ctx(request), actor, kind, code, page=page, size=size, lang=request_lang(request)
    )
    return render(request, "supplies_history.html", data, actor=actor, csrf=csrf)


@router.post("/supplies/sites/{kind}/{code}/move")
def move_submit(request: Request, kind: str, code: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    moved = supplies.record_movement(get_ctx(request), actor, kind, code, dict(form))
    return RedirectResponse(f"/supplies/sites/{kind}/{moved['site_code']}?flash=supplies_moved", status_code=303)


@router.post("/supplies/sites/{kind}/{code}/ask")
def ask_submit(request: Request, kind: str, code: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    lines = [(item, form.get(f"q_{item}", "")) for item in default_supply_policy().items]
    asked = supply_requests.ask(get_ctx(request), actor, kind, code, lines, form.get("why", ""))
    return RedirectResponse(f"/supplies/requests/{asked['id']}?flash=supplies_asked", status_code=303)


@router.get("/supplies/requests")
@router.get("/supplies/requests.json")
def requests_page(
    request: Request, state: str = "open", mine: str = "", page: Page = 1, size: Size = DEFAULT_SIZE
) -> Response:
    actor, csrf = session(request)
    to_decide = bool(mine) and may_allocate(actor)
    data = supply_requests.list_requests(
        get_ctx(request), actor, state=state, to_decide=to_decide, page=page, size=size, lang=request_lang(request)
    )
    data.update(states=(*REQUEST_STATES, "all"), may_allocate=may_allocate(actor), mine=to_decide)
    return render(request, "supplies_requests.html", data, actor=actor, csrf=csrf)


def _request_id(text: str) -> int:
    return path_id(_bare(text)) or 0


@router.get("/supplies/requests/{request_id}")
def request_page(request: Request, request_id: str, flash: str = "") -> Response:
    actor, csrf = session(request)
    data = supply_requests.get_request(get_ctx(request), actor, _request_id(request_id), request_lang(request))
    context: dict[str, Any] = {"r": data, "flash": _flash(flash), "own_unit": actor.unit_code}
    return render(request, "supplies_request.html", context, actor=actor, csrf=csrf)


@router.post("/supplies/requests/{request_id}/decide")
def decide_submit(request: Request, request_id: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    rid = _request_id(request_id)
    approved = {int(k[2:]): v for k, v in form.items() if k.startswith("a_") and k[2:].isdigit()}
    supply_requests.decide(
        get_ctx(request), actor, rid, approved, form.get("reason", ""),
        form.get("source_kind", "unit"), form.get("source_code", ""),
    )  # fmt: skip
    return RedirectResponse(f"/supplies/requests/{rid}?flash=supplies_decided", status_code=303)


@router.get("/supplies/allocation")
@router.get("/supplies/allocation.json")
def allocation_page(
    request: Request,
    source_kind: Short = "unit",
    source_code: Short = "",
    flash: str = "",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
) -> Response:
    actor, csrf = session(request)
    code = source_code or actor.unit_code or ""
    lang = request_lang(request)
    data = supply_allocation.propose(get_ctx(request), actor, source_kind, code, lang, page=page, size=size)
    data.update(flash=_flash(flash), source_kind=source_kind, source_code=code)
    return render(request, "supplies_allocation.html", data, actor=actor, csrf=csrf)


@router.post("/supplies/allocation")
def allocation_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    kind, code = form.get("source_kind", "unit"), form.get("source_code", "")
    supply_allocation.confirm(get_ctx(request), actor, kind, code, form.get("fingerprint", ""))
    return RedirectResponse(
        f"/supplies/allocation?source_kind={kind}&source_code={code}&flash=supplies_allocated", status_code=303
    )
