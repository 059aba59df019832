"""Stored daily bulletins: written once per closed day, read back whole."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from admitall.store.tables_bulletin import bulletins


class BulletinRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, day: date) -> dict[str, Any] | None:
        row = self.conn.execute(select(bulletins.c.figures).where(bulletins.c.day == day)).first()
        return dict(row[0]) if row else None

    def add(self, day: date, figures: dict[str, Any], at: datetime) -> None:
        self.conn.execute(insert(bulletins).values(day=day, figures=figures, computed_at=at))
