"""The audit log (who did what, who read unmasked personal data), import batches and instance secrets."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from admitall.store.tables import audit_log, import_batches, instance_secrets


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(
        self,
        at: datetime,
        actor: str,
        action: str,
        target_type: str | None = None,
        target_id: str | int | None = None,
        **detail: Any,
    ) -> None:
        self.conn.execute(
            insert(audit_log).values(
                at=at,
                actor=actor,
                action=action,
                target_type=target_type,
                target_id=None if target_id is None else str(target_id),
                detail=detail,
            )
        )

    def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | int | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(audit_log.c.actor == actor)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        if target_type is not None:
            query = query.where(audit_log.c.target_type == target_type)
        if target_id is not None:
            query = query.where(audit_log.c.target_id == str(target_id))
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


class ImportRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, **values: Any) -> int:
        return int(
            self.conn.execute(insert(import_batches).values(**values).returning(import_batches.c.id)).scalar_one()
        )


class SecretRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_or_create(self, name: str) -> str:
        """A random secret generated once per installation and shared by every server through the database."""
        value = self.conn.execute(
            select(instance_secrets.c.value).where(instance_secrets.c.name == name)
        ).scalar_one_or_none()
        if value is None:
            value = secrets.token_urlsafe(48)
            self.conn.execute(insert(instance_secrets).values(name=name, value=value))
        return str(value)
