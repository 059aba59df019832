"""The figures behind the command screen's map: for each unit one and two levels below, its residents, who waits
for a bed there (by their own unit: counted by the caller from the census), the beds of the facilities located
there (by the facility's unit), and whether it has a boundary to be drawn by (services.boundaries)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from admitall.domain.units import PREFIX_LENGTH, UnitLevel, level_of, prefix_of, subtree_bounds
from admitall.services.boundaries import codes_with_boundary
from admitall.services.facilities import open_at
from admitall.store.tables import bed_pools, facilities
from admitall.store.uow import UnitOfWork


def beds_by_prefix(uow: UnitOfWork, root: str, now: datetime, length: int) -> dict[str, Counter[str]]:
    """Beds of the open facilities in the subtree by the first `length` digits of their unit: one grouped
    statement (a province has ten thousand facilities)."""
    prefix = func.substr(facilities.c.unit_code, 1, length)
    rows = uow.conn.execute(
        select(
            prefix,
            func.sum(bed_pools.c.capacity),
            func.sum(bed_pools.c.occupied + bed_pools.c.reserved),
        )
        .join(facilities, facilities.c.code == bed_pools.c.facility_code)
        .where(facilities.c.unit_code.between(*subtree_bounds(root)), open_at(now))
        .group_by(prefix)
    ).all()
    return {p: Counter(capacity=int(c or 0), in_use=int(u or 0)) for p, c, u in rows}


def map_regions(uow: UnitOfWork, root: str, now: datetime, waiting: Counter[str]) -> list[dict[str, Any]]:
    """Each unit directly below `root` with the units below it nested, each with population, who waits for a bed
    there (`waiting`: by unit prefix, from the census) and the beds located there."""
    depth = level_of(root).depth
    levels = [lv.value for lv in UnitLevel if depth < lv.depth <= depth + 2]
    below = uow.units.in_subtree(root, levels=levels)
    if not below:
        return []
    beds: dict[str, Counter[str]] = {}
    for length in sorted({PREFIX_LENGTH[u.level] for u in below}):
        beds.update(beds_by_prefix(uow, root, now, length))
    drawn = codes_with_boundary(uow.conn, root)
    regions: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    for u in below:
        key = prefix_of(u.code)
        b = beds.get(key, Counter())
        region: dict[str, Any] = {
            "code": u.code,
            "name": u.name,
            "population": u.population,
            "waiting": waiting.get(key, 0),
            "beds": b["capacity"],
            "beds_in_use": b["in_use"],
            "boundary": u.code in drawn,
            "children": [],
        }
        regions[u.code] = region
        if u.level.depth == depth + 1:
            top.append(region)
        elif u.parent_code in regions:
            regions[u.parent_code]["children"].append(region)
    return top
