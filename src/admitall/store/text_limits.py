"""The one place that knows how long each stored text may be: read from the tables' own metadata, so a column
widened in a migration widens the check with it. Used by the API's field types and by the services and imports
that write texts, with the checks of `domain.text`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import String

from admitall.domain.text import check_text
from admitall.store.tables import metadata  # with every table module: the schema whole

# a text column without a length in the database (notes, descriptions) still takes no more than this
LONG_TEXT = 10_000


@cache
def max_length(table: str, column: str) -> int | None:
    """The column's length in characters (LONG_TEXT for a text column without one); None if it holds no text."""
    type_ = metadata.tables[table].c[column].type
    if not isinstance(type_, String):
        return None
    return type_.length or LONG_TEXT


def check_row(table: str, row: Mapping[str, Any], *, multiline: tuple[str, ...] = ()) -> None:
    """Refuse, naming the field, any text of `row` too long for its column of `table` or holding a control or
    bidi character (line breaks only in the `multiline` fields)."""
    columns = metadata.tables[table].c
    for key, value in row.items():
        if isinstance(value, str) and key in columns:
            check_text(key, value, max_length=max_length(table, key), multiline=key in multiline)
