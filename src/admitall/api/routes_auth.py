"""Sign-in for API clients."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request

from admitall.api.deps import client_address, current_actor, get_ctx
from admitall.services.auth import authenticate, issue_token
from admitall.services.context import Actor, Context

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/auth/token", summary="Exchange a username and password for a bearer token")
def token(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    """Too many failed sign-ins for the name or from the client's address answer 429 with Retry-After."""
    return issue_token(ctx, authenticate(ctx, username, password, client_address(request)))


@router.get("/me", summary="Who the token belongs to")
def me(actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    return {
        "username": actor.username,
        "display_name": actor.display_name,
        "role": actor.role.value,
        "unit_code": actor.unit_code,
    }
