"""The waits projection (domain.waits): segments opened, changed and closed as people's states change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from admitall.domain.facts import Segment
from admitall.domain.people import EventKind, Person, PersonEvent, Stamp
from admitall.domain.policy import Policy, PriorityClass
from admitall.domain.waits import WaitKey, follow, segments_from_history, wait_key
from admitall.store.bulk import bulk_insert, chunks
from admitall.store.repositories.census import MERGED_AWAY
from admitall.store.repositories.reports import _in_subtree
from admitall.store.tables import person_events
from admitall.store.tables_accountability import wait_segments

w = wait_segments.c

# built once and reused by the batch writer (follow_many)
_OPEN_SINCE = select(w.person_id, w.started_at).where(
    w.person_id.in_(bindparam("ids", expanding=True)), w.ended_at.is_(None)
)
_CLOSE = (
    update(wait_segments)
    .where(w.person_id == bindparam("_pid"), w.ended_at.is_(None))
    .values(ended_at=bindparam("_ended"), outcome=bindparam("_outcome"))
)
_OPEN = insert(wait_segments)


class Transition(NamedTuple):
    """One change to a person, as the waits see it: their wait key before, their state after, and when."""

    person_id: int
    before: WaitKey | None
    after: Person
    at: datetime


def _row(
    person_id: int, key: WaitKey, started: datetime, ended: datetime | None, outcome: str | None
) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "unit_code": key.unit_code,
        "priority_class": key.priority_class.value,
        "wait_started_at": key.wait_started_at,
        "started_at": started,
        "ended_at": ended,
        "outcome": outcome,
    }


class WaitRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_many(self, people: Iterable[tuple[int, WaitKey]]) -> None:
        """New people who are waiting: one open segment each, from when their wait began."""
        bulk_insert(self.conn, wait_segments, [_row(pid, key, key.wait_started_at, None, None) for pid, key in people])

    def follow(self, person_id: int, before: WaitKey | None, after: Person, policy: Policy, at: datetime) -> None:
        """Keep the person's segments true to their new state (nothing to do while the key stays the same)."""
        if before == wait_key(after, policy):
            return
        since = None
        if before is not None:
            since = self.conn.execute(
                select(w.started_at).where(w.person_id == person_id, w.ended_at.is_(None))
            ).scalar_one_or_none()
            before = before if since is not None else None
        change = follow(before, since, after, policy, at)
        if change.close is not None:
            self.conn.execute(
                update(wait_segments)
                .where(w.person_id == person_id, w.ended_at.is_(None))
                .values(ended_at=change.close_at, outcome=change.close)
            )
        if change.open is not None and change.open_at is not None:
            self.conn.execute(insert(wait_segments).values(_row(person_id, change.open, change.open_at, None, None)))

    def follow_many(self, changes: Sequence[Transition], policy: Policy) -> None:
        """`follow` for many changes, in order (a person may change several times): the open segments read by
        one statement, followed in memory, then one UPDATE closing those that were open and one INSERT of the
        new ones (a segment opened and closed within the batch is inserted closed)."""
        moving = [c for c in changes if c.before != wait_key(c.after, policy)]
        if not moving:
            return
        asked = sorted({c.person_id for c in moving if c.before is not None})
        since: dict[int, datetime] = {}
        for chunk in chunks(asked):
            since.update((pid, started) for pid, started in self.conn.execute(_OPEN_SINCE, {"ids": chunk}))
        closes: list[dict[str, Any]] = []
        opened: dict[int, dict[str, Any]] = {}  # person -> their segment opened in this batch, while it is open
        rows: list[dict[str, Any]] = []
        for c in moving:
            open_since = since.get(c.person_id)
            change = follow(c.before if open_since is not None else None, open_since, c.after, policy, c.at)
            if change.close is not None:
                new = opened.pop(c.person_id, None)
                if new is not None:
                    new.update(ended_at=change.close_at, outcome=change.close)
                else:
                    closes.append({"_pid": c.person_id, "_ended": change.close_at, "_outcome": change.close})
                since.pop(c.person_id, None)
            if change.open is not None and change.open_at is not None:
                opened[c.person_id] = _row(c.person_id, change.open, change.open_at, None, None)
                rows.append(opened[c.person_id])
                since[c.person_id] = change.open_at
        if closes:
            self.conn.execute(_CLOSE, closes)
        if rows:
            self.conn.execute(_OPEN, rows)

    def open_by_class(self, root: str | None) -> dict[str, int]:
        """People waiting now in the subtree, by priority class."""
        rows = self.conn.execute(
            select(w.priority_class, func.count())
            .where(w.ended_at.is_(None), _in_subtree(w.unit_code, root))
            .group_by(w.priority_class)
        )
        return {str(cls): int(n) for cls, n in rows}

    def overlapping(self, root: str | None, start: datetime, end: datetime) -> list[Segment]:
        """Every segment of the subtree that was open at some moment in [start, end); a record merged into another
        counts once, as the survivor (as services.scorecard_waits reads them)."""
        rows = self.conn.execute(
            select(w.person_id, w.unit_code, w.priority_class, w.wait_started_at, w.started_at, w.ended_at, w.outcome)
            .where(
                w.started_at < end,
                or_(w.ended_at.is_(None), w.ended_at > start),
                _in_subtree(w.unit_code, root),
                w.person_id.not_in(MERGED_AWAY),
            )
            .order_by(w.person_id, w.wait_started_at, w.started_at)
        )
        classes = {c.value: c for c in PriorityClass}
        return [Segment(r[0], r[1], classes[r[2]], r[3], r[4], r[5], r[6]) for r in rows]

    def of_person(self, person_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(wait_segments).where(w.person_id == person_id).order_by(w.id))
        return [dict(r._mapping) for r in rows]

    def rebuild(self, policy: Policy, person_ids: Sequence[int] | None = None) -> int:
        """Derive the segments again from the people's histories (all people, or those named)."""
        query = select(person_events).order_by(person_events.c.person_id, person_events.c.seq)
        if person_ids is not None:
            query = query.where(person_events.c.person_id.in_(person_ids))
            self.conn.execute(delete(wait_segments).where(w.person_id.in_(person_ids)))
        else:
            self.conn.execute(delete(wait_segments))
        rows: list[dict[str, Any]] = []
        current: int | None = None
        history: list[PersonEvent] = []

        def flush() -> None:
            if current is not None:
                rows.extend(_row(current, *segment) for segment in segments_from_history(history, policy))

        for r in self.conn.execute(query):
            if r.person_id != current:
                flush()
                current, history = r.person_id, []
            history.append(
                PersonEvent(EventKind(r.kind), Stamp(r.occurred_at, r.recorded_at, r.actor, r.source, r.reason), r.data)
            )
        flush()
        bulk_insert(self.conn, wait_segments, rows)
        return len(rows)
