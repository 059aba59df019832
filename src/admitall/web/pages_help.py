"""The help pages. Public, no sign-in: /help (ask for help, phone-first; the community found by name, with
help.js or, without script, by the search button's own page load), /help/status (follow a request by its number
and code). Staff: /help-requests (the list, critical first, with the pager) and /help-requests/{id} (one request,
its trail and the community's one-tap actions). Each page has its JSON twin; they call the same services as
api/routes_help.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import client_address, get_ctx, request_lang
from admitall.api.params import Page, Short, Size, path_id
from admitall.api.uploads import posted_form
from admitall.domain import help as rules
from admitall.services import help_request_lists, help_requests
from admitall.services.help_places import search_communities
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
FIELDS = (
    "for_whom", "name", "phone", "id_number", "unit_code", "address", "symptoms", "symptoms_since",
    "fever_days", "age",
)  # fmt: skip
CHECKS = ("breathless", "chronic", "told_contact", "tested_positive")
FLASHES = tuple(f"help_done_{a}" for a in rules.ACTIONS)


def _form_page(
    request: Request,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    found: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    data = {
        "fields": [*FIELDS, *CHECKS],
        "required": ["name", "phone", "unit_code", "address"],
        "for_whom_choices": [rules.SELF, rules.FAMILY],
        "values": values,
        "errors": errors or {},
        "found": found,
        "submit_to": "/api/help-requests",
    }
    return render(request, "help.html", data, status_code=status_code)


@router.get("/help")
@router.get("/help.json")
def help_form(request: Request, cq: Short = "") -> Response:
    """The form (its JSON twin: the fields it takes); `cq`: the search for a community, without script."""
    found = search_communities(get_ctx(request), cq, client_address(request)) if cq.strip() else None
    return _form_page(request, {"cq": cq}, found=found)


@router.post("/help")
def help_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    values = {k: v for k, v in posted.items() if isinstance(v, str)}
    if values.get("search"):  # the search button of a browser without script: the same form, with the matches
        found = search_communities(get_ctx(request), values.get("cq", ""), client_address(request))
        return _form_page(request, values, found=found)
    try:
        answer = help_requests.submit(get_ctx(request), values, client_address(request))
    except help_requests.HelpInvalid as e:
        errors = e.as_dict(request_lang(request))["fields"]
        return _form_page(request, values, errors=errors, status_code=422)
    return render(request, "help_done.html", {"answer": answer}, status_code=201)


@router.get("/help/status")
@router.get("/help/status.json")
def status_form(request: Request) -> Response:
    return render(request, "help_status.html", {"result": None, "number": "", "fields": ["number", "code"]})


@router.post("/help/status")
def status_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    number = form.get("number", "")
    result = help_requests.status(get_ctx(request), number, form.get("code", ""), client_address(request))
    return render(request, "help_status.html", {"result": result, "number": number, "fields": ["number", "code"]})


@router.get("/help-requests")
@router.get("/help-requests.json")
def requests_page(
    request: Request, state: str = "open", unit: Short = "", page: Page = 1, size: Size = DEFAULT_SIZE, flash: str = ""
) -> Response:
    actor, csrf = session(request)
    data = help_request_lists.list_requests(
        get_ctx(request), actor, state=state, unit=unit or None, page=page, size=size
    )
    data.update(states=help_request_lists.STATES, flash=flash if flash in FLASHES else None)
    return render(request, "help_requests.html", data, actor=actor, csrf=csrf)


def _request_id(text: str) -> int:
    return path_id(text.removesuffix(".json")) or 0  # 0: no request has it, the service answers 404


@router.get("/help-requests/{request_id}")
def request_page(request: Request, request_id: str, flash: str = "") -> Response:
    actor, csrf = session(request)
    data = help_request_lists.get_request(get_ctx(request), actor, _request_id(request_id))
    data.update(flash=flash if flash in FLASHES else None)
    return render(
        request, "help_request.html", {"r": data, "flash": data["flash"], **_choices()}, actor=actor, csrf=csrf
    )


def _choices() -> dict[str, Any]:
    return {"actions": [a for a in rules.ACTIONS if a != "closed"], "close_reasons": rules.CLOSE_REASONS}


@router.post("/help-requests/{request_id}/act")
def act_submit(request: Request, request_id: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    action = form.get("action", "")
    rid = _request_id(request_id)
    help_request_lists.act(get_ctx(request), actor, rid, action, form.get("reason") or None)
    back = "/help-requests" if form.get("back") == "list" else f"/help-requests/{rid}"
    return RedirectResponse(f"{back}?flash=help_done_{action}", status_code=303)
