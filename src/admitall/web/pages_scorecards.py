"""Pages for the scorecards (激励问责): a unit's or an official's card for a day or a window, the ranking with the
red and black lists (and its XLSX), the facts behind a flag, and the printable daily brief (and its PDF).

Each page calls the same service as its /api/ twin and links to it; the helpers here are shared with the desk."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Id, Page, QueryId, Size
from admitall.domain.scoring import COMPONENTS
from admitall.domain.units import UnitLevel, level_of
from admitall.services import exports, scorecard_views
from admitall.services.directives import level_below
from admitall.services.scorecards import today
from admitall.services.units import scope_root
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.printouts import inline_css, pdf_response
from admitall.web.rendering import render, session

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

# the facts each component is counted from: a flag with no facts of its own (a low score) links to the facts of
# the components that fell short
COMPONENT_FACTS: dict[str, tuple[str, ...]] = {
    "placement": ("demand", "placed", "still_waiting"),
    "sla": ("breach",),
    "completeness": ("report_missing", "report_late"),
    "timeliness": ("report_late", "report_missing"),
    "truthfulness": ("report_discrepant",),
    "directives": ("directive_late", "directive_overdue"),
    "problems": ("problem_late", "problem_overdue"),
}
WAIT_KINDS = ("placed", "still_waiting", "breach")


def twin(request: Request, path: str) -> str:
    """The /api/ route that returns this page's data, with the page's query."""
    return f"{path}?{request.url.query}" if request.url.query else path


def _value(part: Any) -> float | None:
    return part.get("value") if isinstance(part, dict) else part


def flag_kinds(flag: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The fact kinds behind a flag: its own, or those of the components below full marks."""
    if flag.get("facts"):
        return list(flag["facts"])
    counted = {c: v for c, p in components.items() if (v := _value(p)) is not None}
    short = [c for c, v in counted.items() if v < 100] or list(counted)
    return list(dict.fromkeys(k for c in short for k in COMPONENT_FACTS.get(c, ())))


def facts_href(kinds: list[str], subject_kind: str, subject: Any, window: dict[str, str]) -> str:
    params: dict[str, Any] = {"kinds": ",".join(kinds)}
    params["official" if subject_kind == "official" else "unit"] = subject
    if window["from"] == window["to"]:
        params["day"] = window["from"]
    else:
        params.update(start=window["from"], end=window["to"])
    return "/scorecards/facts?" + urlencode(params)


def num(value: Any, digits: int = 1) -> str:
    """A figure for reading: '—' for none, no trailing '.0'."""
    if value is None:
        return "—"
    if isinstance(value, float):
        value = round(value, digits)
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def card_helpers() -> dict[str, Any]:
    return {
        "flag_kinds": flag_kinds,
        "facts_href": facts_href,
        "num": num,
        "component_names": COMPONENTS,
    }


def _days(data: dict[str, Any], current: date) -> dict[str, Any]:
    first, last = (date.fromisoformat(data["window"][k]) for k in ("from", "to"))
    if first != last:
        return {"prev_day": None, "next_day": None}
    after = first + timedelta(days=1)
    return {
        "prev_day": (first - timedelta(days=1)).isoformat(),
        "next_day": after.isoformat() if after <= current else None,
    }


@router.get("/scorecards")
def scorecards_home(request: Request) -> Response:
    actor, _csrf = session(request)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/scorecards/units/{scope_root(get_ctx(request), actor).code}{query}", status_code=303)


@router.get("/scorecards/units/{code}")
def unit_scorecard(request: Request, code: str, day: str = "", start: str = "", end: str = "") -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    data = scorecard_views.unit_card(ctx, actor, code, day=day or None, start=start or None, end=end or None)
    data.update(**card_helpers(), **_days(data, today(ctx)), json_url=twin(request, f"/api/scorecards/units/{code}"))
    return render(request, "scorecard.html", data, actor=actor, csrf=csrf)


@router.get("/scorecards/officials/{official_id}")
def official_scorecard(request: Request, official_id: Id, day: str = "", start: str = "", end: str = "") -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    data = scorecard_views.official_card(ctx, actor, official_id, day=day or None, start=start or None, end=end or None)
    data.update(
        **card_helpers(),
        **_days(data, today(ctx)),
        children=[],
        json_url=twin(request, f"/api/scorecards/officials/{official_id}"),
    )
    return render(request, "scorecard.html", data, actor=actor, csrf=csrf)


