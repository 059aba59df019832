"""Pages for admission: the dispatcher's board, facilities and their admissions desks, beds across the city."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import MAX_VERSION, Id, form_whole, path_id
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.intake import HEADERS
from admitall.domain.people import Status
from admitall.services import admission, staffing_views
from admitall.services.backlog import backlog
from admitall.services.context import Actor
from admitall.services.facilities import (
    FACILITY_HEADERS,
    import_facilities,
    list_facilities,
    occupancy,
    parse_admission_rate,
    set_admission_rate,
    set_beds,
)
from admitall.services.registration import register_batch
from admitall.services.tabular import Limits, open_table
from admitall.web.boundary_upload import boundary_upload
from admitall.web.confirming import Question, ask, confirmed
from admitall.web.i18n import translator
from admitall.web.pages_imports import facility_field_name
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
PLAN_ROWS = 300


@router.get("/dispatch")
@router.get("/dispatch.json")
def dispatch_page(request: Request, confirmed: int | None = None, skipped: int | None = None) -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    plan = admission.plan_admissions(ctx, actor, lang=request_lang(request))
    data = {
        "plan": plan,
        "backlog": backlog(ctx, actor),
        "shown": min(len(plan["assignments"]), PLAN_ROWS),
        "confirmed": confirmed,
        "skipped": skipped,
    }
    return render(request, "dispatch.html", data, actor=actor, csrf=csrf)


@router.post("/dispatch/confirm")
def dispatch_confirm(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    read_form(posted, csrf)
    items = [_confirmation(str(value)) for value in posted.getlist("item")]
    result = admission.confirm(get_ctx(request), actor, items, lang=request_lang(request))
    return RedirectResponse(
        f"/dispatch?confirmed={len(result['confirmed'])}&skipped={len(result['skipped'])}", status_code=303
    )


def _confirmation(value: str) -> admission.Confirmation:
    """One plan item as the dispatch page posts it: person|facility|bed type|version."""
    parts = value.split("|")
    person = path_id(parts[0]) if len(parts) == 4 else None
    version = form_whole({"version": parts[3]}, "version", high=MAX_VERSION) if person is not None else None
    if person is None or version is None:
        raise InvalidInput("dispatch.bad_item", f"计划项无法识别：{value[:40]}", f"Not a plan item: {value[:40]}")
    return admission.Confirmation(person, parts[1], parts[2], version)


@router.get("/facilities")
@router.get("/facilities.json")
def facilities_page(request: Request, type: str = "") -> Response:
    actor, csrf = session(request)
    data = staffing_views.with_staffed_beds(
        get_ctx(request), list_facilities(get_ctx(request), actor, type=type or None)
    )
    data["type"] = type
    return render(request, "facilities.html", data, actor=actor, csrf=csrf)


# what a desk's redirect may say; anything else in ?flash= is ignored
DESK_FLASHES = ("saved", "desks_outcome_saved", "desks_beds_saved")


@router.get("/facilities/{code}")
def desk_page(request: Request, code: str, flash: str = "") -> Response:
    actor, csrf = session(request)
    return _desk(request, actor, csrf, code.removesuffix(".json"), flash=flash)


def _desk(
    request: Request,
    actor: Actor,
    csrf: str,
    code: str,
    *,
    flash: str = "",
    error: AdmitAllError | None = None,
    status_code: int = 200,
) -> Response:
    """The desk, with a flash after an action or an error beside it (a form sent without its choice)."""
    data = admission.desk(get_ctx(request), actor, code)
    data["flash"] = flash if flash in DESK_FLASHES else None
    data["error"] = error.as_dict(request_lang(request)) if error is not None else None
    data["outcomes"] = [s.value for s in admission.OUTCOMES]
    data["can_manage_beds"] = data["can_act"] or actor.can(Permission.MANAGE_FACILITIES)
    data["can_depart"] = actor.can(Permission.TRANSPORT) and (data["can_act"] or actor.facility_code is None)
    return render(request, "desk.html", data, actor=actor, csrf=csrf, status_code=status_code)


@router.post("/facilities/{code}/people/{person_id}/{step}")
def desk_submit(
    request: Request, code: str, person_id: Id, step: str, posted: FormData = Depends(posted_form)
) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    ctx = get_ctx(request)
    version = form_whole(form, "version", high=MAX_VERSION)
    if step != "outcome":
        admission.desk_step(ctx, actor, person_id, step, reason=form.get("reason") or None, expected_version=version)
        return RedirectResponse(f"/facilities/{code}?flash=saved", status_code=303)
    outcome, reason = form.get("outcome", ""), form.get("reason") or None
    if not outcome.strip():  # nothing chosen: the desk again, saying so; nothing changes
        try:
            admission.parse_outcome(outcome)
        except InvalidInput as e:
            return _desk(request, actor, csrf, code, error=e, status_code=422)
    if not confirmed(form):
        # an outcome ends the stay and frees the bed: the page asks once more, and only a confirmed form acts
        preview = admission.outcome_preview(ctx, actor, person_id, outcome, expected_version=version)
        lang = request_lang(request)
        t, what = translator(lang), Status(preview["outcome"]).label(lang)
        question = Question(
            id="confirm-outcome",
            action=f"/facilities/{code}/people/{person_id}/outcome",
            question=t("desks_confirm_question", name=preview["name"], outcome=what, facility=preview["facility_name"]),
            final=t("desks_confirm_final"),
            yes=t("desks_confirm_yes", outcome=what),
            back=f"/facilities/{code}#p-{person_id}",
            fields={"version": str(preview["version"]), "outcome": preview["outcome"], "reason": reason or ""},
            reason=reason or "",
        )
        return ask(request, actor, csrf, question)
    admission.record_outcome(ctx, actor, person_id, outcome, reason=reason, expected_version=version)
    return RedirectResponse(f"/facilities/{code}?flash=desks_outcome_saved#admitted", status_code=303)


@router.post("/facilities/{code}/beds/{bed_type}")
def beds_submit(request: Request, code: str, bed_type: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    set_beds(
        get_ctx(request),
        actor,
        code,
        bed_type,
        capacity=_count(form.get("capacity")),
        out_of_service=_count(form.get("out_of_service")),
    )
    return RedirectResponse(f"/facilities/{code}?flash=desks_beds_saved", status_code=303)


@router.post("/facilities/{code}/admission-rate")
def admission_rate_submit(request: Request, code: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    set_admission_rate(get_ctx(request), actor, code, parse_admission_rate(form.get("admissions_per_hour")))
    return RedirectResponse(f"/facilities/{code}?flash=saved", status_code=303)


def _count(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        raise InvalidInput(
            "beds.bad_number", f"床位数应为整数：{text}", f"Bed numbers are whole numbers: {text}", field="capacity"
        ) from None


@router.get("/beds")
@router.get("/beds.json")
def beds_page(request: Request) -> Response:
    actor, csrf = session(request)
    return render(request, "beds.html", occupancy(get_ctx(request), actor), actor=actor, csrf=csrf)


@router.get("/imports")
def imports_page(request: Request) -> Response:
    actor, csrf = session(request)
    if not (actor.can(Permission.IMPORT_PERSONS) or actor.can(Permission.MANAGE_FACILITIES)):
        actor.require(Permission.IMPORT_PERSONS)
    data = {"result": None, "kind": None, "limits": _upload_limits(request)}
    return render(request, "imports.html", data, actor=actor, csrf=csrf)


def _upload_limits(request: Request) -> dict[str, int]:
    settings = get_ctx(request).settings
    return {"mb": settings.max_upload_mb, "rows": settings.max_import_rows}


@router.post("/imports/{kind}")
def imports_submit(request: Request, kind: str, posted: FormData = Depends(posted_form)) -> Response:
    """Upload a persons or facilities file: the same import, the same accounting, as the CLI and the API."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    upload = posted.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput("import.no_file", "请选择要导入的文件", "Choose a file to import", field="file")
    name = upload.filename or "upload"
    ctx = get_ctx(request)
    xlsx, limits = name.lower().endswith(".xlsx"), Limits.of(ctx.settings)
    if kind == "persons":
        actor.require(Permission.IMPORT_PERSONS)
        table = open_table(upload.file, HEADERS, ("name", "category", "unit_code"), xlsx=xlsx, limits=limits)
        summary = register_batch(
            ctx,
            actor,
            table.rows,
            source=form.get("source") or name,
            filename=name,
            sha256=table.sha256,
            keep_rejects=True,
        )
        result = summary.as_dict(request_lang(request))
        kept = summary.rejected or summary.warnings
        result["rejects_url"] = f"/imports/{summary.import_id}/rejects.xlsx" if kept else None
    elif kind == "facilities":
        actor.require(Permission.MANAGE_FACILITIES)
        table = open_table(
            upload.file, FACILITY_HEADERS, ("code", "name", "type", "unit_code"), xlsx=xlsx, limits=limits
        )
        result = import_facilities(ctx, actor, table.rows).as_dict()
        lang = request_lang(request)
        for r in result["rejections"]:
            r["reason"] = r["reason_en"] if lang == "en" else r["reason"]
            r["field_name"] = facility_field_name(r["field"], lang)
    elif kind == "boundaries":
        result = boundary_upload(ctx, actor, upload.file, name, request_lang(request))
    else:
        raise InvalidInput("import.kind", f"未知的导入类型：{kind}", f"Unknown kind of import: {kind}")
    data = {"result": result, "kind": kind, "filename": name, "limits": _upload_limits(request)}
    return render(request, "imports.html", data, actor=actor, csrf=csrf)
