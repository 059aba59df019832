"""Domain errors: each carries a stable code and a human message in Chinese and English.

One renderer (API JSON, web page, CLI line) turns them into what the user reads; nobody sees a stack trace.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal[
    "invalid",
    "not_found",
    "forbidden",
    "unauthenticated",
    "conflict",
    "refused",
    "unavailable",
    "too_large",
    "too_many",
]


class AdmitAllError(Exception):
    """Base of every error a user may see. `kind` decides the HTTP status; `code` is stable for scripts."""

    kind: Kind = "invalid"

    def __init__(self, code: str, zh: str, en: str, *, field: str | None = None) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self, lang: str = "zh") -> dict[str, str | None]:
        return {"code": self.code, "message": self.message(lang), "zh": self.zh, "en": self.en, "field": self.field}


class InvalidInput(AdmitAllError):
    kind = "invalid"


class NotFound(AdmitAllError):
    kind = "not_found"


class Forbidden(AdmitAllError):
    kind = "forbidden"


class Unauthenticated(AdmitAllError):
    kind = "unauthenticated"


class Conflict(AdmitAllError):
    kind = "conflict"


class Unavailable(AdmitAllError):
    """Something the server needs for this request is missing (a program, a service): try another way."""

    kind = "unavailable"


class TransitionRefused(AdmitAllError):
    """A state change the person's state machine does not allow. `rule` names the rule that was broken."""

    kind = "refused"

    def __init__(self, rule: str, zh: str, en: str) -> None:
        super().__init__(
            f"transition_refused.{rule}", f"不允许的状态变更（规则 {rule}）：{zh}", f"Refused by rule {rule}: {en}"
        )
        self.rule = rule


class TooLarge(AdmitAllError):
    """A request or a file larger than the server accepts: an upload over the limit, a file unpacking to too much."""

    kind = "too_large"


class TooMany(AdmitAllError):
    """Too many attempts (failed sign-ins): refused for a while; `retry_after` says how many seconds."""

    kind = "too_many"

    def __init__(self, code: str, zh: str, en: str, *, retry_after: int) -> None:
        super().__init__(code, zh, en)
        self.retry_after = retry_after


class Busy(Unavailable):
    """The server is doing as much of this as it allows at once (printing PDFs): try again in `retry_after` s."""

    def __init__(self, code: str, zh: str, en: str, *, retry_after: int) -> None:
        super().__init__(code, zh, en)
        self.retry_after = retry_after
