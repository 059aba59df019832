"""Recorded runs of the digital twin: written once, whole; listed without their rows, read back whole."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from admitall.store.paged import DEFAULT_SIZE, fetch_page
from admitall.store.tables_simulation import sim_runs

r = sim_runs.c

# what a list of runs shows: everything but the daily and hourly rows
LISTED = (
    r.id,
    r.scenario_name,
    r.title_zh,
    r.title_en,
    r.start,
    r.days,
    r.seed,
    r.settings,
    r.wall_seconds,
    r.recorded_at,
    r.recorded_by,
    r.summary,
)


class SimRunRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: dict[str, Any], at: datetime, by: str) -> int:
        result = self.conn.execute(insert(sim_runs).values(**row, recorded_at=at, recorded_by=by))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def listing(self, page: int = 1, size: int = DEFAULT_SIZE) -> tuple[list[dict[str, Any]], int]:
        """A page of the runs, newest first, without their daily and hourly rows; and how many there are."""
        rows, total = fetch_page(self.conn, select(*LISTED).order_by(r.recorded_at.desc(), r.id.desc()), page, size)
        return [dict(row._mapping) for row in rows], total

    def listed(self, ids: list[int]) -> list[dict[str, Any]]:
        """These runs as a list shows them."""
        return [dict(row._mapping) for row in self.conn.execute(select(*LISTED).where(r.id.in_(ids)))] if ids else []

    def get(self, run_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(sim_runs).where(r.id == run_id)).first()
        return dict(row._mapping) if row else None
