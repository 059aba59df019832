"""Searching people by a part of their name (issue 15 §5): on PostgreSQL through indexes (migration
0022_province_level), elsewhere by a scan.

- three characters or more: `ILIKE '%…%'`, served by the pg_trgm GIN index on the name;
- one or two characters (a surname, most Chinese full names): the name's one- and two-character pieces contain the
  query, served by the GIN index on `admitall_short_grams(name)` — a trigram index cannot serve a pattern shorter
  than a trigram;
- SQLite: `LIKE '%…%'` over the rows, as before (case-insensitive for Latin letters there, as ILIKE is here).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Text, and_, cast, func
from sqlalchemy.dialects.postgresql import ARRAY, array

from admitall.store.tables import persons

SHORT = 2  # a query of at most this many characters uses the pieces' index


def name_matches(dialect: str, name: str) -> ColumnElement[bool]:
    """The condition "the person's name contains `name`" for the database `dialect`."""
    if dialect != "postgresql":
        return persons.c.name.contains(name, autoescape=True)
    condition = persons.c.name.icontains(name, autoescape=True)
    if len(name) <= SHORT:
        pieces = func.admitall_short_grams(persons.c.name, type_=ARRAY(Text))
        return and_(pieces.contains(cast(array([name.lower()]), ARRAY(Text))), condition)
    return condition
