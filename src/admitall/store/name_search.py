"""Searching people by a part of their name (issue 15 §5): on PostgreSQL through indexes (migration
0022_province_level), elsewhere by a scan.

- three characters or more: `ILIKE '%…%'`, served by the pg_trgm GIN index on the name;
- one or two characters (a surname, most Chinese full names): the name's one- and two-character pieces contain the
  query, served by the GIN index on `admitall_short_grams(name)` — a trigram index cannot serve a pattern shorter
  than a trigram;
- SQLite: `LIKE '%…%'` over the rows, as before (case-insensitive for Latin letters there, as ILIKE is here).

A single character over a wide scope is refused (services.people.search_people says so in words): a common surname
matches one person in twenty, and the page's order (longest waits first) would sort every match — 490,000 people
named 王 in a province of ten million, seconds per page. Where the scope holds more than BROAD_SCOPE people (a city
or a province: a district holds about 100,000), a one-character name asks for a second character or a narrower
unit; counting the scope up to that many costs one index range scan, whatever the database.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Text, and_, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY, array

from admitall.store.tables import persons

SHORT = 2  # a query of at most this many characters uses the pieces' index
BROAD_SCOPE = 200_000  # people in a scope above which a one-character name is refused


def name_matches(dialect: str, name: str) -> ColumnElement[bool]:
    """The condition "the person's name contains `name`" for the database `dialect`."""
    if dialect != "postgresql":
        return persons.c.name.contains(name, autoescape=True)
    condition = persons.c.name.icontains(name, autoescape=True)
    if len(name) <= SHORT:
        pieces = func.admitall_short_grams(persons.c.name, type_=ARRAY(Text))
        return and_(pieces.contains(cast(array([name.lower()]), ARRAY(Text))), condition)
    return condition


def too_broad(conn: Connection, name: str, scope: ColumnElement[bool]) -> bool:
    """Whether `name` is a single character and the people of `scope` are more than BROAD_SCOPE (counted up to
    BROAD_SCOPE + 1 only)."""
    if len(name) != 1:
        return False
    counted = select(persons.c.id).where(scope).limit(BROAD_SCOPE + 1).subquery()
    return int(conn.execute(select(func.count()).select_from(counted)).scalar_one()) > BROAD_SCOPE
