"""Users and their web sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection

from admitall.store.tables import users, web_sessions
from admitall.store.tables_accountability import officials


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    password_hash: str
    role: str
    unit_code: str
    active: bool
    facility_code: str | None = None


def _record(row: Any) -> UserRecord:
    return UserRecord(
        row.id,
        row.username,
        row.display_name,
        row.password_hash,
        row.role,
        row.unit_code,
        bool(row.active),
        row.facility_code,
    )


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, where: object) -> UserRecord | None:
        row = self.conn.execute(select(users).where(where)).first()  # type: ignore[arg-type]
        if row is None:
            return None
        return _record(row)

    def shown(self, usernames: Iterable[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """For each of these usernames that is a user: (its display name, and the name and title of the active
        official it signs in as, or None). One query; services.auth decides what is shown."""
        wanted = sorted(set(usernames))
        if not wanted:
            return {}
        linked = and_(officials.c.username == users.c.username, officials.c.active.is_(True))
        query = (
            select(users.c.username, users.c.display_name, officials.c.name, officials.c.title)
            .select_from(users.outerjoin(officials, linked))
            .where(users.c.username.in_(wanted))
        )
        return {row[0]: (row[1], row[2], row[3]) for row in self.conn.execute(query)}

    def by_username(self, username: str) -> UserRecord | None:
        return self._one(users.c.username == username)

    def get(self, user_id: int) -> UserRecord | None:
        return self._one(users.c.id == user_id)

    def add(
        self,
        *,
        username: str,
        display_name: str,
        password_hash: str,
        role: str,
        unit_code: str,
        at: datetime,
        facility_code: str | None = None,
    ) -> int:
        return int(
            self.conn.execute(
                insert(users)
                .values(
                    username=username,
                    display_name=display_name,
                    password_hash=password_hash,
                    role=role,
                    unit_code=unit_code,
                    facility_code=facility_code,
                    active=True,
                    created_at=at,
                )
                .returning(users.c.id)
            ).scalar_one()
        )

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    def all(self) -> list[UserRecord]:
        rows = self.conn.execute(select(users).order_by(users.c.username))
        return [_record(r) for r in rows]

    def add_session(self, token_hash: str, user_id: int, csrf_token: str, at: datetime, expires_at: datetime) -> None:
        self.conn.execute(
            insert(web_sessions).values(
                token_hash=token_hash, user_id=user_id, csrf_token=csrf_token, created_at=at, expires_at=expires_at
            )
        )

    def session(self, token_hash: str) -> tuple[int, str, datetime] | None:
        row = self.conn.execute(select(web_sessions).where(web_sessions.c.token_hash == token_hash)).first()
        return (row.user_id, row.csrf_token, row.expires_at) if row else None

    def end_session(self, token_hash: str) -> None:
        self.conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))
