"""The referrals page: registrations of this jurisdiction's people made elsewhere, to apply or dismiss.

It calls the same service as /api/referrals and has its JSON twin at /referrals.json.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx
from admitall.api.params import Page, Short, Size, path_id
from admitall.api.uploads import posted_form
from admitall.services import referrals
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
FLASHES = ("referral_applied", "referral_dismissed")
STATES = ("open", "applied", "dismissed", "all")


@router.get("/referrals")
@router.get("/referrals.json")
def referrals_page(
    request: Request, state: str = "open", q: Short = "", page: Page = 1, size: Size = DEFAULT_SIZE, flash: str = ""
) -> Response:
    """The referrals addressed to the jurisdiction, newest first, a page at a time with the real total; searched
    by the person's name."""
    actor, csrf = session(request)
    page, size = bounded(page, size)
    offset = (page - 1) * size
    data = referrals.list_referrals(get_ctx(request), actor, state=state, q=q, limit=size, offset=offset)
    data.update(page_fields(page, size, data["total"]), states=STATES, flash=flash if flash in FLASHES else None)
    return render(request, "referrals.html", data, actor=actor, csrf=csrf)


def _referral_id(text: str) -> int:
    return path_id(text) or 0  # 0: no referral has it, the service answers 404


@router.post("/referrals/{referral_id}/apply")
def apply_submit(request: Request, referral_id: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    read_form(posted, csrf)
    referrals.apply_referral(get_ctx(request), actor, _referral_id(referral_id))
    return RedirectResponse("/referrals?flash=referral_applied", status_code=303)


@router.post("/referrals/{referral_id}/dismiss")
def dismiss_submit(request: Request, referral_id: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    referrals.dismiss_referral(get_ctx(request), actor, _referral_id(referral_id), form.get("reason", ""))
    return RedirectResponse("/referrals?flash=referral_dismissed", status_code=303)
