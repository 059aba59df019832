"""Rendering pages: one template context, the JSON twin, the session, forms with their CSRF token."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from admitall.api.deps import SESSION_COOKIE, get_ctx, request_lang
from admitall.domain.access import SYSTEM_ACTORS, Permission, Role
from admitall.domain.directives import RecipientStatus, TargetKind
from admitall.domain.errors import Unauthenticated
from admitall.domain.facilities import BedType, FacilityType
from admitall.domain.identity import DocumentType, Sex
from admitall.domain.observation import ObservationState, Place, SlotState, Symptom
from admitall.domain.people import FOUR_CATEGORIES, EventKind, Placement, Risk, Severity, Status
from admitall.domain.policy import PriorityClass
from admitall.domain.reporting import ProblemSeverity, ProblemType
from admitall.domain.staffing import StaffRole
from admitall.domain.tracing import Closeness, Setting
from admitall.domain.units import UnitLevel
from admitall.services.auth import session_actor
from admitall.services.context import Actor
from admitall.web.assets import TEMPLATES_DIR
from admitall.web.event_details import describe_event
from admitall.web.i18n import translator
from admitall.web.paging import pager, thousands

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals.update(pager=pager, thousands=thousands)
ENUMS: dict[str, Any] = {
    "staff_role": StaffRole,
    "status": Status,
    "severity": Severity,
    "placement": Placement,
    "risk": Risk,
    "event": EventKind,
    "level": UnitLevel,
    "role": Role,
    "document_type": DocumentType,
    "facility_type": FacilityType,
    "bed_type": BedType,
    "priority_class": PriorityClass,
    "target_kind": TargetKind,
    "recipient_status": RecipientStatus,
    "problem_type": ProblemType,
    "sex": Sex,
    "problem_severity": ProblemSeverity,
    "setting": Setting,
    "closeness": Closeness,
    "symptom": Symptom,
    "observation_state": ObservationState,
    "place": Place,
    "slot_state": SlotState,
}


def local_time(request: Request, value: str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone(get_ctx(request).settings.tz)
    return moment.strftime("%Y-%m-%d %H:%M")


def render(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    actor: Actor | None = None,
    csrf: str | None = None,
    status_code: int = 200,
) -> Response:
    """The HTML page, or its JSON twin with the same data when the path ends in .json."""
    if request.url.path.endswith(".json"):
        return JSONResponse(data, status_code=status_code)
    lang = request_lang(request)
    t = translator(lang)

    def label(kind: str, value: str | None) -> str:
        if value is None:
            return ""
        member = ENUMS[kind].parse(value)
        return member.label(lang) if member else value

    def colour(kind: str, value: str | None) -> str:
        member = ENUMS[kind].parse(value) if value else None
        return member.colour if member else "grey"

    def url_with(**changes: Any) -> str:
        params = {**request.query_params, **{k: v for k, v in changes.items()}}
        return f"{request.url.path}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"

    context = {
        "request": request,
        "t": t,
        "lang": lang,
        "label": label,
        "colour": colour,
        "actor": actor,
        "csrf": csrf,
        "local": lambda v: local_time(request, v),
        "colon": ": " if lang == "en" else "：",  # a label's colon: templates hold no words of their own
        "comma": ", " if lang == "en" else "、",  # between the items of a list
        "who": lambda name: t(f"language_who_{name}") if name in SYSTEM_ACTORS else name,
        "describe_event": lambda kind, data, facilities=None: describe_event(kind, data, lang, t, facilities),
        "url_with": url_with,
        "json_url": json_url(request),
        "enums": ENUMS,
        "four": FOUR_CATEGORIES,
        "may": lambda permission: actor is not None and actor.can(Permission(permission)),
        **data,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def json_url(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path.rstrip('/') or ''}.json{query}"


def safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def session(request: Request) -> tuple[Actor, str]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthenticated("auth.no_session", "请先登录", "Please sign in")
    return session_actor(get_ctx(request), cookie)


def read_form(form: FormData, csrf: str) -> dict[str, str]:
    """The text fields of a posted form (see `posted_form`), once its CSRF token is the session's."""
    sent = str(form.get("csrf_token", ""))
    if not hmac.compare_digest(sent, csrf):
        raise Unauthenticated(
            "auth.csrf",
            "表单已过期或来源不明，请刷新页面后重试",
            "The form has expired or did not come from this site; reload and try again",
        )
    return {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


def error_page(request: Request, status: int, error: dict[str, Any]) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return render(request, "error.html", {"error": error, "status": status}, status_code=status)
