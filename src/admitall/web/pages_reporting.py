"""Pages for the reporting chain: the board, the report form (fit for a phone), alerts, problems."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import MAX_ID, Id, Page, Size, form_whole
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError
from admitall.domain.reporting import FIELD_FIGURES
from admitall.services import alert_inbox, problem_inbox, reporting
from admitall.services.directives import OVERDUE
from admitall.services.officials import NO_LEAD
from admitall.services.reporting import ReportInput
from admitall.web.rendering import read_form, render, safe_next, session

router = APIRouter(include_in_schema=False)
FORM_PROBLEMS = 3
# the kinds of alert the page filters by
ALERT_KINDS = ("missing_report", OVERDUE, NO_LEAD, "help_overdue", "missed_check", "supply_short", "staff_infections")


@router.get("/reports")
@router.get("/reports.json")
def board_page(request: Request, unit: str = "", hours: int = 6) -> Response:
    actor, csrf = session(request)
    data = reporting.board(get_ctx(request), actor, unit or None, hours=hours)
    return render(request, "board.html", data, actor=actor, csrf=csrf)


@router.get("/reports/new")
def report_form(request: Request, unit: str = "", period_start: str = "") -> Response:
    actor, csrf = session(request)
    actor.require(Permission.SUBMIT_REPORTS)
    target = unit or actor.unit_code or ""
    data = reporting.draft(get_ctx(request), actor, target, period_start or None)
    data.update(
        {"key": secrets.token_urlsafe(16), "error": None, "slots": range(FORM_PROBLEMS), "field_names": FIELD_FIGURES}
    )
    return render(request, "report_form.html", data, actor=actor, csrf=csrf)


def _int(form: dict[str, str], name: str) -> int | None:
    return form_whole(form, name)


def _reported(form: dict[str, str]) -> dict[str, object]:
    """The stated figures from the form's fields, named like 'found.contact' and 'admitted'."""
    reported: dict[str, object] = {}
    for name in form:
        if "." in name and name.split(".", 1)[0] in ("found", "waiting"):
            value = _int(form, name)
            if value is not None:
                group, key = name.split(".", 1)
                reported.setdefault(group, {})[key] = value  # type: ignore[index]
    for name in ("admitted", "sla_breaches"):
        value = _int(form, name)
        if value is not None:
            reported[name] = value
    return reported


@router.post("/reports/new")
def report_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    ctx = get_ctx(request)
    problems = [
        {
            "type": form.get(f"problem{i}.type"),
            "severity": form.get(f"problem{i}.severity"),
            "description": form.get(f"problem{i}.description"),
            "needs_help": bool(form.get(f"problem{i}.help")),
        }
        for i in range(FORM_PROBLEMS)
        if form.get(f"problem{i}.description", "").strip()
    ]
    try:
        field = {k: v for k in FIELD_FIGURES if (v := _int(form, k)) is not None}
        result = reporting.submit(
            ctx,
            actor,
            ReportInput(
                unit_code=form.get("unit", ""),
                period_start=form.get("period_start") or None,
                reported=_reported(form),
                field=field,
                problems=problems,
                attested_by=form.get("attested_by", ""),
                attest=form.get("attest") == "on",
                idempotency_key=form.get("key") or None,
                supersedes=form_whole(form, "supersedes", high=MAX_ID),
                correction_reason=form.get("correction_reason") or None,
            ),
        )
    except AdmitAllError as e:
        if e.kind not in ("invalid", "conflict"):
            raise
        data = reporting.draft(ctx, actor, form.get("unit", ""), form.get("period_start") or None)
        data.update(
            {
                "key": form.get("key"),
                "error": e.message(request_lang(request)),
                "slots": range(FORM_PROBLEMS),
                "field_names": FIELD_FIGURES,
            }
        )
        return render(request, "report_form.html", data, actor=actor, csrf=csrf, status_code=422)
    return RedirectResponse(f"/reports?unit={result['unit_code']}&sent={result['id']}", status_code=303)


