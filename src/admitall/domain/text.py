"""What a text a user writes may hold: no control characters (NUL, escapes, …), no bidirectional controls (the
right-to-left override makes `exe.txt` read `txt.exe`), and no more than its field has room for.

One check for every write path (API, pages, imports, CLI); the lengths come from the tables the texts are stored
in (`store.text_limits`), passed in by the caller, so the domain needs no database. Dates outside the years the
system counts in are refused the same way (`in_sane_range`): date arithmetic near year 1 or 9999 overflows.
"""

from __future__ import annotations

import re
from datetime import date

from admitall.domain.errors import InvalidInput

# C0 and C1 controls and DEL (tab, line feed and carriage return are allowed where several lines are), and every
# bidirectional formatting character: LRM, RLM, ALM, embeddings, overrides and isolates
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\r]")

EARLIEST_DAY = date(1900, 1, 1)  # a birth date may be old; nothing the system counts is older
LATEST_DAY = date(2199, 12, 31)


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character a text may not hold, or None."""
    found = _CONTROLS.search(value) or (None if multiline else _LINE_BREAKS.search(value))
    return found.group() if found else None


def check_text(field: str, value: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    """The text itself if it may be stored in `field`; else a refusal that names the field and the problem."""
    bad = forbidden_character(value, multiline=multiline)
    if bad is not None:
        code = f"U+{ord(bad):04X}"
        raise InvalidInput(
            "text.control_character",
            f"{field} 含有不允许的控制字符或文字方向控制字符（{code}）",
            f"{field} contains a control or text-direction character that is not allowed ({code})",
            field=field,
        )
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(
            "text.too_long",
            f"{field} 过长：最多 {max_length} 个字符（现为 {len(value)} 个）",
            f"{field} is too long: at most {max_length} characters (it has {len(value)})",
            field=field,
        )
    return value


def in_sane_range(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def check_day(field: str, day: date) -> date:
    """The day itself if it lies within the years the system counts in."""
    if not in_sane_range(day):
        raise InvalidInput(
            "date.out_of_range",
            f"{field} 应在 {EARLIEST_DAY} 与 {LATEST_DAY} 之间：{day}",
            f"{field} must lie between {EARLIEST_DAY} and {LATEST_DAY}: {day}",
            field=field,
        )
    return day
