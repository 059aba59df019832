"""The headers every response carries, whatever answered it (a route, a static file, the error pages, a crash).

- `Content-Security-Policy`: scripts, styles, images and forms only from this site, no inline script or style,
  no plugins, no `<base>`, and no framing by anyone. The pages need nothing else: every asset is served here
  (command networks have no internet) and the charts are SVG drawn with presentation attributes, not inline
  styles. A PDF gets only `frame-ancestors 'none'`: the browser's own PDF viewer needs its own inline styles.
  The API docs' Swagger UI (`/docs`) runs under the same policy; ReDoc (`/redoc`) alone may use inline styles.
- `X-Frame-Options: DENY` for browsers that predate `frame-ancestors`: no action button can be clickjacked.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`.
- `Cache-Control: no-store` on everything but the static assets and the public daily bulletin: pages, JSON,
  CSV, XLSX and PDF carry personal data or figures for a jurisdiction, and no browser or proxy keeps them. The
  assets and the bulletin keep whatever caching their routes chose.

The headers are added outside every other layer of the application (see `install_security_headers`), so that
even the page for an unexpected error carries them.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# workers and the web app manifest from this site only, said outright: the survey app's service worker
# (/survey/sw.js, web/static/sw.js) and its manifest (issue 17 §3)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'; worker-src 'self'; manifest-src 'self'"
)
PDF_CONTENT_SECURITY_POLICY = "frame-ancestors 'none'"
# ReDoc (/redoc, see api/docs.py) styles itself with <style> elements it writes as it runs and searches in a
# worker it starts from a blob of its own script: that page alone may have both; its scripts still come from
# this site only, and it shows the routes, never data. (Its sidebar's Redocly logo, from a CDN, stays blocked.)
REDOC_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
).replace("worker-src 'self'", "worker-src 'self' blob:")
ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NO_STORE = "no-store"


def may_be_cached(path: str) -> bool:
    """Static assets (ours and the API docs') and the public daily bulletin (aggregate counts for anyone): nothing
    else is kept."""
    return path.startswith(("/static/", "/docs-assets/", "/bulletin/")) or path in ("/bulletin", "/bulletin.json")


def policy_for(path: str, pdf: bool) -> str:
    if pdf:
        return PDF_CONTENT_SECURITY_POLICY
    return REDOC_CONTENT_SECURITY_POLICY if path == "/redoc" else CONTENT_SECURITY_POLICY


class SecurityHeaders:
    """ASGI middleware setting the headers above on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = may_be_cached(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                pdf = headers.get("content-type", "").startswith("application/pdf")
                headers["Content-Security-Policy"] = policy_for(scope["path"], pdf)
                for name, value in ALWAYS.items():
                    headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI) -> None:
    """Wrap the application's whole middleware stack, the error layer included: middleware added the usual way
    sits inside the layer that answers an unexpected error, and that answer would go out without the headers."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
