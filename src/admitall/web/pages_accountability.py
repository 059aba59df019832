"""Pages for responsibility: an official's own desk, directives (issue, acknowledge, complete) and the officials
with the units they lead. Each page calls the same service as its /api/ twin and links to it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.errors import STATUS
from admitall.api.params import Day, Id, Page, Short, Size, form_whole
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.directives import RecipientStatus, parse_target
from admitall.domain.errors import AdmitAllError, InvalidInput, NotFound
from admitall.domain.units import UnitLevel, level_of
from admitall.services import directive_lists, directives, officials
from admitall.services.audit import audit_trail
from admitall.services.context import Actor
from admitall.services.my_desk import my_desk
from admitall.services.units import scope_root, unit_tree
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.pages_scorecards import card_helpers
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
FLASHES = ("directive_issued", "directive_acknowledged", "directive_completed", "official_added", "lead_assigned")
BACK = ("/me", "/directives")
# what a recipient may be sent to in a broadcast, below the issuer's level
BROADCAST_LEVELS = (UnitLevel.DISTRICT, UnitLevel.STREET, UnitLevel.COMMUNITY)
# the errors a form shows beside itself (kept as typed); anything else is the error page
FORM_ERRORS = ("invalid", "not_found", "conflict", "forbidden")


def _flash(flash: str) -> str | None:
    return flash if flash in FLASHES else None


def _describer(lang: str) -> Any:
    def describe(target: dict[str, Any] | None) -> str:
        return parse_target(target).describe(lang)

    return describe


def _local_input(request: Request, hours: int = 0) -> str:
    """A value for a datetime-local field: now (plus some hours) in the city's time."""
    ctx = get_ctx(request)
    return (ctx.clock.now() + timedelta(hours=hours)).astimezone(ctx.settings.tz).strftime("%Y-%m-%dT%H:%M")


# --- my desk ----------------------------------------------------------------------------------------------------


@router.get("/me")
def desk_page(request: Request, flash: str = "") -> Response:
    actor, csrf = session(request)
    lang = request_lang(request)
    common = {"flash": _flash(flash), "json_url": "/api/me/desk", "describe": _describer(lang), **card_helpers()}
    try:
        data = my_desk(get_ctx(request), actor)
    except NotFound as e:
        if e.code != "official.not_you":
            raise
        common["not_official"] = e.message(lang)
        return render(request, "my_desk.html", common, actor=actor, csrf=csrf, status_code=404)
    data.update(common, not_official=None)
    return render(request, "my_desk.html", data, actor=actor, csrf=csrf)


# --- directives -------------------------------------------------------------------------------------------------


def _issue_form(request: Request, actor: Actor) -> dict[str, Any]:
    """The units the actor may direct (the ones right below), the levels to broadcast to, the defaults."""
    ctx = get_ctx(request)
    root = scope_root(ctx, actor)
    below = unit_tree(ctx, actor, root.code, depth=1)["children"]
    depth = level_of(root.code).depth
    levels = [lv.value for lv in BROADCAST_LEVELS if lv.depth > depth]
    default_level = directives.level_below(actor.unit_code)
    return {
        "below": [{"code": u["code"], "name": u["name"]} for u in below],
        "levels": levels,
        "defaults": {
            "title": "",
            "body": "",
            "due_at": _local_input(request, 4),
            "mode": "units",
            "units": [],
            "unit_codes": "",
            "broadcast_level": default_level.value if default_level else (levels[0] if levels else ""),
            "target_kind": "reported",
            "priority_class": "",
            "at_most": "0",
        },
    }


def _mark_overdue(data: dict[str, Any], request: Request) -> None:
    now = get_ctx(request).clock.now()
    for d in data["issued"]:
        for x in d["recipients"]:
            x["overdue"] = x["status"] != RecipientStatus.COMPLETED.value and datetime.fromisoformat(x["due_at"]) <= now


def _directives_page(
    request: Request,
    actor: Actor,
    csrf: str,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    flash: str = "",
    status_code: int = 200,
    status: str = "",
    show: str = "",
    q: str = "",
    page: int = 1,
    ipage: int = 1,
    size: int = DEFAULT_SIZE,
) -> Response:
    """What came from above and what was issued here, each a page at a time with its real total (`show`: one of
    them only; `status`: the receipts in that status, "pending" for those not completed)."""
    data = directive_lists.board(
        get_ctx(request), actor, status=status, show=show, q=q, page=page, ipage=ipage, size=size
    )
    _mark_overdue(data, request)
    form: dict[str, Any] = {"below": [], "levels": [], "defaults": {}}
    if actor.can(Permission.ISSUE_DIRECTIVES):
        form = _issue_form(request, actor)
    data.update(form, values={**form["defaults"], **(values or {})}, error=error, flash=_flash(flash))
    if not request.url.path.endswith(".json"):
        data.update(
            describe=_describer(request_lang(request)), statuses=directive_lists.STATUSES, shown=directive_lists.SHOWN
        )
    return render(request, "directives.html", data, actor=actor, csrf=csrf, status_code=status_code)


@router.get("/directives")
@router.get("/directives.json")
def directives_page(
    request: Request,
    flash: str = "",
    status: Short = "",
    show: Short = "",
    q: Short = "",
    page: Page = 1,
    ipage: Page = 1,
    size: Size = DEFAULT_SIZE,
) -> Response:
    actor, csrf = session(request)
    return _directives_page(
        request, actor, csrf, flash=flash, status=status, show=show, q=q, page=page, ipage=ipage, size=size
    )


def _target(form: dict[str, str]) -> dict[str, Any]:
    kind = form.get("target_kind") or "reported"
    target: dict[str, Any] = {"kind": kind}
    if kind != "reported":
        target["priority_class"] = form.get("priority_class") or None
        target["at_most"] = form_whole(form, "at_most") or 0
    return target


