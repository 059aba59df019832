"""What the sign-in page shows, and its JSON twin (`/login.json`) says: the form's fields, the languages, and
whether the browser is already signed in (and as whom). Scripts sign in at `/api/auth/token` instead: the twin
names it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request

from admitall.api.deps import request_lang
from admitall.domain.errors import AdmitAllError
from admitall.web.rendering import session

LANGUAGES = (("zh", "中文"), ("en", "English"))


def login_form(request: Request, next_url: str, token: str, failed: str | None = None) -> dict[str, Any]:
    """The page's data: the form (with the sign-in CSRF token its cookie carries), the languages with the link
    that switches to each, and who is signed in on this browser, if anyone."""
    try:
        actor, _csrf = session(request)
        user: dict[str, Any] | None = {
            "username": actor.username,
            "display_name": actor.display_name,
            "role": actor.role.value,
            "unit_code": actor.unit_code,
        }
    except AdmitAllError:
        user = None
    lang = request_lang(request)
    here = quote(f"/login?next={next_url}", safe="")
    return {
        "next": next_url,
        "login_csrf": token,
        "failed": failed,
        "signed_in": user is not None,
        "user": user,
        "form": {
            "action": "/login",
            "method": "post",
            "fields": [
                {"name": "username", "type": "text", "required": True},
                {"name": "password", "type": "password", "required": True},
                {"name": "login_csrf", "type": "hidden", "value": token, "cookie": "admitall_login_csrf"},
                {"name": "next", "type": "hidden", "value": next_url},
            ],
        },
        "lang": lang,
        "languages": [
            {"code": code, "name": name, "current": code == lang, "switch": f"/lang/{code}?next={here}"}
            for code, name in LANGUAGES
        ],
        "api_token_url": "/api/auth/token",
    }
