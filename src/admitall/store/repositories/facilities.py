"""Facilities and bed pools. Bed counts only ever move through `adjust`, a guarded UPDATE."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row

from admitall.domain.errors import Conflict
from admitall.domain.facilities import BedPool, BedType, Facility, FacilityType
from admitall.domain.units import subtree_bounds
from admitall.store.tables import bed_pools, facilities


def to_facility(row: Row[Any]) -> Facility:
    return Facility(
        row.code,
        row.name,
        FacilityType(row.type),
        row.unit_code,
        row.lat,
        row.lon,
        row.opens_at,
        row.closes_at,
        row.admissions_per_hour,
    )


def to_pool(row: Row[Any]) -> BedPool:
    return BedPool(
        row.facility_code, BedType(row.bed_type), row.capacity, row.occupied, row.reserved, row.out_of_service
    )


class BedUnavailable(Conflict):
    """The bed that was to be reserved or occupied is no longer free (someone else took it meanwhile)."""


def bed_unavailable(facility_code: str, bed_type: str) -> BedUnavailable:
    return BedUnavailable(
        "beds.unavailable",
        f"{facility_code} 已没有空闲的{BedType(bed_type).zh}",
        f"{facility_code} has no free {BedType(bed_type).en} any more",
    )


def pool_allows(pool: BedPool, d_occupied: int, d_reserved: int) -> bool:
    """Whether a pool's counts may move so: the condition `adjust` has the database check, for a batch to check
    in memory first."""
    occupied, reserved = pool.occupied + d_occupied, pool.reserved + d_reserved
    return occupied >= 0 and reserved >= 0 and occupied + reserved + pool.out_of_service <= pool.capacity


class FacilityRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, code: str) -> Facility | None:
        row = self.conn.execute(select(facilities).where(facilities.c.code == code)).first()
        return to_facility(row) if row else None

    def names(self, codes: Iterable[str]) -> dict[str, str]:
        """The names of the facilities with these codes (codes not found are left out)."""
        wanted = list(set(codes))
        if not wanted:
            return {}
        query = select(facilities.c.code, facilities.c.name).where(facilities.c.code.in_(wanted))
        return {code: name for code, name in self.conn.execute(query)}

    def existing_codes(self, codes: Iterable[str]) -> set[str]:
        wanted = list(set(codes))
        if not wanted:
            return set()
        return set(self.conn.execute(select(facilities.c.code).where(facilities.c.code.in_(wanted))).scalars())

    def add(self, facility: Facility, at: datetime) -> None:
        self.conn.execute(insert(facilities).values(**_facility_row(facility), created_at=at, updated_at=at))

    def update(self, facility: Facility, at: datetime) -> None:
        self.conn.execute(
            update(facilities)
            .where(facilities.c.code == facility.code)
            .values(**_facility_row(facility), updated_at=at)
        )

    def in_subtree(self, root: str | None, *, type: str | None = None) -> list[Facility]:
        query = select(facilities).order_by(facilities.c.code)
        if root is not None:
            query = query.where(facilities.c.unit_code.between(*subtree_bounds(root)))
        if type is not None:
            query = query.where(facilities.c.type == type)
        return [to_facility(r) for r in self.conn.execute(query)]

    def pools(self, facility_codes: Sequence[str] | None = None) -> list[BedPool]:
        """Every pool, or those of the given facilities."""
        query = select(bed_pools).order_by(bed_pools.c.facility_code, bed_pools.c.bed_type)
        if facility_codes is not None:
            query = query.where(bed_pools.c.facility_code.in_(list(facility_codes)))
        return [to_pool(r) for r in self.conn.execute(query)]

    def set_pool(self, facility_code: str, bed_type: str, capacity: int, out_of_service: int, at: datetime) -> None:
        """Create the pool, or change its capacity and beds out of service; refused if the beds in use would
        no longer fit."""
        where = and_(bed_pools.c.facility_code == facility_code, bed_pools.c.bed_type == bed_type)
        exists = self.conn.execute(select(bed_pools.c.capacity).where(where)).first()
        if exists is None:
            self.conn.execute(
                insert(bed_pools).values(
                    facility_code=facility_code,
                    bed_type=bed_type,
                    capacity=capacity,
                    occupied=0,
                    reserved=0,
                    out_of_service=out_of_service,
                    updated_at=at,
                )
            )
            return
        result = self.conn.execute(
            update(bed_pools)
            .where(where, bed_pools.c.occupied + bed_pools.c.reserved + out_of_service <= capacity)
            .values(capacity=capacity, out_of_service=out_of_service, updated_at=at)
        )
        if result.rowcount != 1:
            raise Conflict(
                "beds.in_use",
                f"{facility_code} 的 {bed_type} 床位已占用和预留的数量超过新的容量",
                f"More {bed_type} beds of {facility_code} are in use or reserved than the new capacity",
            )

    def adjust(self, facility_code: str, bed_type: str, d_occupied: int, d_reserved: int, at: datetime) -> None:
        """Move the counts of one pool, only if the result stays within capacity and not below zero.

        The condition is checked by the database in the same statement, so two dispatchers reserving the last
        bed at once cannot both succeed: PostgreSQL makes the second UPDATE wait for the first and re-check the
        row; SQLite lets only one writer in at a time.
        """
        result = self.conn.execute(
            _ADJUST, {"f": facility_code, "b": bed_type, "d_occ": d_occupied, "d_res": d_reserved, "at": at}
        )
        if result.rowcount != 1:
            raise bed_unavailable(facility_code, bed_type)

    def adjust_many(self, changes: Mapping[tuple[str, str], tuple[int, int]], at: datetime) -> bool:
        """`adjust` for many pools by one statement: (facility, bed type) → (Δ occupied, Δ reserved), each pool
        once (a batch sums its changes per pool). False, and some pools moved, if any of them would no longer
        fit (someone else took beds meanwhile): the caller rolls back and decides again."""
        params = [
            {"f": f, "b": b, "d_occ": d_occ, "d_res": d_res, "at": at}
            for (f, b), (d_occ, d_res) in sorted(changes.items())
            if (d_occ, d_res) != (0, 0)
        ]
        return not params or self.conn.execute(_ADJUST, params).rowcount == len(params)


_c = bed_pools.c
# built once and reused: the guarded move of one pool's counts (see FacilityRepository.adjust)
_ADJUST = (
    update(bed_pools)
    .where(
        _c.facility_code == bindparam("f"),
        _c.bed_type == bindparam("b"),
        _c.occupied + bindparam("d_occ") >= 0,
        _c.reserved + bindparam("d_res") >= 0,
        _c.occupied + bindparam("d_occ") + _c.reserved + bindparam("d_res") + _c.out_of_service <= _c.capacity,
    )
    .values(
        occupied=_c.occupied + bindparam("d_occ"), reserved=_c.reserved + bindparam("d_res"), updated_at=bindparam("at")
    )
)


def _facility_row(f: Facility) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "type": f.type.value,
        "unit_code": f.unit_code,
        "lat": f.lat,
        "lon": f.lon,
        "opens_at": f.opens_at,
        "closes_at": f.closes_at,
        "admissions_per_hour": f.admissions_per_hour,
    }
