"""One error renderer: domain errors, validation errors and crashes become JSON for /api and a page for the web.

Nobody sees a stack trace: an unexpected error is logged with an id and the user is told that id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from admitall.api.deps import SESSION_COOKIE, request_lang
from admitall.domain.errors import AdmitAllError

log = logging.getLogger("admitall")

STATUS = {
    "invalid": 422,
    "not_found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "conflict": 409,
    "refused": 409,
    "unavailable": 503,
    "too_large": 413,
    "too_many": 429,
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.endswith(".json") or "application/json" in request.headers.get("accept", "")


def render_error(request: Request, status: int, error: dict[str, Any]) -> Response:
    """JSON (the whole error, machine code included) for the API and .json twins; for a page, the site's own frame
    (navigation and header as the signed-in user has them) around the sentence, never a permission's name."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 and request.url.path.startswith("/api/") else None
    if _wants_json(request):
        return JSONResponse({"error": error}, status_code=status, headers=headers)
    from admitall.web.rendering import error_page, render

    if status == 401:
        return error_page(request, status, error)
    actor, csrf = _signed_in(request)
    page_error = {k: v for k, v in error.items() if k != "permission"}
    return render(
        request, "error.html", {"error": page_error, "status": status}, actor=actor, csrf=csrf, status_code=status
    )


def _signed_in(request: Request) -> tuple[Any, str | None]:
    """Who is signed in, for the page's frame; nobody if that cannot be told (no session, or the very failure
    being reported)."""
    from admitall.web.rendering import session

    if request.cookies.get(SESSION_COOKIE) is None:
        return None, None
    try:
        return session(request)
    except Exception:  # the frame is a courtesy: the error page is shown without it
        return None, None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AdmitAllError)
    async def _domain(request: Request, exc: AdmitAllError) -> Response:
        response = render_error(request, STATUS[exc.kind], exc.as_dict(request_lang(request)))
        retry_after = getattr(exc, "retry_after", None)  # a refusal for a while (429, a busy 503) says how long
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")),
                "message": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        fields = ", ".join(p["field"] for p in problems)
        error = {
            "code": "request.invalid",
            "zh": f"请求参数无效：{fields}",
            "en": f"Invalid request fields: {fields}",
            "field": problems[0]["field"] if problems else None,
            "problems": problems,
        }
        error["message"] = error["en"] if request_lang(request) == "en" else error["zh"]
        return render_error(request, 422, error)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        zh = {404: "页面不存在", 405: "不支持的请求方法"}.get(exc.status_code, "请求无法处理")
        en = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        error = {
            "code": f"http.{exc.status_code}",
            "zh": zh,
            "en": en,
            "field": None,
            "message": en if request_lang(request) == "en" else zh,
        }
        return render_error(request, exc.status_code, error)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # the request's id (api.ops_middleware): the same on the page, in the logs and in the X-Request-ID header
        incident = getattr(request.state, "request_id", None) or uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
        error = {
            "code": "internal",
            "zh": f"系统内部错误，已记录（编号 {incident}）",
            "en": f"Internal error, recorded as {incident}",
            "field": None,
            "incident": incident,
        }
        error["message"] = error["en"] if request_lang(request) == "en" else error["zh"]
        response = render_error(request, 500, error)
        response.headers["X-Request-ID"] = incident
        return response
