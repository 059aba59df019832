"""The command screen over HTTP: the same figures as the page `/command/{code}` and its JSON twin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import Code
from admitall.services.command import command_screen
from admitall.services.context import Actor, Context

router = APIRouter(prefix="/api", tags=["command"])


@router.get("/command")
def own_command_screen(actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    """The screen for the caller's own jurisdiction."""
    return command_screen(ctx, actor)


@router.get("/command/{code}")
def unit_command_screen(
    code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    """The screen for a unit within the caller's jurisdiction (404 outside it)."""
    return command_screen(ctx, actor, code)
