"""Stored daily scorecards: written whole for a day, replaced whole when the day is computed again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, select

from admitall.domain.units import subtree_bounds
from admitall.store.bulk import bulk_insert
from admitall.store.tables_accountability import scorecards

s = scorecards.c
_ONE_OF_DAY = select(s.final, s.computed_at).where(s.day == bindparam("day")).limit(1)


class ScorecardRepository:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def replace_day(self, day: date, rows: Sequence[dict[str, Any]]) -> None:
        self.conn.execute(delete(scorecards).where(s.day == day))
        bulk_insert(self.conn, scorecards, [{**row, "day": day} for row in rows])

    def one(self, day: date, kind: str, subject: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(scorecards).where(s.day == day, s.subject_kind == kind, s.subject == subject)
        ).first()
        return dict(row._mapping) if row else None

    def of_level(self, day: date, kind: str, level: str, within: str | None = None) -> list[dict[str, Any]]:
        """A day's cards of one level, best rank first; with `within`, only the units of that subtree."""
        query = select(scorecards).where(s.day == day, s.subject_kind == kind, s.level == level)
        if within is not None:
            query = query.where(s.subject.between(*subtree_bounds(within)))
        rows = self.conn.execute(query.order_by(s.rank.is_(None), s.rank, s.subject))
        return [dict(r._mapping) for r in rows]

    def days(self, among: Sequence[date]) -> dict[date, tuple[bool, Any]]:
        """Of the days `among`, those with stored scorecards: (final?, when computed). A day is stored whole, every
        card with the same `final` and `computed_at`: one card of each day says it (the watch asks every round for
        the last three days, whatever the number of days stored)."""
        found = {}
        for day in among:
            row = self.conn.execute(_ONE_OF_DAY, {"day": day}).first()
            if row is not None:
                found[day] = (bool(row.final), row.computed_at)
        return found
