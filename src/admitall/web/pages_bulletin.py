"""The public daily bulletin (每日通报): open to anyone, no sign-in — it holds aggregate counts only.

`/bulletin` is the latest closed day; `/bulletin/{day}` a given day, with its JSON twin (`.json`, exactly the
figures the page shows) and a PDF (`.pdf`) printed by the server's Chromium from the same page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from admitall.api.deps import get_ctx, request_lang
from admitall.services import exports
from admitall.services.bulletin import FIGURES, daily_bulletin
from admitall.web.assets import STATIC_DIR
from admitall.web.rendering import render

router = APIRouter(include_in_schema=False)
PDF = "application/pdf"
# a closed day's figures never change, so a proxy or browser may keep them a while (the page's words follow the
# lang cookie; /bulletin itself moves on at midnight, hence not longer)
CACHE = {"Cache-Control": "public, max-age=300", "Vary": "Cookie"}
# printed bulletins kept in this process (the public may ask for the same day's PDF many times; printing runs a
# browser): by day and language, and whether there was a next day yet (its link is on the page), oldest out first
PRINTED_KEPT = 64
_printed: dict[tuple[Any, ...], bytes] = {}
# the figures that are a part of the one above them ("of whom")
SUB_FIGURES = ("existing_severe", "existing_critical", "new_dead_confirmed")
# the figures in the headline tiles, and their colour
HEADLINE = (
    ("new_confirmed", "c-red"),
    ("existing_confirmed", "c-orange"),
    ("new_recovered", "c-blue"),
    ("new_dead", "c-yellow"),
    ("cumulative_confirmed", ""),
    ("cumulative_recovered", ""),
    ("cumulative_dead", ""),
)


def _page(request: Request, bulletin: dict[str, Any], *, standalone: bool = False) -> Response:
    day = bulletin["day"]
    data: dict[str, Any] = {
        "b": bulletin,
        "figures": FIGURES,
        "headline": HEADLINE,
        "sub_figures": SUB_FIGURES,
        "json_url": f"/bulletin/{day}.json",
        "pdf_url": f"/bulletin/{day}.pdf",
        "layout": "base.html",
        "standalone": standalone,
    }
    if standalone:
        data.update(layout="_acc_print.html", inline_css=(STATIC_DIR / "app.css").read_text(encoding="utf-8"))
    response = render(request, "bulletin.html", data)
    response.headers.update(CACHE)
    return response


@router.get("/bulletin")
def latest_bulletin(request: Request, day: str = "") -> Response:
    """The latest closed day; the day picker's form sends `?day=`, which goes to that day's own address."""
    if day:
        return RedirectResponse(f"/bulletin/{quote(day.strip(), safe='')}", status_code=303)
    return _page(request, daily_bulletin(get_ctx(request), None))


@router.get("/bulletin.json")
def latest_bulletin_json(request: Request) -> Response:
    return JSONResponse(daily_bulletin(get_ctx(request), None), headers=CACHE)


@router.get("/bulletin/{day}.json")
def bulletin_json(request: Request, day: str) -> Response:
    return JSONResponse(daily_bulletin(get_ctx(request), day), headers=CACHE)


@router.get("/bulletin/{day}.pdf")
def bulletin_pdf(request: Request, day: str) -> Response:
    """The same page, self-contained (its CSS inline, nothing fetched), printed by Chromium; 503 without it."""
    bulletin = daily_bulletin(get_ctx(request), day)
    key = (id(get_ctx(request)), bulletin["day"], request_lang(request), bulletin.get("next_day"))
    pdf = _printed.get(key)
    if pdf is None:  # a kept day never changes: print it once per language, not once per reader
        page = _page(request, bulletin, standalone=True)
        pdf = exports.html_to_pdf(bytes(page.body).decode("utf-8"))
        if len(_printed) >= PRINTED_KEPT:
            _printed.pop(next(iter(_printed)))
        _printed[key] = pdf
    name = f"bulletin-{bulletin['day'].replace('-', '')}.pdf"
    return Response(pdf, media_type=PDF, headers={**CACHE, "Content-Disposition": f'inline; filename="{name}"'})


@router.get("/bulletin/{day}")
def bulletin_page(request: Request, day: str) -> Response:
    return _page(request, daily_bulletin(get_ctx(request), day))
