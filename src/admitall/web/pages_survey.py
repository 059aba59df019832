"""The survey's pages (issue 17 §3): the offline app (`/survey/app`, its service worker at `/survey/sw.js` so that
its scope is `/survey/`), the community's households (list, import, add), campaigns (list, set) and a campaign's
progress (`/survey/campaigns/{id}`). Each page has its JSON twin and calls the same services as /api/survey."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Page, Size
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.units import UnitLevel, level_of
from admitall.services import survey, survey_progress
from admitall.services.survey_visits import SYMPTOMS
from admitall.services.tabular import Limits, open_table
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.assets import STATIC_DIR
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)


@router.get("/survey/app")
@router.get("/survey/app.json")
def survey_app(request: Request) -> Response:
    """The app's shell: no personal data (households and people come as JSON into the phone's IndexedDB), so the
    service worker may keep it for offline use."""
    actor, csrf = session(request)
    actor.require(Permission.REGISTER_PERSONS)
    data = {
        "session_url": "/api/survey/session",
        "households_url": "/api/survey/households",
        "visits_url": "/api/survey/visits",
        "symptoms": list(SYMPTOMS),
        "categories": ["none", "contact", "fever", "suspected", "confirmed"],
        "community": _community_default(request, ""),
    }
    return render(request, "survey_app.html", data, actor=actor, csrf=csrf)


@router.get("/survey/sw.js")
def service_worker() -> Response:
    """The service worker, served from /survey/ so that it may control the app at /survey/app."""
    return FileResponse(
        STATIC_DIR / "sw.js", media_type="text/javascript", headers={"Service-Worker-Allowed": "/survey/"}
    )


def _community_default(request: Request, community: str) -> str:
    actor, _csrf = session(request)
    unit = actor.unit_code or ""
    return community or (unit if unit and level_of(unit) is UnitLevel.COMMUNITY else "")


@router.get("/survey/households")
@router.get("/survey/households.json")
def households_page(request: Request, community: str = "", page: Page = 1, size: Size = DEFAULT_SIZE) -> Response:
    actor, csrf = session(request)
    community = _community_default(request, community)
    if not community:
        raise InvalidInput("survey.community", "请指定社区编码", "Give the community's code", field="community")
    data = survey.households(get_ctx(request), actor, community, page=page, size=size)
    data["result"] = None
    return render(request, "survey_households.html", data, actor=actor, csrf=csrf)


@router.post("/survey/households")
def households_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    """One household typed in, or a list uploaded (CSV/XLSX): the same accounting either way."""
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    ctx = get_ctx(request)
    community = form.get("community", "")
    upload = posted.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        name = upload.filename
        table = open_table(
            upload.file,
            survey.HOUSEHOLD_HEADERS,
            ("address",),
            xlsx=name.lower().endswith(".xlsx"),
            limits=Limits.of(ctx.settings),
        )
        result = survey.add_households(ctx, actor, community, table.rows)
    else:
        result = survey.add_households(
            ctx, actor, community, [(1, {"address": form.get("address"), "label": form.get("label")})], source="team"
        )
    data = survey.households(ctx, actor, community, page=1)
    data["result"] = result
    return render(request, "survey_households.html", data, actor=actor, csrf=csrf)


@router.get("/survey/campaigns")
@router.get("/survey/campaigns.json")
def campaigns_page(request: Request) -> Response:
    actor, csrf = session(request)
    data = {"campaigns": survey.campaigns_list(get_ctx(request), actor), "may_set": survey.may_set_campaigns(actor)}
    data.update(error=None, values={})
    return render(request, "survey_campaigns.html", data, actor=actor, csrf=csrf)


@router.post("/survey/campaigns")
def campaigns_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    ctx = get_ctx(request)
    try:
        absent = int(form.get("absent_visits_done") or "0")
    except ValueError:
        absent = -1
    try:
        made = survey.create_campaign(
            ctx,
            actor,
            name=form.get("name", ""),
            starts_on=form.get("starts_on"),
            ends_on=form.get("ends_on"),
            units_codes=form.get("units", "").replace("，", ",").replace(" ", ",").split(","),
            absent_visits_done=absent,
        )
    except AdmitAllError as e:
        if e.kind != "invalid":
            raise
        data = {"campaigns": survey.campaigns_list(ctx, actor), "may_set": survey.may_set_campaigns(actor)}
        data.update(error=e.message(request_lang(request)), values=form)
        return render(request, "survey_campaigns.html", data, actor=actor, csrf=csrf, status_code=422)
    return RedirectResponse(f"/survey/campaigns/{made['id']}", status_code=303)


@router.get("/survey/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: str, unit: str = "") -> Response:
    actor, csrf = session(request)
    raw = campaign_id.removesuffix(".json")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise InvalidInput("survey_campaign.id", f"编号无效：{raw}", f"Not a campaign id: {raw}")
    data = survey_progress.campaign_progress(get_ctx(request), actor, int(raw), unit or None)
    return render(request, "survey_campaign.html", data, actor=actor, csrf=csrf)
