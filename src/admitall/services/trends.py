"""Hour-by-hour figures for a unit's subtree, counted by the database from what was recorded.

Inflow and admissions are counted from the event flows (store.tables_census: each event that moves the backlog,
with the unit its person belonged to then) by the hour they happened in; the waiting stock at each
hour's end from the wait segments (a person waits from a segment's start until its end, and a segment split by a
change of priority class ends at the moment the next begins, so each waiting person is counted once).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from admitall.domain.people import EventKind
from admitall.domain.units import subtree_bounds
from admitall.store.repositories.census import MERGED_AWAY
from admitall.store.tables_accountability import wait_segments
from admitall.store.tables_census import event_flows

HOUR = 3600


def hour_index(conn: Connection, column: Any) -> ColumnElement[int]:
    """Hours since the epoch (UTC) of a time column, by the database (SQLite keeps naive UTC text)."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / HOUR), Integer)
    return cast(cast(func.strftime("%s", column), Integer) / HOUR, Integer)


def flows_in(root: str | None) -> ColumnElement[bool]:
    """The flows of people in the subtree of `root` (where they belonged when it happened); all when None."""
    if root is None:
        return and_(True)
    return event_flows.c.unit_code.between(*subtree_bounds(root))


def hour_ends(now: datetime, hours: int) -> list[datetime]:
    """The last `hours` whole hours' ends (UTC), oldest first; the last one is the hour now running's end."""
    top = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return [top - timedelta(hours=hours - 1 - i) for i in range(hours)]


def _index(moment: datetime) -> int:
    return int(moment.timestamp()) // HOUR


def segments_in(root: str | None) -> ColumnElement[bool]:
    """The waits of the subtree (everyone's when None), those of records merged into another left out (counted
    once, as the survivor's: services.linkage_merge)."""
    linked = wait_segments.c.person_id.not_in(MERGED_AWAY)
    if root is None:
        return linked
    low, high = subtree_bounds(root)
    return and_(wait_segments.c.unit_code.between(low, high), linked)


def hourly(conn: Connection, root: str | None, now: datetime, hours: int, level: int | None = None) -> dict[str, Any]:
    """For each of the last `hours` hours: people identified, people admitted, and people waiting at its end
    (for the hour now running: waiting now — `level`, the subtree's open waits, when the caller counted them)."""
    ends = hour_ends(now, hours)
    start = ends[0] - timedelta(hours=1)
    first = _index(start)
    f = event_flows.c
    bucket = hour_index(conn, f.occurred_at)
    flows: dict[str, list[int]] = {"inflow": [0] * hours, "admissions": [0] * hours}
    rows = conn.execute(
        select(f.kind, bucket, func.count())
        .where(
            f.kind.in_([EventKind.IDENTIFIED.value, EventKind.ADMITTED.value]),
            f.occurred_at >= start,
            f.occurred_at <= now,
            flows_in(root),
        )
        .group_by(f.kind, bucket)
    )
    for kind, index, n in rows:
        slot = int(index) - first
        if 0 <= slot < hours:
            flows["inflow" if kind == EventKind.IDENTIFIED.value else "admissions"][slot] += int(n)
    w = wait_segments.c
    # waiting now, then back hour by hour: at the end of an hour, those waiting now less those who began
    # waiting after it, plus those whose wait ended after it
    if level is None:
        level = int(conn.execute(select(func.count()).where(segments_in(root), w.ended_at.is_(None))).scalar_one())
    later = [0] * hours  # started minus ended within each hour
    for column, sign in ((w.started_at, 1), (w.ended_at, -1)):
        bucket = hour_index(conn, column)
        query = select(bucket, func.count()).where(segments_in(root), column >= start, column <= now)
        for index, n in conn.execute(query.group_by(bucket)).all():
            if 0 <= int(index) - first < hours:
                later[int(index) - first] += sign * int(n)
    waiting = [0] * hours
    for slot in range(hours - 1, -1, -1):
        waiting[slot] = level
        level -= later[slot]
    return {"hours": [e.isoformat() for e in ends], **flows, "waiting": waiting}


def entered(conn: Connection, root: str | None, now: datetime) -> dict[str, dict[str, int]]:
    """How many entered each category (identified in it, or reclassified into it) in the last 24 hours and in
    the 24 hours before: the four categories' trend."""
    day = timedelta(hours=24)
    f = event_flows.c
    recent = f.occurred_at > now - day
    rows = conn.execute(
        select(f.to_value, recent, func.count())
        .where(
            f.kind.in_([EventKind.IDENTIFIED.value, EventKind.RECLASSIFIED.value]),
            f.occurred_at > now - 2 * day,
            f.occurred_at <= now,
            flows_in(root),
        )
        .group_by(f.to_value, recent)
    )
    found: dict[str, dict[str, int]] = {}
    for status, is_recent, n in rows:
        into_status = found.setdefault(str(status), {"last_24h": 0, "previous_24h": 0})
        into_status["last_24h" if is_recent else "previous_24h"] += int(n)
    return found
