"""List pages that have no other home: the discrepancies between what units reported and what the registry
shows (`/discrepancies`, its JSON twin at `.json`), a page at a time with the real total."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from admitall.api.deps import get_ctx
from admitall.api.params import Page, Short, Size
from admitall.services import reporting
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.rendering import render, session

router = APIRouter(include_in_schema=False)
# what a discrepancy's figure counts, by its first part ("waiting.confirmed": waiting now, the confirmed)
FIGURE_WORDS = {
    "found": "found_in_period",
    "waiting": "waiting_now",
    "admitted": "admitted_in_period",
    "sla_breaches": "sla_breaches",
}
WINDOWS = (24, 72, 24 * 7, 24 * 14)


@router.get("/discrepancies")
@router.get("/discrepancies.json")
def discrepancies_page(
    request: Request,
    unit: Short = "",
    figure: Short = "",
    hours: int = Query(24, ge=1, le=24 * 14),
    page: Page = 1,
    size: Size = DEFAULT_SIZE,
) -> Response:
    """Reported figures that disagree with the registry within the jurisdiction, newest first."""
    actor, csrf = session(request)
    data = reporting.discrepancies(
        get_ctx(request), actor, unit or None, hours=hours, figure=figure, page=page, size=size
    )
    data.update(unit=unit, figure=figure)
    if not request.url.path.endswith(".json"):
        data.update(figure_words=FIGURE_WORDS, windows=WINDOWS)
    return render(request, "discrepancies.html", data, actor=actor, csrf=csrf)
