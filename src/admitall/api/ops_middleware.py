"""What every request goes through for the operator: a request id (the X-Request-ID a proxy sent, if sane, else a
new one) set for the logs and echoed in the response header, one access log line, and its count and latency in
the metrics by route template (the route's path as declared, `/people/{person_id}`, never the raw one). Also the
gzip of pages and JSON (not of what is compressed already: XLSX, PDF, images)."""

from __future__ import annotations

import logging
import time

from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admitall.ops_logging import REQUEST_ID, request_id_from
from admitall.services.ops_metrics import LATENCY, REQUESTS

log = logging.getLogger("admitall.access")

GZIP_MINIMUM = 1000
NOT_GZIPPED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def route_template(scope: Scope) -> str:
    """The route that answered, as declared; 'unmatched' for a path no route has (a 404 of a typo or a probe)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class OpsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id")
        rid = request_id_from(sent.decode("latin-1") if sent else None)
        REQUEST_ID.set(rid)  # not reset: the error renderer, outside this middleware, still reads it
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(route=route, method=method, status=str(status)).inc()
            LATENCY.labels(route=route, method=method).observe(elapsed)
            log.info("%s %s %s %.1f ms", method, route, status, elapsed * 1000)
