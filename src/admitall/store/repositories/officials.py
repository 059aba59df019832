"""Officials and who led which unit when."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Connection, Row

from admitall.domain.officials import LED_LEVELS, LeadAssignment, Official
from admitall.store.bulk import bulk_insert
from admitall.store.paged import DEFAULT_SIZE, fetch_page
from admitall.store.repositories.reports import _in_subtree
from admitall.store.tables import units
from admitall.store.tables_accountability import lead_assignments, officials

a = lead_assignments.c
o = officials.c


def to_official(row: Row[Any]) -> Official:
    return Official(row.id, row.name, row.title, row.home_unit, row.phone, row.username, row.active)


def to_assignment(row: Row[Any]) -> LeadAssignment:
    return LeadAssignment(row.unit_code, row.official_id, row.starts_at, row.ends_at, row.id)


class OfficialRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, official: Official, at: datetime) -> int:
        result = self.conn.execute(
            insert(officials).values(
                name=official.name,
                title=official.title,
                home_unit=official.home_unit,
                phone=official.phone,
                username=official.username,
                active=official.active,
                created_at=at,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def add_many(self, items: Iterable[Official], at: datetime) -> None:
        rows = [
            {
                "name": x.name,
                "title": x.title,
                "home_unit": x.home_unit,
                "phone": x.phone,
                "username": x.username,
                "active": x.active,
                "created_at": at,
            }
            for x in items
        ]
        bulk_insert(self.conn, officials, rows)

    def get(self, official_id: int) -> Official | None:
        row = self.conn.execute(select(officials).where(o.id == official_id)).first()
        return to_official(row) if row else None

    def by_username(self, username: str) -> Official | None:
        row = self.conn.execute(select(officials).where(o.username == username)).first()
        return to_official(row) if row else None

    def in_subtree(self, root: str | None) -> list[Official]:
        rows = self.conn.execute(select(officials).where(_in_subtree(o.home_unit, root)).order_by(o.home_unit, o.id))
        return [to_official(r) for r in rows]

    def page_in_subtree(
        self, root: str | None, *, q: str = "", page: int = 1, size: int = DEFAULT_SIZE
    ) -> tuple[list[Official], int]:
        """A page of the subtree's officials (by home unit, then as added) and how many there are in all; `q`
        matches part of a name, a title or the home unit's name, or the home unit's code (from its start)."""
        query = select(officials).where(_in_subtree(o.home_unit, root))
        if q:
            unit_named = select(units.c.code).where(
                units.c.code == o.home_unit, units.c.name.contains(q, autoescape=True)
            )
            query = query.where(
                or_(
                    o.name.contains(q, autoescape=True),
                    o.title.contains(q, autoescape=True),
                    o.home_unit.startswith(q, autoescape=True),
                    unit_named.exists(),
                )
            )
        rows, total = fetch_page(self.conn, query.order_by(o.home_unit, o.id), page, size)
        return [to_official(r) for r in rows], total

    def named(self, ids: Iterable[int]) -> dict[int, Official]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self.conn.execute(select(officials).where(o.id.in_(wanted)))
        return {r.id: to_official(r) for r in rows}

    # --- lead assignments ------------------------------------------------------------------------------------

    def current_lead(self, unit_code: str) -> LeadAssignment | None:
        row = self.conn.execute(select(lead_assignments).where(a.unit_code == unit_code, a.ends_at.is_(None))).first()
        return to_assignment(row) if row else None

    def start(self, assignment: LeadAssignment, by: str, reason: str | None) -> int:
        result = self.conn.execute(
            insert(lead_assignments).values(
                unit_code=assignment.unit_code,
                official_id=assignment.official_id,
                starts_at=assignment.starts_at,
                ends_at=None,
                assigned_by=by,
                reason=reason,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def start_many(self, items: Iterable[LeadAssignment], by: str) -> None:
        rows = [
            {
                "unit_code": x.unit_code,
                "official_id": x.official_id,
                "starts_at": x.starts_at,
                "ends_at": x.ends_at,
                "assigned_by": by,
                "reason": None,
            }
            for x in items
        ]
        bulk_insert(self.conn, lead_assignments, rows)

    def end(self, assignment_id: int, at: datetime) -> None:
        self.conn.execute(update(lead_assignments).where(a.id == assignment_id).values(ends_at=at))

    def overlapping(self, root: str | None, start: datetime, end: datetime) -> list[LeadAssignment]:
        """Assignments of units in the subtree that were in force at some moment in [start, end)."""
        rows = self.conn.execute(
            select(lead_assignments).where(
                a.starts_at < end, or_(a.ends_at.is_(None), a.ends_at > start), _in_subtree(a.unit_code, root)
            )
        )
        return [to_assignment(r) for r in rows]

    def of_unit(self, unit_code: str) -> list[LeadAssignment]:
        rows = self.conn.execute(select(lead_assignments).where(a.unit_code == unit_code).order_by(a.starts_at))
        return [to_assignment(r) for r in rows]

    def of_official(self, official_id: int) -> list[LeadAssignment]:
        rows = self.conn.execute(
            select(lead_assignments).where(a.official_id == official_id).order_by(a.starts_at, a.unit_code)
        )
        return [to_assignment(r) for r in rows]

    def leads_now_of(self, official_ids: Iterable[int]) -> list[LeadAssignment]:
        """The units these officials lead now."""
        wanted = sorted(set(official_ids))
        if not wanted:
            return []
        rows = self.conn.execute(select(lead_assignments).where(a.ends_at.is_(None), a.official_id.in_(wanted)))
        return [to_assignment(r) for r in rows]

    def leads_now(self, root: str | None) -> dict[str, LeadAssignment]:
        rows = self.conn.execute(select(lead_assignments).where(a.ends_at.is_(None), _in_subtree(a.unit_code, root)))
        return {r.unit_code: to_assignment(r) for r in rows}

    def without_lead(
        self, root: str | None, *, page: int | None = None, size: int = DEFAULT_SIZE
    ) -> tuple[list[tuple[str, datetime]], int]:
        """Units that must have a lead and have none: (code, since when) — since the last lead left, or since
        the unit was created — by code; all of them, or one page; and how many there are in all."""
        last_end = (
            select(a.ends_at).where(a.unit_code == units.c.code).order_by(a.ends_at.desc()).limit(1).scalar_subquery()
        )
        has_open = select(a.id).where(and_(a.unit_code == units.c.code, a.ends_at.is_(None))).exists()
        query = (
            select(units.c.code, units.c.created_at, last_end)
            .where(
                units.c.level.in_([level.value for level in LED_LEVELS]),
                _in_subtree(units.c.code, root),
                ~has_open,
            )
            .order_by(units.c.code)
        )
        rows: Sequence[Any]
        if page is None:
            rows = self.conn.execute(query).all()
            total = len(rows)
        else:
            rows, total = fetch_page(self.conn, query, page, size)
        return [(code, ended or created) for code, created, ended in rows], total
