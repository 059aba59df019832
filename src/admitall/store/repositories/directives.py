"""Directives and the units that received them.

A directive carries a keyed HMAC of itself and the units it was sent to; each receipt a seal of its state now
(acknowledged, completed) chained to it, written again by every change (domain.chain)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from admitall.domain.chain import RECIPIENT_STATE, directive_record, fields, seal
from admitall.keys import Keys
from admitall.store.bulk import bulk_insert
from admitall.store.paged import DEFAULT_SIZE, fetch_page
from admitall.store.repositories.reports import _in_subtree
from admitall.store.tables_accountability import directive_recipients, directives

d = directives.c
r = directive_recipients.c
_RECEIVED = [directive_recipients, d.title, d.body, d.issuer, d.issuer_unit, d.issued_at, d.target]


class DirectiveRepository:
    def __init__(self, conn: Connection, keys: Keys | None = None) -> None:
        self.conn = conn
        self.keys = keys or Keys(None, "")

    def add(self, row: dict[str, Any], recipients: Sequence[dict[str, Any]]) -> int:
        key = self.keys.chain
        digest = seal(key, "", directive_record(row, list(recipients)))
        directive_id = int(self.conn.execute(insert(directives).values(**row, hash=digest)).inserted_primary_key[0])  # type: ignore[index]
        empty = dict.fromkeys(RECIPIENT_STATE)
        sent = [{**empty, **x, "directive_id": directive_id} for x in recipients]
        bulk_insert(self.conn, directive_recipients, [{**x, "seal": receipt_seal(key, digest, x)} for x in sent])
        return directive_id

    def get(self, directive_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(directives).where(d.id == directive_id)).first()
        return dict(row._mapping) if row else None

    def recipients_of(self, directive_ids: Sequence[int]) -> list[dict[str, Any]]:
        if not directive_ids:
            return []
        rows = self.conn.execute(
            select(directive_recipients)
            .where(r.directive_id.in_(list(directive_ids)))
            .order_by(r.directive_id, r.unit_code)
        )
        return [dict(x._mapping) for x in rows]

    def recipient(self, recipient_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(*_RECEIVED).join(directives, d.id == r.directive_id).where(r.id == recipient_id)
        ).first()
        return dict(row._mapping) if row else None

    def update_recipient(self, recipient_id: int, **values: Any) -> None:
        """Change a receipt, its seal written again over its new state."""
        found = self.conn.execute(
            select(directive_recipients, d.hash.label("directive_hash"))
            .join(directives, d.id == r.directive_id)
            .where(r.id == recipient_id)
        ).first()
        if found is None:
            return
        state = {**found._mapping, **values}
        digest = receipt_seal(self.keys.chain, str(found.directive_hash), state)
        self.conn.execute(update(directive_recipients).where(r.id == recipient_id).values(**values, seal=digest))

    def received_page(
        self,
        roots: Sequence[str | None],
        *,
        not_issued_within: str | None = None,
        status: str | None = None,
        title: str = "",
        page: int = 1,
        size: int = DEFAULT_SIZE,
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of what units in the subtrees of `roots` received, newest first, and how many in all. `status`:
        a receipt's status, or "pending" (not completed); `not_issued_within` leaves out what units of that subtree
        issued (a jurisdiction follows the orders it gave itself among those it issued)."""
        if not roots:
            return [], 0
        query = select(*_RECEIVED).join(directives, d.id == r.directive_id)
        query = query.where(or_(*(_in_subtree(r.unit_code, root) for root in roots)))
        if not_issued_within is not None:
            query = query.where(or_(d.issuer_unit.is_(None), ~_in_subtree(d.issuer_unit, not_issued_within)))
        if title:
            query = query.where(d.title.contains(title, autoescape=True))
        if status == "pending":
            query = query.where(r.status != "completed")
        elif status:
            query = query.where(r.status == status)
        rows, total = fetch_page(self.conn, query.order_by(d.issued_at.desc(), r.unit_code, r.id), page, size)
        return [dict(x._mapping) for x in rows], total

    def issued_page(
        self, root: str | None, *, title: str = "", page: int = 1, size: int = DEFAULT_SIZE
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the directives issued by units in the subtree (the CLI's, with no unit, count as the top's),
        whose title holds `title`, newest first, and how many in all."""
        where = _in_subtree(d.issuer_unit, root) if root is not None else or_(d.issuer_unit.is_(None), d.id > 0)
        query = select(directives).where(where)
        if title:
            query = query.where(d.title.contains(title, autoescape=True))
        rows, total = fetch_page(self.conn, query.order_by(d.issued_at.desc(), d.id.desc()), page, size)
        return [dict(x._mapping) for x in rows], total

    def open_recipients(self) -> list[dict[str, Any]]:
        """Every recipient not yet completed, with the directive's target."""
        rows = self.conn.execute(
            select(*_RECEIVED).join(directives, d.id == r.directive_id).where(r.status != "completed")
        )
        return [dict(x._mapping) for x in rows]

    def duties(self, root: str | None, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Recipients whose completion or due time falls in [start, end), for the scorecards."""
        rows = self.conn.execute(
            select(r.id, r.unit_code, d.issued_at, r.due_at, r.completed_at)
            .join(directives, d.id == r.directive_id)
            .where(
                _in_subtree(r.unit_code, root),
                or_(r.due_at.between(start, end), r.completed_at.between(start, end)),
            )
        )
        return [dict(x._mapping) for x in rows]


def receipt_seal(key: bytes, directive_hash: str, row: Mapping[str, Any]) -> str:
    """A receipt as it stands, chained to its directive's HMAC."""
    return seal(key, directive_hash, fields(row, RECIPIENT_STATE))
