"""The families of chained records and their heads kept per day (store.tables_chains, services.chain_heads)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from admitall.store.tables import alerts, audit_log, person_events, reports
from admitall.store.tables_accountability import directives
from admitall.store.tables_chains import chain_heads

# every family counted in the heads: its table, the time that stamps a record (covered by its HMAC), and the HMAC.
# A report's HMAC also covers its problems and discrepancies, a directive's the units it was sent to.
FAMILIES: dict[str, tuple[Table, Column[Any], Column[Any]]] = {
    "person_events": (person_events, person_events.c.recorded_at, person_events.c.hash),
    "reports": (reports, reports.c.received_at, reports.c.hash),
    "audit_log": (audit_log, audit_log.c.at, audit_log.c.hash),
    "alerts": (alerts, alerts.c.raised_at, alerts.c.hash),
    "directives": (directives, directives.c.issued_at, directives.c.hash),
}

h = chain_heads.c


class ChainRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def records(
        self, chain: str, since: datetime | None = None, through: datetime | None = None
    ) -> Iterator[tuple[datetime, str]]:
        """(stamp, HMAC) of the family's records stamped in [since, through), in no particular order."""
        _, stamp, digest = FAMILIES[chain]
        query = select(stamp, digest)
        if since is not None:
            query = query.where(stamp >= since)
        if through is not None:
            query = query.where(stamp < through)
        rows = self.conn.execution_options(stream_results=True, yield_per=10_000).execute(query)
        for at, value in rows:
            yield at, str(value)

    def heads(self, chain: str | None = None, day: date | None = None) -> list[dict[str, Any]]:
        """The heads kept, oldest first."""
        query = select(chain_heads).order_by(h.chain, h.through)
        if chain is not None:
            query = query.where(h.chain == chain)
        if day is not None:
            query = query.where(h.day == day)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def latest_before(self, chain: str, through: datetime) -> dict[str, Any] | None:
        """The family's last head taken no later than `through`."""
        row = self.conn.execute(
            select(chain_heads).where(h.chain == chain, h.through <= through).order_by(h.through.desc()).limit(1)
        ).first()
        return dict(row._mapping) if row else None

    def add(self, row: dict[str, Any]) -> bool:
        """Keep a head; False if one was kept for the same family and moment already (by another runner)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(chain_heads).values(**row))
        except IntegrityError:
            return False
        return True
