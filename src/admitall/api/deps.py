"""Who is asking: the one place that turns a request into an `Actor` (bearer token or web session)."""

from __future__ import annotations

import hmac

from fastapi import Request

from admitall.domain.errors import Unauthenticated
from admitall.services.auth import actor_from_token, session_actor
from admitall.services.context import Actor, Context

SESSION_COOKIE = "admitall_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def request_lang(request: Request) -> str:
    """?lang=, then the lang cookie, then (for the API only) Accept-Language; Chinese by default.

    Pages ignore the browser's Accept-Language: the interface is Chinese unless the user switches it."""
    wanted = request.query_params.get("lang") or request.cookies.get("lang")
    if wanted in ("zh", "en"):
        return wanted
    accept = request.headers.get("accept-language", "")
    if request.url.path.startswith("/api/") and accept.lower().startswith("en"):
        return "en"
    default: str = get_ctx(request).settings.default_language
    return default


def current_actor(request: Request) -> Actor:
    """A bearer token, or a web session cookie (with the session's CSRF token on anything but a read)."""
    ctx = get_ctx(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return actor_from_token(ctx, header[7:].strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        actor, csrf = session_actor(ctx, cookie)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent, csrf):
                raise Unauthenticated("auth.csrf", "请求缺少有效的 CSRF 令牌", "The request lacks a valid CSRF token")
        return actor
    raise Unauthenticated(
        "auth.required", "需要登录：请提供 Bearer 令牌", "Authentication required: send a bearer token"
    )


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: what uvicorn's --proxy-headers made of it);
    sign-in throttling counts failures per address."""
    return request.client.host if request.client else "?"
