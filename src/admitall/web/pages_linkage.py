"""The record linkage pages (issue 16 §2): the review queue at /linkage, a pair side by side at /linkage/{id}, the
decision (merge, or not the same person), and unmerge from a person's page. Each page has its JSON twin (.json)
and calls the same services as /api/linkage (services.linkage_review)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admitall.api.deps import get_ctx
from admitall.api.params import Id, Page, Size, path_id
from admitall.api.uploads import posted_form
from admitall.services import linkage_review
from admitall.store.paged import DEFAULT_SIZE, bounded
from admitall.web.rendering import read_form, render, session

router = APIRouter(include_in_schema=False)
FLASHES = ("linkage_merged", "linkage_marked_distinct")
STATES = ("review", "merged", "distinct", "unmerged")


@router.get("/linkage")
@router.get("/linkage.json")
def queue_page(
    request: Request, state: str = "review", page: Page = 1, size: Size = DEFAULT_SIZE, flash: str = ""
) -> Response:
    """The pairs to review within the jurisdiction (both people inside it), likeliest first, paged."""
    actor, csrf = session(request)
    page, size = bounded(page, size)
    data = linkage_review.review_queue(get_ctx(request), actor, state=state, page=page, size=size)
    data.update(states=STATES, flash=flash if flash in FLASHES else None)
    return render(request, "linkage.html", data, actor=actor, csrf=csrf)


def _pair_id(text: str) -> int:
    return path_id(text.removesuffix(".json")) or 0  # 0: no pair has it, the service answers 404


@router.get("/linkage/{pair_id}")
def pair_page(request: Request, pair_id: str) -> Response:
    """One pair side by side with the evidence, masked per role; the decision's buttons for those who may."""
    actor, csrf = session(request)
    data = linkage_review.pair_view(get_ctx(request), actor, _pair_id(pair_id))
    return render(request, "linkage_pair.html", data, actor=actor, csrf=csrf)


@router.post("/linkage/{pair_id}/decide")
def decide_submit(request: Request, pair_id: str, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    form = read_form(posted, csrf)
    result = linkage_review.decide(get_ctx(request), actor, _pair_id(pair_id), form.get("choice", ""))
    flash = "linkage_merged" if result["state"] == "merged" else "linkage_marked_distinct"
    return RedirectResponse(f"/linkage?flash={flash}", status_code=303)


@router.post("/people/{person_id}/unmerge")
def unmerge_submit(request: Request, person_id: Id, posted: FormData = Depends(posted_form)) -> Response:
    actor, csrf = session(request)
    read_form(posted, csrf)
    linkage_review.unmerge(get_ctx(request), actor, person_id)
    return RedirectResponse(f"/people/{person_id}?flash=linkage_unmerged", status_code=303)
