"""The audit log (who did what, who read unmasked personal data), import batches and instance secrets."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.engine import Connection

from admitall.store.tables import audit_log, import_batches, instance_secrets

_RECORD = insert(audit_log)


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
        *,
        unit: str | None = None,
        **detail: Any,
    ) -> None:
        """One entry. `unit` is the unit the entry concerns (the person's, the new user's, the importer's), so
        that auditors see the entries of their own jurisdiction; None for the server console."""
        self.conn.execute(
            _RECORD,
            {
                "at": at,
                "actor": actor,
                "action": action,
                "target_type": target_type,
                "target_id": None if target_id is None else str(target_id),
                "unit_code": unit,
                "detail": detail,
            },
        )

    def entries(
        self,
        *,
        within: tuple[str, str] | None = None,
        include_console: bool = True,
        actor: str | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | int | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Newest first. `within` is a (low, high) unit-code range; console entries (no unit) are included
        only with `include_console`."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if within is not None:
            in_range = audit_log.c.unit_code.between(*within)
            query = query.where(or_(in_range, audit_log.c.unit_code.is_(None)) if include_console else in_range)
        for column, value in (
            (audit_log.c.actor, actor),
            (audit_log.c.action, action),
            (audit_log.c.target_type, target_type),
            (audit_log.c.target_id, None if target_id is None else str(target_id)),
        ):
            if value is not None:
                query = query.where(column == value)
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
