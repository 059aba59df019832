"""Units of the jurisdiction tree."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from admitall.domain.units import Unit, level_of, parent_of, subtree_bounds
from admitall.store.bulk import chunks
from admitall.store.tables import units


def _unit(row: Row[Any]) -> Unit:
    return Unit(row.code, row.name, row.lat, row.lon, row.population)


class UnitRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, code: str) -> Unit | None:
        row = self.conn.execute(select(units).where(units.c.code == code)).first()
        return _unit(row) if row else None

    def existing(self, codes: Iterable[str]) -> dict[str, Unit]:
        found: dict[str, Unit] = {}
        for chunk in chunks(set(codes)):
            for row in self.conn.execute(select(units).where(units.c.code.in_(chunk))):
                found[row.code] = _unit(row)
        return found

    def existing_codes(self, codes: Iterable[str]) -> set[str]:
        return set(self.existing(codes))

    def add_many(self, new_units: list[Unit], at: datetime, roots: Collection[str] = ()) -> None:
        """Insert units; those in `roots` are tops of the tree (their parent is not a unit here)."""
        if not new_units:
            return
        self.conn.execute(
            insert(units),
            [
                {
                    "code": u.code,
                    "name": u.name,
                    "level": level_of(u.code).value,
                    "parent_code": None if u.code in roots else parent_of(u.code),
                    "lat": u.lat,
                    "lon": u.lon,
                    "population": u.population,
                    "created_at": at,
                }
                for u in new_units
            ],
        )

    def rename(self, code: str, name: str) -> None:
        self.conn.execute(update(units).where(units.c.code == code).values(name=name))

    def children(self, code: str) -> list[Unit]:
        rows = self.conn.execute(select(units).where(units.c.parent_code == code).order_by(units.c.code))
        return [_unit(r) for r in rows]

    def roots(self) -> list[Unit]:
        rows = self.conn.execute(select(units).where(units.c.parent_code.is_(None)).order_by(units.c.code))
        return [_unit(r) for r in rows]

    def in_subtree(self, root: str, *, levels: Iterable[str] | None = None) -> list[Unit]:
        low, high = subtree_bounds(root)
        query = select(units).where(units.c.code.between(low, high))
        if levels is not None:
            query = query.where(units.c.level.in_(list(levels)))
        rows = self.conn.execute(query.order_by(units.c.code))
        return [_unit(r) for r in rows]

    def names(self, codes: Iterable[str]) -> dict[str, str]:
        return {code: u.name for code, u in self.existing(codes).items()}

    def reporting(self, root: str | None, levels: Iterable[str]) -> list[tuple[str, str, datetime]]:
        """(code, level, created at) of the units of the given levels in the subtree: those that report."""
        query = select(units.c.code, units.c.level, units.c.created_at).where(units.c.level.in_(list(levels)))
        if root is not None:
            query = query.where(units.c.code.between(*subtree_bounds(root)))
        return [(r.code, r.level, r.created_at) for r in self.conn.execute(query.order_by(units.c.code)).all()]

    def set_populations(self, populations: dict[str, int]) -> None:
        """Residents per unit (approximate figures the scorecards normalise by)."""
        if populations:
            self.conn.execute(
                update(units).where(units.c.code == bindparam("_code")).values(population=bindparam("_population")),
                [{"_code": code, "_population": n} for code, n in populations.items()],
            )

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(units)).scalar_one())
