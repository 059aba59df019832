"""PDFs of pages (the public bulletin, the daily brief): the page rendered self-contained — its CSS inline, nothing
fetched — and printed through services.printing, which keeps what it printed and limits how many print at once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from admitall.api.deps import get_ctx, request_lang
from admitall.services import printing
from admitall.web.assets import STATIC_DIR, TEMPLATES_DIR

PDF = "application/pdf"


@lru_cache(maxsize=1)
def look() -> str:
    """The fingerprint of the templates and the style a page is printed with: a new version prints anew."""
    digest = hashlib.sha256()
    for path in sorted([*TEMPLATES_DIR.glob("*.html"), STATIC_DIR / "app.css"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def inline_css() -> str:
    return (STATIC_DIR / "app.css").read_text(encoding="utf-8")


def pdf_response(
    request: Request,
    subject: str,
    what: Any,
    page: Callable[[], Response],
    filename: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """The PDF of the page `page()` renders from `what` (the figures it shows), kept under `subject`."""
    lang = request_lang(request)

    def html() -> str:
        return bytes(page().body).decode("utf-8")

    pdf = printing.printed(get_ctx(request), subject, lang, {"what": what, "look": look()}, html)
    disposition = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(pdf, media_type=PDF, headers={**(headers or {}), **disposition})
