"""Searching people by a part of their name (issue 15 §5): on PostgreSQL through an index (migrations
0022_province_level and 0031_name_search_pieces), elsewhere by a scan.

- PostgreSQL: the name's one- and two-character pieces (`admitall_short_grams`, a GIN index) contain every
  two-character piece of the query (the query itself when it is one character), and the lower-cased name contains
  the lower-cased query (`strpos`: no wildcard, so `%` and `_` are characters like any other). The pieces are cut
  and lower-cased by the database's own function, for the query too, so the two always agree. This does not depend
  on the database's character type: pg_trgm finds no trigram in a Chinese name where LC_CTYPE is `C`, and its index
  then hands every row to the recheck (a full name among 10 million people: 9 s that way, 5–66 ms this way).
- SQLite: `LIKE '%…%'` over the rows, as before (case-insensitive for Latin letters there, as here).

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

SHORT = 2  # the length of the query's pieces looked up in the index
BROAD_SCOPE = 200_000  # people in a scope above which a one-character name is refused


def name_matches(conn: Connection, name: str) -> ColumnElement[bool]:
    """The condition "the person's name contains `name`" for the database behind `conn`."""
    if conn.dialect.name != "postgresql":
        return persons.c.name.contains(name, autoescape=True)
    cut = conn.execute(select(func.admitall_short_grams(name, type_=ARRAY(Text)))).scalar_one() or []
    wanted = sorted(g for g in cut if len(g) == min(SHORT, len(name)))
    inside = func.strpos(func.lower(persons.c.name), func.lower(name)) > 0
    if not wanted:
        return inside
    pieces = func.admitall_short_grams(persons.c.name, type_=ARRAY(Text))
    return and_(pieces.contains(cast(array(wanted), ARRAY(Text))), inside)


def too_broad(conn: Connection, name: str, scope: ColumnElement[bool]) -> bool:
    """Whether `name` is a single character and the people of `scope` are more than BROAD_SCOPE (counted up to
    BROAD_SCOPE + 1 only)."""
    if len(name) != 1:
        return False
    counted = select(persons.c.id).where(scope).limit(BROAD_SCOPE + 1).subquery()
    return int(conn.execute(select(func.count()).select_from(counted)).scalar_one()) > BROAD_SCOPE
