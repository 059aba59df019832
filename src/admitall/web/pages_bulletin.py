"""The public daily bulletin (每日通报): open to anyone, no sign-in — it holds aggregate counts only.

`/bulletin` is the latest closed day; `/bulletin/{day}` a given day, with its JSON twin (`.json`, exactly the
figures the page shows) and a PDF (`.pdf`) printed by the server's Chromium from the same page (web.printouts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from admitall.api.deps import get_ctx
from admitall.services.bulletin import FIGURES, daily_bulletin
from admitall.web.printouts import inline_css, pdf_response
from admitall.web.rendering import render

router = APIRouter(include_in_schema=False)
# a closed day's figures never change, so a proxy or browser may keep them a while (the page's words follow the
# lang cookie; /bulletin itself moves on at midnight, hence not longer)
CACHE = {"Cache-Control": "public, max-age=300", "Vary": "Cookie"}
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
        data.update(layout="_acc_print.html", inline_css=inline_css())
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
    """The same page, self-contained, printed by Chromium once per language and kept (a closed day never
    changes); 503 with Retry-After while the printer is full, 503 without Chromium."""
    bulletin = daily_bulletin(get_ctx(request), day)
    name = f"bulletin-{bulletin['day'].replace('-', '')}.pdf"
    return pdf_response(
        request,
        f"bulletin:{bulletin['day']}",
        bulletin,
        lambda: _page(request, bulletin, standalone=True),
        name,
        headers=CACHE,
    )


@router.get("/bulletin/{day}")
def bulletin_page(request: Request, day: str) -> Response:
    return _page(request, daily_bulletin(get_ctx(request), day))
