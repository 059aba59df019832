"""Bulk inserts for imports: one prepared statement, executemany over plain tuples.

SQLAlchemy's executemany builds and type-processes a parameter dictionary per row, which costs more than the
insert itself at 100,000 rows. This converts values for the dialect once per column type and hands the driver
tuples. It runs on the unit of work's connection, inside its transaction, like every other write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import JSON, Date, Table
from sqlalchemy.engine import Connection

from admitall.store.db import to_json
from admitall.store.tables import UTCDateTime

Convert = Callable[[Any], Any]
T = TypeVar("T")

# values per IN (...) list: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
IN_CHUNK = 5000


def chunks(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """`values` in lists of at most `size`, for IN (...) lookups."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@lru_cache(maxsize=8192)
def _sqlite_datetime(value: datetime | None) -> str | None:
    # the same text SQLAlchemy's SQLite DateTime stores ('YYYY-MM-DD HH:MM:SS.ffffff'), so comparisons agree
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _converter(column_type: Any, dialect: str) -> Convert | None:
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime if dialect == "sqlite" else None
    if isinstance(column_type, Date):
        return _iso_date if dialect == "sqlite" else None
    if isinstance(column_type, JSON):
        if dialect == "sqlite":
            return to_json
        from psycopg.types.json import Json

        return Json
    return None


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` into `table` with one executemany; every row has the same keys in the same order."""
    if not rows:
        return
    columns = list(rows[0])
    dialect = conn.dialect.name
    convert = [(i, c) for i, name in enumerate(columns) if (c := _converter(table.c[name].type, dialect))]
    values = []
    for row in rows:
        value = list(row.values())
        for i, c in convert:
            value[i] = c(value[i])
        values.append(tuple(value))
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    conn.exec_driver_sql(sql, values)


def lookup(conn: Connection, sql: str, fixed: Sequence[Any], values: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Rows of `sql`, whose last condition is `IN ({in})`, for all `values` in chunks of IN_CHUNK.

    Plain driver SQL: SQLAlchemy renders an expanding IN afresh for every chunk, which at 100,000 values costs
    several times the lookup itself. `sql` must be a constant written here, never built from user input.
    """
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    found: list[tuple[Any, ...]] = []
    for chunk in chunks(values):
        statement = sql.replace("{in}", ", ".join([marker] * len(chunk))).replace("{p}", marker)
        found.extend(tuple(row) for row in conn.exec_driver_sql(statement, (*fixed, *chunk)))
    return found