@router.post("/directives")
def directive_issue(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    actor.require(Permission.ISSUE_DIRECTIVES)
    chosen = [str(v) for v in posted.getlist("units") if str(v).strip()]
    typed = [c for c in re.split(r"[\s,，;；、]+", form.get("unit_codes", "")) if c]
    broadcast = form.get("mode") == "broadcast"
    values = {**form, "units": chosen}
    try:
        directives.issue(
            get_ctx(request),
            actor,
            title=form.get("title", ""),
            body=form.get("body", ""),
            due_at=form.get("due_at", ""),
            units=[] if broadcast else [*chosen, *typed],
            broadcast_level=(form.get("broadcast_level") or None) if broadcast else None,
            target=_target(form),
        )
    except AdmitAllError as e:
        if e.kind not in FORM_ERRORS:
            raise
        message = e.message(request_lang(request))
        return _directives_page(request, actor, csrf, values=values, error=message, status_code=STATUS[e.kind])
    return RedirectResponse("/directives?flash=directive_issued", status_code=303)


def _back(form: dict[str, str], flash: str) -> RedirectResponse:
    target = form.get("next") if form.get("next") in BACK else "/directives"
    return RedirectResponse(f"{target}?flash={flash}", status_code=303)


@router.post("/directives/recipients/{recipient_id}/acknowledge")
def directive_acknowledge(request: Request, recipient_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    directives.acknowledge(get_ctx(request), actor, recipient_id)
    return _back(form, "directive_acknowledged")


@router.post("/directives/recipients/{recipient_id}/complete")
def directive_complete(request: Request, recipient_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    """A refusal (no note, or a measurable target the registry does not show met) is the error page, with why."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    directives.complete(get_ctx(request), actor, recipient_id, form.get("note", ""))
    return _back(form, "directive_completed")


# --- officials --------------------------------------------------------------------------------------------------


def _officials_page(
    request: Request,
    actor: Actor,
    csrf: str,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    flash: str = "",
    status_code: int = 200,
    q: str = "",
    page: int = 1,
    size: int = DEFAULT_SIZE,
    vpage: int = 1,
) -> Response:
    """A page of officials (searched by name, title or unit) and a page of the units without a lead, each with
    its own pager and its real total."""
    ctx = get_ctx(request)
    data = officials.list_officials(ctx, actor, q=q, page=page, size=size)
    vacant = officials.vacancies(ctx, actor, page=vpage, size=size)
    codes = {x["home_unit"] for x in data["officials"]}
    codes |= {u["code"] for x in data["officials"] for u in x["leads"]} | {v["code"] for v in vacant["units"]}
    data.update(
        vacancies=vacant["units"],
        vacancies_total=vacant["total"],
        vpage=vacant["page"],
        unit_codes=sorted(codes),
        values={"home_unit": actor.unit_code or "", **(values or {})},
        error=error,
        flash=_flash(flash),
    )
    return render(request, "officials.html", data, actor=actor, csrf=csrf, status_code=status_code)


@router.get("/officials")
@router.get("/officials.json")
def officials_page(
    request: Request, flash: str = "", q: Short = "", page: Page = 1, size: Size = DEFAULT_SIZE, vpage: Page = 1
) -> Response:
    actor, csrf = session(request)
    return _officials_page(request, actor, csrf, flash=flash, q=q, page=page, size=size, vpage=vpage)


@router.post("/officials")
def official_add(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    actor.require(Permission.MANAGE_OFFICIALS)
    try:
        officials.add_official(
            get_ctx(request),
            actor,
            name=form.get("name", ""),
            title=form.get("title", ""),
            home_unit=form.get("home_unit", ""),
            phone=form.get("phone") or None,
            username=form.get("username") or None,
        )
    except AdmitAllError as e:
        if e.kind not in FORM_ERRORS:
            raise
        message = e.message(request_lang(request))
        return _officials_page(request, actor, csrf, values=form, error=message, status_code=STATUS[e.kind])
    return RedirectResponse("/officials?flash=official_added", status_code=303)


@router.post("/officials/lead")
def official_lead(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    actor.require(Permission.MANAGE_OFFICIALS)
    ctx = get_ctx(request)
    try:
        official_id = form.get("official_id", "").strip()
        if not official_id.isdigit():
            raise InvalidInput("lead.no_official", "请选择干部", "Choose an official", field="official_id")
        starts = form.get("starts_at", "").strip()
        officials.assign_lead(
            ctx,
            actor,
            form.get("unit_code", ""),
            int(official_id),
            starts_at=directives.parse_when(starts, ctx, "starts_at") if starts else None,
            reason=form.get("reason") or None,
        )
    except AdmitAllError as e:
        if e.kind not in FORM_ERRORS:
            raise
        message = e.message(request_lang(request))
        return _officials_page(request, actor, csrf, values=form, error=message, status_code=STATUS[e.kind])
    return RedirectResponse("/officials?flash=lead_assigned", status_code=303)


# --- the audit log ----------------------------------------------------------------------------------------------


@router.get("/audit")
@router.get("/audit.json")
def audit_page(
    request: Request,
    by: Short = "",
    action: Short = "",
    unit: Short = "",
    since: Day = "",
    until: Day = "",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
) -> Response:
    """Who did what in the jurisdiction, newest first, a page at a time with the real total; filtered by who,
    what, unit and days."""
    actor, csrf = session(request)
    data = audit_trail(
        get_ctx(request), actor, by=by, action=action, unit=unit, since=since, until=until, page=page, size=size
    )
    data["filters"] = {"by": by, "action": action, "unit": unit, "since": since, "until": until}
    return render(request, "audit.html", data, actor=actor, csrf=csrf)
