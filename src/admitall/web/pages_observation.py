"""The pages of tracing and observation (issue 17 §1, §2), each with its JSON twin: the team's day of checks (a phone
form per person), a case's contacts and chain (SVG drawn here, no script), the clusters and the tracing figures,
and a contact list's import. They call the same services as /api/observation and /api/tracing."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Id, Page
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput
from admitall.domain.observation import Symptom
from admitall.domain.tracing import Closeness, Setting
from admitall.services import observation, tracing
from admitall.services.observation_checks import CheckInput, record_checks
from admitall.services.tabular import Limits, open_table
from admitall.services.tracing_import import CONTACT_HEADERS, import_contacts
from admitall.store.paged import page_fields
from admitall.web.rendering import read_form, render, session
from admitall.web.tracing_svg import chain_svg

router = APIRouter(include_in_schema=False)
FLASHES = ("observation_flash_released", "tracing_flash_added")


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "observation.day_invalid", "日期格式应为 YYYY-MM-DD", "The day is YYYY-MM-DD", field="day"
        ) from None


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").replace(",", "."))
    except ValueError:
        return None


@router.get("/observation")
@router.get("/observation.json")
def observation_page(
    request: Request, unit: str = "", day: str = "", page: Page = 1, flash: str = "", recorded: int = -1
) -> Response:
    """The day's checks of the contacts whose team is the unit (the user's own by default), a form per person."""
    actor, csrf = session(request)
    data = observation.due_list(get_ctx(request), actor, unit or None, _day(day), page)
    data.update(page_fields(page, observation.PAGE, data["total"]))
    data.update(
        flash=flash if flash in FLASHES else None,
        recorded=recorded if recorded >= 0 else None,
        symptoms=[s.value for s in Symptom],
        can_record=actor.can(Permission.RECLASSIFY),
        unit_param=unit,
    )
    return render(request, "observation.html", data, actor=actor, csrf=csrf)


@router.post("/observation/checks")
def checks_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    """One person's check from the phone form; the page again with what was recorded, refused or converted."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    pid = int(form.get("person_id", "0") or 0) if (form.get("person_id") or "").isdigit() else 0
    chosen = tuple(str(v) for v in posted.getlist("symptoms"))
    lang = request_lang(request)
    summary = record_checks(
        get_ctx(request), actor, [CheckInput(pid, _number(form.get("temperature")), chosen)], source="web", lang=lang
    )
    data = observation.due_list(get_ctx(request), actor, form.get("unit") or None)
    data.update(page_fields(1, observation.PAGE, data["total"]))
    data.update(
        result=summary.as_dict(),
        flash=None,
        symptoms=[s.value for s in Symptom],
        can_record=actor.can(Permission.RECLASSIFY),
        unit_param=form.get("unit", ""),
    )
    status = 200 if summary.recorded else 422
    return render(request, "observation.html", data, actor=actor, csrf=csrf, status_code=status)


@router.post("/observation/{person_id}/release")
def release_submit(request: Request, person_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    observation.release(get_ctx(request), actor, person_id, test=form.get("test") or None, lang=request_lang(request))
    return RedirectResponse("/observation?flash=observation_flash_released", status_code=303)


@router.get("/tracing")
@router.get("/tracing.json")
def tracing_page(request: Request) -> Response:
    """Clusters by size and growth, and the tracing figures by unit."""
    actor, csrf = session(request)
    ctx = get_ctx(request)
    data = {
        "clusters": tracing.cluster_list(ctx, actor),
        "counts": tracing.tracing_counts(ctx, actor),
        "can_import": actor.can(Permission.IMPORT_PERSONS),
    }
    return render(request, "tracing.html", data, actor=actor, csrf=csrf)


@router.post("/tracing/import")
def tracing_import_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    """A contact list (CSV or XLSX): the same accounting as every import, every row accepted, merged or rejected."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    actor.require(Permission.IMPORT_PERSONS)
    upload = posted.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput("import.no_file", "请选择要导入的文件", "Choose a file to import", field="file")
    name = upload.filename or "upload"
    ctx = get_ctx(request)
    xlsx = name.lower().endswith(".xlsx")
    table = open_table(upload.file, CONTACT_HEADERS, ("name", "unit_code"), xlsx=xlsx, limits=Limits.of(ctx.settings))
    result = import_contacts(
        ctx, actor, table.rows, source=form.get("source") or name, filename=name, sha256=table.sha256,
        lang=request_lang(request),
    )  # fmt: skip
    data = {
        "clusters": tracing.cluster_list(ctx, actor),
        "counts": tracing.tracing_counts(ctx, actor),
        "can_import": True,
        "result": result,
        "filename": name,
    }
    return render(request, "tracing.html", data, actor=actor, csrf=csrf)


@router.get("/tracing/{person_id}")
def tracing_case_page(request: Request, person_id: str, depth: int = 2, flash: str = "") -> Response:
    """A case's contacts with their state, their known sources, and the chain drawn as SVG (its JSON twin has the
    nodes and edges instead)."""
    actor, csrf = session(request)
    pid = _person_id(person_id)
    ctx = get_ctx(request)
    data = tracing.contacts_of(ctx, actor, pid)
    found = tracing.chain(ctx, actor, pid, depth=depth)
    data.update(
        chain=found,
        flash=flash if flash in FLASHES else None,
        settings=[s.value for s in Setting],
        closeness_values=[c.value for c in Closeness],
        can_register=actor.can(Permission.REGISTER_PERSONS),
        observation=observation.person_observation(ctx, actor, pid),
    )
    if not request.url.path.endswith(".json"):
        data["svg"] = chain_svg(found, request_lang(request))
    return render(request, "tracing_case.html", data, actor=actor, csrf=csrf)


@router.post("/tracing/{person_id}/contacts")
def contact_submit(request: Request, person_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    """A contact registered from the case's page: the same rules as a list of one row."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    keys = ("name", "id_number", "phone", "unit_code", "exposed_on", "setting", "closeness")
    row = {k: form.get(k) or None for k in keys}
    row.update(case_id=str(person_id), category="contact")
    result = import_contacts(get_ctx(request), actor, [(1, row)], source="web", lang=request_lang(request))
    if result["rejected"]:
        reason = "; ".join(r["reason"] for r in result["rejections"])
        raise InvalidInput("tracing.contact_rejected", reason, reason)
    return RedirectResponse(f"/tracing/{person_id}?flash=tracing_flash_added", status_code=303)


def _person_id(text: str) -> int:
    from admitall.api.params import path_id
    from admitall.services.context import not_found

    value = text.removesuffix(".json")
    if path_id(value) is None:
        raise not_found("person", value)
    return int(value)
