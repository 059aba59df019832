"""Bulk inserts for imports: plain tuples to the driver — SQLite's executemany, PostgreSQL's COPY (and updates
the same way, for batches of changes: `bulk_update`).

SQLAlchemy's executemany builds and type-processes a parameter dictionary per row, which costs more than the
insert itself at 100,000 rows. This converts values for the dialect once per column type and hands the driver
tuples; on PostgreSQL they stream through `COPY ... FROM STDIN` (psycopg 3), which fires the statement-level
triggers like an INSERT. It runs on the unit of work's connection, inside its transaction, like every other write.

`projections_once` lets a batch of new people keep SQLite's census and flow projections once per batch instead of
once per row (migration 0015_bulk_projections).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import JSON, Date, Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from admitall.store.db import to_json
from admitall.store.tables import UTCDateTime

Convert = Callable[[Any], Any]
T = TypeVar("T")

# values per IN (...) list: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
IN_CHUNK = 5000
# SQLite: from this many rows, an insert goes through a temporary table (see _staged)
STAGE_AT = 200


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


def converter(column_type: Any, dialect: str) -> Convert | None:
    """How a value of `column_type` is handed to the driver of `dialect` (None: as it is)."""
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
    convert = [(i, c) for i, name in enumerate(columns) if (c := converter(table.c[name].type, dialect))]
    values = []
    for row in rows:
        value = list(row.values())
        for i, c in convert:
            value[i] = c(value[i])
        values.append(tuple(value))
    if dialect == "postgresql":
        _copy(conn, table.name, columns, values)
        return
    if len(values) >= STAGE_AT:
        _staged(conn, table.name, columns, values)
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    conn.exec_driver_sql(sql, values)


def bulk_update(
    conn: Connection, table: Table, columns: Sequence[str], keys: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Set `columns` of the rows matched by equality on `keys`, with one executemany of plain tuples (each row: the
    columns' values, then the keys'); returns how many rows matched in all. As `bulk_insert`: values converted
    once per column type, no parameter dictionary per row."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    names = [*columns, *keys]
    convert = [(i, c) for i, name in enumerate(names) if (c := converter(table.c[name].type, dialect))]
    values = []
    for row in rows:
        value = list(row)
        for i, c in convert:
            value[i] = c(value[i])
        values.append(tuple(value))
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"UPDATE {table.name} SET {', '.join(f'{c} = {marker}' for c in columns)} "
        f"WHERE {' AND '.join(f'{k} = {marker}' for k in keys)}"
    )
    return int(conn.exec_driver_sql(sql, values).rowcount)


def _staged(conn: Connection, table: str, columns: list[str], values: list[tuple[Any, ...]]) -> None:
    """SQLite: many rows into a table with triggers and constraints, moved in one INSERT ... SELECT.

    Inserted one statement per row (executemany), each row pays for a statement of its own: a statement journal,
    the triggers' WHEN checks, the foreign keys' counters — about twice what SQLite spends on the same rows in one
    statement (measured: 4.4 s against 2.1 s of CPU for 100,000 people). So the rows are bound into a temporary
    table without types, constraints or indexes (a value is kept exactly as bound, and the target's column
    affinities then apply as they would have), moved in one statement, and the temporary table emptied. Temporary
    tables belong to this connection: nobody else sees them, and a rollback takes back what this one did. The
    table is emptied, not dropped: SQLite refuses to drop a table while a read is pending on the connection."""
    names = ", ".join(columns)
    stage = f"bulk_{table}_{zlib.crc32(names.encode()):08x}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({names})")
    conn.exec_driver_sql(f"INSERT INTO temp.{stage} VALUES ({', '.join(['?'] * len(columns))})", values)
    conn.exec_driver_sql(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM temp.{stage}")
    conn.exec_driver_sql(f"DELETE FROM temp.{stage}")


def _copy(conn: Connection, table: str, columns: list[str], values: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: the rows through one COPY on the unit of work's own connection (so in its transaction)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    dbapi = conn.dialect.dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for value in values:
                copy.write_row(value)
    except dbapi.Error as e:  # the driver's own error, as SQLAlchemy raises it for any other statement
        raise DBAPIError.instance(statement, None, e, dbapi.Error) from e


# SQLite: the rows a batch wrote since `projections_once` began (ids above the largest before it), projected with
# one grouped statement per table — the same rows the per-row triggers of migrations 0007 and 0008 would write.
# NOT INDEXED: the new rows are found by their ids (the rowid range); without it SQLite's planner walks an index
# over the whole table instead (every event of the four kinds, every person), so each batch cost the registry's
# size: 87 ms and 28 ms for 250 arrivals on the twin's 11th day, 2 ms and 0.5 ms by the ids.
_LAST_IDS = "SELECT (SELECT COALESCE(MAX(id), 0) FROM persons), (SELECT COALESCE(MAX(id), 0) FROM person_events)"
_DEFER = "UPDATE bulk_projections SET deferred = ? WHERE id = 1"
_CENSUS = (
    "INSERT INTO unit_census_changes (unit_code, status, severity, placement, n) "
    "SELECT unit_code, status, COALESCE(severity, ''), placement, count(*) FROM persons NOT INDEXED WHERE id > ? "
    "GROUP BY 1, 2, 3, 4"
)
_FLOWS = (
    "INSERT INTO event_flows (event_id, unit_code, occurred_at, kind, from_value, to_value) "
    "SELECT e.id, p.unit_code, e.occurred_at, e.kind, json_extract(e.data, '$.from'), "
    "COALESCE(json_extract(e.data, '$.status'), json_extract(e.data, '$.to')) "
    "FROM person_events e NOT INDEXED JOIN persons p ON p.id = e.person_id "
    "WHERE e.id > ? AND e.kind IN ('identified', 'reclassified', 'severity_changed', 'admitted')"
)


@contextmanager
def projections_once(conn: Connection) -> Iterator[None]:
    """Around INSERTs of new people and their events (nothing else): on SQLite the census and flow triggers are
    switched off for them, and the projections written after, once, from the rows stored.

    The switch lives in the transaction (a writing unit of work holds SQLite's write lock): no other connection
    ever sees it on, and an error anywhere rolls it back with the rows. If the switch row is missing, the
    triggers stay on and nothing is added here. PostgreSQL's triggers run once per statement: nothing to do."""
    if conn.dialect.name != "sqlite":
        yield
        return
    last_person, last_event = conn.exec_driver_sql(_LAST_IDS).one()
    if conn.exec_driver_sql(_DEFER, (1,)).rowcount != 1:
        yield
        return
    yield
    conn.exec_driver_sql(_CENSUS, (last_person,))
    conn.exec_driver_sql(_FLOWS, (last_event,))
    conn.exec_driver_sql(_DEFER, (0,))


PAIRS_A_LOOKUP = 2000  # pairs bound in one statement: two parameters each, well under both databases' limits


def rows_of_pairs(
    conn: Connection,
    table: Table,
    columns: tuple[str, str],
    pairs: Iterable[tuple[Any, Any]],
    wanted: Sequence[str],
    *,
    id_outside: tuple[int, int] | None = None,
) -> list[tuple[Any, ...]]:
    """The `wanted` columns of the rows of `table` whose two `columns` hold one of `pairs` (and whose id lies
    outside the range `id_outside`, if given), as the driver returns them.

    The pairs are joined to the table from a `VALUES` list, so that each is one seek in an index on the two
    columns: SQLite reads every row of the table for a row-value `IN` list (`(a, b) IN (VALUES ...)`, what
    SQLAlchemy's `tuple_(...).in_(...)` renders), whatever its indexes. Column names are the table's own (an
    unknown one raises); the values are bound."""
    for name in (*columns, *wanted):
        table.c[name]
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    convert = [converter(table.c[name].type, conn.dialect.name) or (lambda v: v) for name in columns]
    first, second = columns
    found: list[tuple[Any, ...]] = []
    for chunk in chunks(sorted(set(pairs)), PAIRS_A_LOOKUP):
        sql = (
            f"WITH k (first, second) AS (VALUES {', '.join([f'({marker}, {marker})'] * len(chunk))}) "
            f"SELECT {', '.join(f't.{name}' for name in wanted)} FROM k JOIN {table.name} t "
            f"ON t.{first} = k.first AND t.{second} = k.second"
        )
        bound = [v for a, b in chunk for v in (convert[0](a), convert[1](b))]
        if id_outside is not None:
            sql += f" WHERE t.id NOT BETWEEN {marker} AND {marker}"
            bound += id_outside
        found.extend(tuple(row) for row in conn.exec_driver_sql(sql, tuple(bound)))
    return found


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
