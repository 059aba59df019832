"""The bounds every request is checked against before a handler runs: one set of annotated types that every route
(API and page) uses for its ids, counts, offsets, days and texts.

A value outside them is refused by the one error renderer (422, the field named, in zh and en) instead of reaching
the database (an integer beyond 64 bits), date arithmetic (year 1 or 9999) or a column too short for it. Text
fields take their maximum length from the table they are stored in (`store.text_limits`), so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, Field, StringConstraints

from admitall.domain.errors import InvalidInput
from admitall.domain.text import EARLIEST_DAY, LATEST_DAY, forbidden_character, in_sane_range
from admitall.store.paged import DEFAULT_SIZE, MAX_SIZE
from admitall.store.text_limits import LONG_TEXT, max_length

MAX_ID = 2**31 - 1  # every id the database hands out fits in 32 bits
MAX_COUNT = 10_000_000  # beds, figures, people: more than a province holds
MAX_OFFSET = 10_000_000
MAX_VERSION = 2**31 - 1
SHORT = 200  # a keyword, code or reference that has no column of its own

# --- path parameters ------------------------------------------------------------------------------------------
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a record's id")]
Code = Annotated[str, Path(min_length=1, max_length=64, description="a unit's or facility's code")]
Word = Annotated[str, Path(min_length=1, max_length=40, description="one of the listed keywords")]

# --- query parameters -----------------------------------------------------------------------------------------
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
Page = Annotated[int, Query(le=MAX_OFFSET // 100, description="a page of a list (1 and below: the first)")]
Size = Annotated[int, Query(ge=1, le=MAX_SIZE, description=f"rows a page (default {DEFAULT_SIZE})")]

# --- body fields ----------------------------------------------------------------------------------------------
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]
CountField = Annotated[int, Field(ge=0, le=MAX_COUNT)]
VersionField = Annotated[int, Field(ge=0, le=MAX_VERSION)]
MinutesField = Annotated[int, Field(ge=1, le=7 * 24 * 60)]


def _sane_day(value: str) -> str:
    """A day written YYYY-MM-DD must lie within the years the system counts in; other forms go on to the
    service, which says what it expects."""
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        return value
    if not in_sane_range(parsed):
        raise ValueError(f"the day must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def _sane_time(value: str) -> str:
    """The same for a date and time (ISO 8601): within the sane years, or left for the service to refuse."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    if not in_sane_range(parsed.date()):
        raise ValueError(f"the time must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


Day = Annotated[str, StringConstraints(max_length=40), AfterValidator(_sane_day)]
When = Annotated[str, StringConstraints(max_length=64), AfterValidator(_sane_time)]
DayText = Day | None
TimeText = When | None


def _single_line(value: str) -> str:
    bad = forbidden_character(value)
    if bad is not None:
        raise ValueError(f"control, line-break or text-direction character U+{ord(bad):04X} is not allowed")
    return value


def _lines(value: str) -> str:
    bad = forbidden_character(value, multiline=True)
    if bad is not None:
        raise ValueError(f"control or text-direction character U+{ord(bad):04X} is not allowed")
    return value


# a keyword, code, name or reference: one line, no control or bidi characters
Short = Annotated[str, StringConstraints(max_length=SHORT), AfterValidator(_single_line)]
# a note, reason or description: lines allowed, as long as a text column takes
Note = Annotated[str, StringConstraints(max_length=LONG_TEXT), AfterValidator(_lines)]


def stored(table: str, column: str, *, multiline: bool = False) -> Any:
    """The annotated type of a text stored in `table.column`: at most the column's length (read from the table),
    no control or bidi characters, and one line unless `multiline`."""
    limit = max_length(table, column) or LONG_TEXT
    return Annotated[str, StringConstraints(max_length=limit), AfterValidator(_lines if multiline else _single_line)]


# --- form fields (the pages read their forms themselves) --------------------------------------------------------


def form_whole(form: Mapping[str, str], name: str, *, high: int = MAX_COUNT) -> int | None:
    """A whole number from 0 to `high` typed in a form field (None when left blank); anything else is refused
    naming the field (ASCII digits only: '²' is a digit to Python but no number)."""
    text = (form.get(name) or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > high:
        shown = text[:20]
        raise InvalidInput(
            "form.bad_number",
            f"{name} 必须是 0 到 {high} 之间的整数：{shown}",
            f"{name} must be a whole number from 0 to {high}: {shown}",
            field=name,
        )
    return int(text)


def path_id(text: str) -> int | None:
    """A record id written in a page's address, or None for one no record can have."""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None
