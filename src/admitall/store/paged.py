"""One page of a list and the list's total, from the same query: the count is the query's own (counted in the
database over the same conditions), so the total a page shows cannot drift from the rows it pages through.

A page beyond the last is empty and still carries the total (a client paging until it sees no rows stops there;
a person sees the total and a link to the last page).

A list that can be very long (a province's people searched by a common surname) may count up to a cap: `cap`
counts at most cap + 1 rows, and a total above the cap means "more than cap" — page_fields says so in
`total_more`, the pager in words ("超过 10,000 条")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select

DEFAULT_SIZE = 50
MAX_SIZE = 200
COUNT_CAP = 10_000  # a capped count stops here: beyond it the list says "more than 10,000"


def bounded(page: int | None, size: int | None) -> tuple[int, int]:
    """The page (1 and below: the first) and the size (1 to MAX_SIZE, DEFAULT_SIZE when not given)."""
    return max(page or 1, 1), max(1, min(size or DEFAULT_SIZE, MAX_SIZE))


def fetch_page(
    conn: Connection, query: Select[Any], page: int, size: int, *, rows_from: Select[Any] | None = None
) -> tuple[Sequence[Row[Any]], int]:
    """The rows of page `page` (of `size` rows) of the ordered `query`, and how many rows the query has in all.
    `rows_from` is the same query written for the database to find a page's rows another way (store.repositories
    .audit); the count is always `query`'s."""
    page, size = bounded(page, size)
    return fetch_rows(conn, query, offset=(page - 1) * size, limit=size, rows_from=rows_from)


def fetch_rows(
    conn: Connection,
    query: Select[Any],
    *,
    offset: int,
    limit: int,
    rows_from: Select[Any] | None = None,
    cap: int | None = None,
) -> tuple[Sequence[Row[Any]], int]:
    """The same by offset and limit (the API's older lists take these). With `cap`, the count stops at cap + 1:
    a total above `cap` means more than `cap` (capped_total)."""
    counted = query.order_by(None) if cap is None else query.order_by(None).limit(cap + 1)
    total = int(conn.execute(select(func.count()).select_from(counted.subquery())).scalar_one())
    if offset >= total or limit < 1:
        return [], total
    return conn.execute((query if rows_from is None else rows_from).limit(limit).offset(offset)).all(), total


def capped_total(counted: int, cap: int | None) -> tuple[int, bool]:
    """(the total to show, whether there are more than that) from a count taken with `cap`."""
    if cap is not None and counted > cap:
        return cap, True
    return counted, False


def page_fields(page: int, size: int, total: int, more: bool = False) -> dict[str, Any]:
    """What every paged answer carries beside its rows (the JSON twin's shape): total, page, size, pages, and
    `total_more` (the total is a cap: there are more rows than that; pages then counts those known)."""
    page, size = bounded(page, size)
    return {"total": total, "page": page, "size": size, "pages": max(1, -(-total // size)), "total_more": more}