def _ids(posted: FormData, name: str) -> list[int]:
    """The whole numbers among a form's repeated field (the checked boxes); anything else is not an id."""
    found = []
    for value in posted.getlist(name):
        text = str(value).strip()
        if text.isdigit() and 0 < int(text) <= MAX_ID:
            found.append(int(text))
    return found


MAX_SHOWN_REFUSED = 20


def _refused_ids(text: str) -> list[int]:
    """The ids of the alerts a bulk acknowledgement refused, as the address after it names them."""
    return [int(x) for x in text.split(",")[:MAX_SHOWN_REFUSED] if x.isdigit() and len(x) <= 10]


@router.get("/alerts")
@router.get("/alerts.json")
def alerts_page(
    request: Request,
    state: Annotated[str, Query(max_length=10)] = "open",
    all: bool = False,
    unit: Annotated[str, Query(max_length=64)] = "",
    kind: Annotated[str, Query(max_length=30)] = "",
    page: Page = 1,
    size: Size = alert_inbox.SIZE,
    done: Annotated[int, Query(ge=-1, le=MAX_ID)] = -1,
    refused: Annotated[str, Query(max_length=400)] = "",
) -> Response:
    """One page of the alerts with the real total; filters by state (open, expired, all), unit and kind. After
    acknowledging, `done` and `refused` say what happened."""
    actor, csrf = session(request)
    data = alert_inbox.inbox(
        get_ctx(request),
        actor,
        state="all" if all else state,
        unit=unit or None,
        kind=kind or None,
        page=page,
        size=size,
    )
    data["kinds"] = ALERT_KINDS
    data["flash"] = {"done": done, "refused": _refused_ids(refused)} if done >= 0 else None
    kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in ("done", "refused")])
    data["here"] = "/alerts" + (f"?{kept}" if kept else "")
    return render(request, "alerts.html", data, actor=actor, csrf=csrf)


def _after(form: dict[str, str], done: int, refused: list[int]) -> RedirectResponse:
    """Back where the acknowledgement was made; on the alerts page, saying how many and which were refused."""
    target = safe_next(form.get("next") or "/alerts")
    if target.split("?", 1)[0] != "/alerts":
        return RedirectResponse(target, status_code=303)
    sep = "&" if "?" in target else "?"
    query = f"done={done}" + (f"&refused={','.join(str(i) for i in refused)}" if refused else "")
    return RedirectResponse(f"{target}{sep}{query}", status_code=303)


@router.post("/alerts/acknowledge")
def alerts_ack_many(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    """The checked alerts acknowledged at once (each checked; what is refused is named on the page after)."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    result = alert_inbox.acknowledge_many(get_ctx(request), actor, _ids(posted, "alert"), form.get("note") or None)
    return _after(form, len(result["acknowledged"]), [x["id"] for x in result["refused"]])


@router.post("/alerts/{alert_id}/acknowledge")
def alert_ack(request: Request, alert_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    alert_inbox.acknowledge(get_ctx(request), actor, alert_id, form.get("note") or None)
    return _after(form, 1, [])


@router.get("/problems")
@router.get("/problems.json")
def problems_page(
    request: Request,
    status: Annotated[str, Query(max_length=10)] = "open",
    unit: Annotated[str, Query(max_length=64)] = "",
    page: Page = 1,
    size: Size = problem_inbox.SIZE,
    done: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    actor, csrf = session(request)
    data = problem_inbox.problems(
        get_ctx(request), actor, status=status or None, unit=unit or None, page=page, size=size
    )
    data["flash"] = "resolved" if done else None
    return render(request, "problems.html", data, actor=actor, csrf=csrf)


@router.post("/problems/{problem_id}/resolve")
def problem_resolve(request: Request, problem_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    problem_inbox.resolve_problem(get_ctx(request), actor, problem_id, form.get("note", ""))
    return RedirectResponse("/problems?done=1", status_code=303)
