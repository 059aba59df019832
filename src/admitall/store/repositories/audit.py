"""The audit log (who did what, who read unmasked personal data), import batches and instance secrets.

Each audit entry carries a keyed HMAC (domain.chain.audit_record) and is counted in the day's chain heads, so an
entry changed or removed behind the system's back is found by `admitall verify`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.engine import Connection

from admitall.domain.chain import GENESIS, audit_record, seal
from admitall.keys import Keys
from admitall.store.paged import DEFAULT_SIZE, fetch_page
from admitall.store.tables import audit_log, import_batches, instance_secrets

_RECORD = insert(audit_log)
_INDEXED_FILTERS = ("actor", "action", "target_type", "target_id", "since", "until")


class AuditRepository:
    def __init__(self, conn: Connection, keys: Keys | None = None) -> None:
        self.conn = conn
        self.keys = keys or Keys(None, "")

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
        self.record_many([(at, actor, action, target_type, target_id, unit, detail)])

    def record_many(
        self, entries: list[tuple[datetime, str, str, str | None, str | int | None, str | None, dict[str, Any]]]
    ) -> None:
        """Many entries by one statement: (at, actor, action, target type, target id, unit, detail) each."""
        rows = []
        for at, actor, action, target_type, target_id, unit, detail in entries:
            target = None if target_id is None else str(target_id)
            record = audit_record(at, actor, action, target_type, target, unit, detail)
            rows.append(
                {
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "target_type": target_type,
                    "target_id": target,
                    "unit_code": unit,
                    "detail": detail,
                    "hash": seal(self.keys.chain, GENESIS, record),
                }
            )
        if rows:
            self.conn.execute(_RECORD, rows)

    def entries(self, *, limit: int = 200, **filters: Any) -> list[dict[str, Any]]:
        """The newest `limit` entries matching the filters of `query`."""
        return [dict(r._mapping) for r in self.conn.execute(self.query(**filters).limit(limit))]

    def page(self, *, page: int = 1, size: int = DEFAULT_SIZE, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """A page of the entries matching the filters of `query`, newest first, and how many match in all."""
        walk = None
        if self.conn.dialect.name == "sqlite" and not any(filters.get(k) for k in _INDEXED_FILTERS):
            # a jurisdiction's whole log: SQLite sorts every entry its unit index finds (0.5 s at 200,000 entries)
            # where walking the log newest first and keeping the jurisdiction's takes a millisecond
            walk = self.query(**filters, walk_ids=True)
        rows, total = fetch_page(self.conn, self.query(**filters), page, size, rows_from=walk)
        return [dict(r._mapping) for r in rows], total

    @staticmethod
    def query(
        *,
        within: tuple[str, str] | None = None,
        include_console: bool = True,
        actor: str | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        walk_ids: bool = False,
    ) -> Select[Any]:
        """Entries newest first. `within` is a (low, high) unit-code range; console entries (no unit) are included
        only with `include_console`; `since` ≤ at < `until`. `walk_ids` writes the unit range so that no index
        serves it (the same rows, found by walking the ids)."""
        query = select(audit_log).order_by(audit_log.c.id.desc())
        if within is not None:
            unit = audit_log.c.unit_code.concat("") if walk_ids else audit_log.c.unit_code
            in_range = unit.between(*within)
            query = query.where(or_(in_range, audit_log.c.unit_code.is_(None)) if include_console else in_range)
        for column, value in (
            (audit_log.c.actor, actor),
            (audit_log.c.action, action),
            (audit_log.c.target_type, target_type),
            (audit_log.c.target_id, None if target_id is None else str(target_id)),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        if until is not None:
            query = query.where(audit_log.c.at < until)
        return query

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

    def get(self, name: str) -> str | None:
        value = self.conn.execute(
            select(instance_secrets.c.value).where(instance_secrets.c.name == name)
        ).scalar_one_or_none()
        return None if value is None else str(value)

    def get_or_set(self, name: str, value: str) -> str:
        """The value kept under the name, keeping `value` there first if there is none."""
        kept = self.conn.execute(
            select(instance_secrets.c.value).where(instance_secrets.c.name == name)
        ).scalar_one_or_none()
        if kept is None:
            self.conn.execute(insert(instance_secrets).values(name=name, value=value))
            return value
        return str(kept)
