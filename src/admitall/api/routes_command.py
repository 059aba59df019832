"""The command screen over HTTP: the same figures as the page `/command/{code}` and its JSON twin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import Code
from admitall.services.context import Actor, Context
from admitall.services.screen_cache import cached_command_screen, matches

router = APIRouter(prefix="/api", tags=["command"])


@router.get("/command")
def own_command_screen(
    request: Request, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    """The screen for the caller's own jurisdiction (from the shared cache: at most 30 s old, `as_of` says when;
    `If-None-Match` with its ETag answers 304 while the figures are the same)."""
    return _answer(request, ctx, actor, None)  # type: ignore[return-value]


@router.get("/command/{code}")
def unit_command_screen(
    request: Request, code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    """The screen for a unit within the caller's jurisdiction (404 outside it); cached as the caller's own."""
    return _answer(request, ctx, actor, code)  # type: ignore[return-value]


def _answer(request: Request, ctx: Context, actor: Actor, code: str | None) -> Response:
    cached = cached_command_screen(ctx, actor, code)
    headers = {"ETag": cached.etag}
    if matches(request.headers.get("if-none-match"), cached.etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(cached.data, headers=headers)
