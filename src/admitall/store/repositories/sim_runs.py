"""Recorded runs of the digital twin: written once, whole; listed without their rows, read back whole."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

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

    def listing(self, limit: int = 500) -> list[dict[str, Any]]:
        """The newest runs first, without their daily and hourly rows."""
        rows = self.conn.execute(select(*LISTED).order_by(r.recorded_at.desc(), r.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]

    def get(self, run_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(sim_runs).where(r.id == run_id)).first()
        return dict(row._mapping) if row else None
