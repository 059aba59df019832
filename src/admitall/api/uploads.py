"""Request bodies: the size limit, enforced while the body streams in, and forms read before a plain handler runs.

Handlers that touch the database or parse a file are plain `def` functions: FastAPI runs them in a worker thread,
so a long import never holds up the event loop and every other request. What has to be awaited — reading the
body — happens before, in `posted_form`, with the limit already in force.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admitall.domain.errors import TooLarge


def too_large(limit_mb: int) -> TooLarge:
    return TooLarge(
        "upload.too_large",
        f"上传的内容超过 {limit_mb} MB 的上限；请拆分文件后分批导入",
        f"The upload is larger than the {limit_mb} MB limit; split the file and import it in parts",
    )


class _BodyTooLarge(Exception):
    """Raised inside the application when the body passes the limit; the middleware answers 413 instead."""


class BodyLimit:
    """Refuse a request body over `max_upload_mb` with 413: at once when Content-Length says so, otherwise as soon
    as the streamed body (chunked, or a Content-Length that lies) passes the limit — never after reading it all."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit_mb: int = scope["app"].state.ctx.settings.max_upload_mb
        limit = limit_mb * 1024 * 1024
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(scope, send, limit_mb)
            return
        received = 0
        overflowed = started = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            if overflowed:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflowed and not started:
                return  # whatever the application made of the cut-off body, the answer is 413
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not overflowed:
                raise
        if overflowed and not started:
            await _answer(scope, send, limit_mb)


async def _answer(scope: Scope, send: Send, limit_mb: int) -> None:
    from admitall.api.deps import request_lang
    from admitall.api.errors import STATUS, render_error

    request = Request(scope)
    error = too_large(limit_mb)
    response = render_error(request, STATUS[error.kind], error.as_dict(request_lang(request)))
    response.headers["Connection"] = "close"  # the rest of the body is not read

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, nothing, send)


async def posted_form(request: Request) -> FormData:
    """The submitted form (files spooled to disk), read within the size limit before the plain handler runs."""
    return await request.form()
