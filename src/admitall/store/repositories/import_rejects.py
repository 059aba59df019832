"""The rejected rows an import keeps for the user who imported (store.tables_imports)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from admitall.store.tables_imports import import_rejects


class ImportRejectsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def keep(self, import_id: int, username: str, at: datetime, rejected: int, body: bytes) -> None:
        self.conn.execute(
            insert(import_rejects).values(
                import_id=import_id, username=username, kept_at=at, rejected=rejected, body=body
            )
        )

    def forget_before(self, moment: datetime) -> int:
        """Drop what was kept before `moment` (everyone's): the rows hold personal data nobody imported."""
        return int(self.conn.execute(delete(import_rejects).where(import_rejects.c.kept_at < moment)).rowcount)

    def body(self, import_id: int, username: str, since: datetime) -> bytes | None:
        """What the import kept, if `username` made it and kept it at `since` or later; else None, whoever asks."""
        found = self.conn.execute(
            select(import_rejects.c.body).where(
                import_rejects.c.import_id == import_id,
                import_rejects.c.username == username,
                import_rejects.c.kept_at >= since,
            )
        ).scalar_one_or_none()
        return None if found is None else bytes(found)
