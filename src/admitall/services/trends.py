"""Hour-by-hour figures for a unit's subtree, counted by the database from what was recorded.

Inflow and admissions are counted from the person events by the hour they happened in; the waiting stock at each
hour's end from the wait segments (a person waits from a segment's start until its end, and a segment split by a
change of priority class ends at the moment the next begins, so each waiting person is counted once).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, and_, cast, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from admitall.domain.people import EventKind
from admitall.domain.units import subtree_bounds
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import person_events, persons
from admitall.store.tables_accountability import wait_segments

HOUR = 3600


def hour_index(conn: Connection, column: Any) -> ColumnElement[int]:
    """Hours since the epoch (UTC) of a time column, by the database (SQLite keeps naive UTC text)."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / HOUR), Integer)
    return cast(cast(func.strftime("%s", column), Integer) / HOUR, Integer)


def events_of(root: str | None, query: Select[Any]) -> Select[Any]:
    """The query's events limited to the people of the subtree; all of them when `root` is None (the whole
    tree), which spares joining every event to its person."""
    if root is None:
        return query
    return query.join(persons, persons.c.id == person_events.c.person_id).where(in_subtree(root))


def hour_ends(now: datetime, hours: int) -> list[datetime]:
    """The last `hours` whole hours' ends (UTC), oldest first; the last one is the hour now running's end."""
    top = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return [top - timedelta(hours=hours - 1 - i) for i in range(hours)]


def _index(moment: datetime) -> int:
    return int(moment.timestamp()) // HOUR


def _segments_in(root: str | None) -> ColumnElement[bool]:
    if root is None:
        return and_(True)
    low, high = subtree_bounds(root)
    return wait_segments.c.unit_code.between(low, high)


def hourly(conn: Connection, root: str | None, now: datetime, hours: int) -> dict[str, Any]:
    """For each of the last `hours` hours: people identified, people admitted, and people waiting at its end
    (for the hour now running: waiting now)."""
    ends = hour_ends(now, hours)
    start = ends[0] - timedelta(hours=1)
    first = _index(start)
    bucket = hour_index(conn, person_events.c.occurred_at)
    flows: dict[str, list[int]] = {"inflow": [0] * hours, "admissions": [0] * hours}
    rows = conn.execute(
        events_of(
            root,
            select(person_events.c.kind, bucket, func.count()).where(
                person_events.c.kind.in_([EventKind.IDENTIFIED.value, EventKind.ADMITTED.value]),
                person_events.c.occurred_at >= start,
                person_events.c.occurred_at <= now,
            ),
        ).group_by(person_events.c.kind, bucket)
    )
    for kind, index, n in rows:
        slot = int(index) - first
        if 0 <= slot < hours:
            flows["inflow" if kind == EventKind.IDENTIFIED.value else "admissions"][slot] += int(n)
    w = wait_segments.c
    open_at_start = conn.execute(
        select(func.count()).where(
            _segments_in(root), w.started_at < start, or_(w.ended_at.is_(None), w.ended_at >= start)
        )
    ).scalar_one()
    started = hour_index(conn, w.started_at)
    ended = hour_index(conn, w.ended_at)
    change = [0] * hours
    for index, n in conn.execute(
        select(started, func.count())
        .where(_segments_in(root), w.started_at >= start, w.started_at <= now)
        .group_by(started)
    ):
        if 0 <= int(index) - first < hours:
            change[int(index) - first] += int(n)
    for index, n in conn.execute(
        select(ended, func.count()).where(_segments_in(root), w.ended_at >= start, w.ended_at <= now).group_by(ended)
    ):
        if 0 <= int(index) - first < hours:
            change[int(index) - first] -= int(n)
    waiting, level = [], int(open_at_start)
    for delta in change:
        level += delta
        waiting.append(level)
    return {"hours": [e.isoformat() for e in ends], **flows, "waiting": waiting}


def entered(conn: Connection, root: str | None, now: datetime) -> dict[str, dict[str, int]]:
    """How many entered each category (identified in it, or reclassified into it) in the last 24 hours and in
    the 24 hours before: the four categories' trend."""
    day = timedelta(hours=24)
    e = person_events.c
    into = func.coalesce(e.data["status"].as_string(), e.data["to"].as_string())
    recent = e.occurred_at > now - day
    rows = conn.execute(
        events_of(
            root,
            select(into, recent, func.count()).where(
                e.kind.in_([EventKind.IDENTIFIED.value, EventKind.RECLASSIFIED.value]),
                e.occurred_at > now - 2 * day,
                e.occurred_at <= now,
            ),
        ).group_by(into, recent)
    )
    found: dict[str, dict[str, int]] = {}
    for status, is_recent, n in rows:
        into_status = found.setdefault(str(status), {"last_24h": 0, "previous_24h": 0})
        into_status["last_24h" if is_recent else "previous_24h"] += int(n)
    return found