def _default_level(code: str | None) -> str:
    below = level_below(code)
    return (below or (level_of(code) if code else UnitLevel.DISTRICT)).value


@router.get("/scorecards/ranking")
def ranking_page(request: Request, level: str = "", day: str = "", kind: str = "unit") -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    level = level or _default_level(actor.unit_code)
    data = scorecard_views.ranking(ctx, actor, level=level, day=day or None, kind=kind)
    query = urlencode({"level": data["level"], "day": data["day"], "kind": data["kind"]})
    data.update(
        **card_helpers(),
        levels=[lv.value for lv in (UnitLevel.DISTRICT, UnitLevel.STREET, UnitLevel.COMMUNITY)],
        xlsx_url=f"/scorecards/ranking.xlsx?{query}",
        json_url=f"/api/scorecards/ranking?{query}",
    )
    return render(request, "ranking.html", data, actor=actor, csrf=csrf)


@router.get("/scorecards/ranking.xlsx")
def ranking_xlsx(request: Request, level: str = "", day: str = "", kind: str = "unit") -> Response:
    actor, _csrf = session(request)
    ctx = get_ctx(request)
    level = level or _default_level(actor.unit_code)
    content = exports.scorecards_xlsx(ctx, actor, day=day or None, level=level, kind=kind, lang=request_lang(request))
    # the service has checked the level, the kind and the day: the file name is built from their plain forms
    first, _, _ = scorecard_views.window_of(ctx, day or None, None, None)
    name = f"scorecards-{kind}-{(UnitLevel.parse(level) or UnitLevel.DISTRICT).value}-{first.isoformat()}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/scorecards/facts")
def facts_page(
    request: Request,
    kinds: str = "",
    unit: str = "",
    official: QueryId | None = None,
    day: str = "",
    start: str = "",
    end: str = "",
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
) -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    data = scorecard_views.facts_behind(
        ctx,
        actor,
        kinds=[k.strip() for k in kinds.split(",") if k.strip()],
        unit=unit or None,
        official_id=official,
        day=day or None,
        start=start or None,
        end=end or None,
        page=page,
        size=size,
    )
    card_url = f"/scorecards/officials/{official}" if official is not None else f"/scorecards/units/{unit}"
    window = data["window"]
    span = {"day": window["from"]} if window["from"] == window["to"] else {"start": window["from"], "end": window["to"]}
    data.update(
        **card_helpers(),
        unit=unit,
        official=official,
        card_url=f"{card_url}?{urlencode(span)}" if unit or official is not None else None,
        wait_kinds=WAIT_KINDS,
        json_url=twin(request, "/api/scorecards/facts"),
    )
    return render(request, "facts.html", data, actor=actor, csrf=csrf)


def _brief(request: Request, day: str) -> tuple[Any, str | None, dict[str, Any]]:
    actor, csrf = session(request)
    data = exports.daily_brief(get_ctx(request), actor, day or None)
    data.update(**card_helpers(), layout="base.html", standalone=False)
    data["json_url"] = f"/api/briefs/daily?{urlencode({'day': data['day']})}"
    data["pdf_url"] = f"/briefs/daily.pdf?{urlencode({'day': data['day']})}"
    return actor, csrf, data


@router.get("/briefs/daily")
def brief_page(request: Request, day: str = "") -> Response:
    actor, csrf, data = _brief(request, day)
    return render(request, "brief.html", data, actor=actor, csrf=csrf)


@router.get("/briefs/daily.pdf")
def brief_pdf(request: Request, day: str = "") -> Response:
    """The same brief as one self-contained HTML page, printed by Chromium and kept: printed again only when its
    figures changed (a closed day's never do); 503 with Retry-After while the printer is full."""
    actor, csrf, data = _brief(request, day)
    figures = {k: v for k, v in data.items() if k not in card_helpers()}  # what the brief shows
    data.update(layout="_acc_print.html", standalone=True, inline_css=inline_css())
    subject = f"brief:{data['day']}:{actor.unit_code or 'all'}:{actor.role.value}"
    name = f"brief-{exports.stamp(date.fromisoformat(data['day']))}.pdf"
    return pdf_response(
        request, subject, figures, lambda: render(request, "brief.html", data, actor=actor, csrf=csrf), name
    )
