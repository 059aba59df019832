"""Registration referrals: rows that matched a person outside the registrant's jurisdiction (tables_referrals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, true, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import ColumnElement

from admitall.domain.units import subtree_bounds
from admitall.store.paged import fetch_rows
from admitall.store.tables import persons
from admitall.store.tables_referrals import registration_referrals

R = registration_referrals.c


@dataclass(frozen=True)
class NewReferral:
    person_id: int
    unit_code: str
    matched_by: str
    row: int | None
    fields: dict[str, str]


@dataclass(frozen=True)
class Referral:
    id: int
    person_id: int
    person_name: str
    person_unit: str
    unit_code: str
    matched_by: str
    submitted_by: str
    submitted_unit: str | None
    submitted_at: datetime
    source: str
    filename: str
    row: int | None
    fields: dict[str, Any]
    state: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


def _referral(r: Row[Any]) -> Referral:
    return Referral(
        id=r.id,
        person_id=r.person_id,
        person_name=r.person_name,
        person_unit=r.person_unit,
        unit_code=r.unit_code,
        matched_by=r.matched_by,
        submitted_by=r.submitted_by,
        submitted_unit=r.submitted_unit,
        submitted_at=r.submitted_at,
        source=r.source,
        filename=r.filename,
        row=r.row,
        fields=dict(r.fields),
        state=r.state,
        decided_by=r.decided_by,
        decided_at=r.decided_at,
        reason=r.reason,
    )


_SELECT = select(registration_referrals, persons.c.name.label("person_name"), persons.c.unit_code.label("person_unit"))
_JOINED = registration_referrals.join(persons, persons.c.id == R.person_id)


class ReferralRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(
        self, items: Sequence[NewReferral], *, by: str, unit: str | None, at: datetime, source: str, filename: str
    ) -> None:
        if not items:
            return
        self.conn.execute(
            insert(registration_referrals),
            [
                {
                    "person_id": i.person_id,
                    "unit_code": i.unit_code,
                    "matched_by": i.matched_by,
                    "submitted_by": by,
                    "submitted_unit": unit,
                    "submitted_at": at,
                    "source": source,
                    "filename": filename,
                    "row": i.row,
                    "fields": i.fields,
                    "state": "open",
                }
                for i in items
            ],
        )

    def get(self, referral_id: int, *, within: str | None) -> Referral | None:
        """The referral, if it is addressed to a unit in the subtree `within` (None: anywhere)."""
        query = _SELECT.select_from(_JOINED).where(R.id == referral_id, _addressed_within(within))
        row = self.conn.execute(query).first()
        return _referral(row) if row else None

    def listing(
        self, within: str | None, *, state: str | None, limit: int, offset: int, name: str = ""
    ) -> tuple[list[Referral], int]:
        """Referrals addressed to units in the subtree `within` (about a person whose name holds `name`), newest
        first, and how many there are."""
        conditions = [_addressed_within(within)]
        if state:
            conditions.append(R.state == state)
        if name:
            conditions.append(persons.c.name.contains(name, autoescape=True))
        query = _SELECT.select_from(_JOINED).where(*conditions).order_by(R.submitted_at.desc(), R.id.desc())
        rows, total = fetch_rows(self.conn, query, offset=offset, limit=limit)
        return [_referral(r) for r in rows], total

    def decide(self, referral_id: int, state: str, *, by: str, at: datetime, reason: str | None) -> bool:
        """Close an open referral; False if it was no longer open (someone decided it meanwhile)."""
        result = self.conn.execute(
            update(registration_referrals)
            .where(R.id == referral_id, R.state == "open")
            .values(state=state, decided_by=by, decided_at=at, reason=reason)
        )
        return result.rowcount == 1


def _addressed_within(root: str | None) -> ColumnElement[bool]:
    """Referrals addressed to a unit in the subtree of `root`; None means all."""
    return true() if root is None else R.unit_code.between(*subtree_bounds(root))
