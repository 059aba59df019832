"""The web pages. Each page calls the same service as its API route and has a JSON twin at `<path>.json`.

Pages authenticate with a session cookie (HttpOnly, SameSite=Lax); every form that changes something carries
the session's CSRF token, and the sign-in form a double-submit token of its own.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import SESSION_COOKIE, client_address, get_ctx, request_lang
from admitall.api.params import MAX_VERSION, Id, Page, Size, form_whole, path_id
from admitall.api.uploads import posted_form
from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, TooMany, Unauthenticated
from admitall.services import people
from admitall.services.auth import authenticate, end_session, start_session
from admitall.services.linkage_review import merge_links
from admitall.services.units import scope_root, unit_overview
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields
from admitall.web.confirming import ask, confirmed, death_question
from admitall.web.rendering import read_form, render, safe_next, session
from admitall.web.signin_form import login_form

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "admitall_login_csrf"


@router.get("/login")
@router.get("/login.json")
def login_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_form(request, safe_next(next), token))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/login")
def login(request: Request, form: FormData = Depends(posted_form)) -> Response:
    ctx = get_ctx(request)
    next_url = safe_next(str(form.get("next", "/")))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, str(form.get("login_csrf", ""))):
        raise Unauthenticated("auth.csrf", "登录表单已过期，请重试", "The sign-in form has expired; try again")
    try:
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        actor = authenticate(ctx, username, password, client_address(request))
    except AdmitAllError as e:
        token = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            login_form(request, next_url, token, e.message(request_lang(request))),
            status_code=429 if isinstance(e, TooMany) else 401,
        )
        if isinstance(e, TooMany):  # locked out after too many failures: say when to come back
            response.headers["Retry-After"] = str(e.retry_after)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
        return response
    session, _csrf = start_session(ctx, actor)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        max_age=ctx.settings.session_minutes * 60,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    _actor, csrf = session(request)
    read_form(posted, csrf)
    end_session(get_ctx(request), request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def set_language(lang: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie("lang", "en" if lang == "en" else "zh", samesite="lax", max_age=365 * 24 * 3600)
    return response


@router.get("/")
def home(request: Request) -> Response:
    actor, _csrf = session(request)
    root = scope_root(get_ctx(request), actor).code
    # the command screen is what a commander opens first; a desk without the counts gets its jurisdiction page
    page = "command" if actor.can(Permission.VIEW_COUNTS) else "units"
    return RedirectResponse(f"/{page}/{root}", status_code=303)


@router.get("/units")
def own_unit(request: Request) -> Response:
    actor, _csrf = session(request)
    return RedirectResponse(f"/units/{scope_root(get_ctx(request), actor).code}", status_code=303)


@router.get("/units/{code}")
def unit_page(request: Request, code: str) -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    code = code.removesuffix(".json")
    data = unit_overview(ctx, actor, code)
    data["stock"] = people.stock(ctx, actor, code)
    return render(request, "unit.html", data, actor=actor, csrf=csrf)


@router.get("/people")
@router.get("/people.json")
def people_page(
    request: Request,
    q: str = "",
    unit: str = "",
    status: str = "",
    placement: str = "",
    severity: str = "",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
) -> Response:
    """People of the jurisdiction, longest waits first, a page at a time with the real total."""
    actor, csrf = session(request)
    page, size = bounded(page, size)
    data = people.search_people(
        get_ctx(request),
        actor,
        q=q,
        unit=unit or None,
        status=status or None,
        placement=placement or None,
        severity=severity or None,
        limit=size,
        offset=(page - 1) * size,
    )
    data.update({"q": q, "unit": unit, "status": status, "placement": placement, "severity": severity})
    data.update(page_fields(page, size, data["total"], data["total_more"]))
    return render(request, "people.html", data, actor=actor, csrf=csrf)


@router.get("/people/new")
def register_page(request: Request) -> Response:
    actor, csrf = session(request)
    actor.require(Permission.REGISTER_PERSONS)
    return render(
        request,
        "register.html",
        {"values": {"unit_code": actor.unit_code or ""}, "error": None},
        actor=actor,
        csrf=csrf,
    )


@router.post("/people/new")
def register_submit(request: Request, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    try:
        result = people.register_person(get_ctx(request), actor, form, source="web")
    except AdmitAllError as e:
        if e.kind != "invalid":
            raise
        return render(
            request,
            "register.html",
            {"values": form, "error": e.message(request_lang(request))},
            actor=actor,
            csrf=csrf,
            status_code=422,
        )
    if result["person"] is None:
        # referred to another unit, or merged for a masked role: the form comes back empty, a notice, no person
        values = {"unit_code": actor.unit_code or ""}
        data = {"values": values, "error": None, "notice": result["message"][request_lang(request)]}
        status = 202 if result["outcome"] == "referred" else 200
        return render(request, "register.html", data, actor=actor, csrf=csrf, status_code=status)
    flash = "registered" if result["outcome"] == "accepted" else "merged"
    return RedirectResponse(f"/people/{result['person']['id']}?flash={flash}", status_code=303)


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: str, flash: str = "") -> Response:
    actor, csrf = session(request)
    pid = _person_id(person_id)
    data = people.person_history(get_ctx(request), actor, pid)
    data["flash"] = flash
    data["can_reclassify"] = actor.can(Permission.RECLASSIFY)
    data["can_change_severity"] = actor.can(Permission.CHANGE_SEVERITY)
    data["linkage"] = merge_links(get_ctx(request), actor, pid)  # merged into another record, or others into it
    return render(request, "person.html", data, actor=actor, csrf=csrf)


def _person_id(text: str) -> int:
    value = text.removesuffix(".json")
    if path_id(value) is None:
        from admitall.services.context import not_found

        raise not_found("person", value)
    return int(value)


@router.post("/people/{person_id}/reclassify")
def reclassify_submit(request: Request, person_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    if form.get("to") == "dead" and not confirmed(form):  # a death is asked once more (web.confirming)
        question = death_question(get_ctx(request), actor, person_id, form, request_lang(request))
        return ask(request, actor, csrf, question)
    people.reclassify_person(
        get_ctx(request),
        actor,
        person_id,
        form.get("to", ""),
        severity=form.get("severity") or None,
        reason=form.get("reason") or None,
        source="web",
        expected_version=form_whole(form, "version", high=MAX_VERSION),
    )
    return RedirectResponse(f"/people/{person_id}?flash=saved", status_code=303)


@router.post("/people/{person_id}/severity")
def severity_submit(request: Request, person_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    people.change_person_severity(
        get_ctx(request),
        actor,
        person_id,
        form.get("to", ""),
        reason=form.get("reason") or None,
        source="web",
        expected_version=form_whole(form, "version", high=MAX_VERSION),
    )
    return RedirectResponse(f"/people/{person_id}?flash=saved", status_code=303)
