"""The figures behind the command screen's map: for each unit one and two levels below, its residents, who waits
for a bed there (by their own unit: counted by the caller from the census), the beds of the facilities located
there (by the facility's unit), and whether it has a boundary to be drawn by (services.boundaries)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from admitall.domain.units import PREFIX_LENGTH, UnitLevel, level_of, prefix_of
from admitall.services.boundaries import codes_with_boundary
from admitall.store.uow import UnitOfWork


def map_regions(uow: UnitOfWork, root: str, now: datetime, waiting: Counter[str]) -> list[dict[str, Any]]:
    """Each unit directly below `root` with the units below it nested, each with population, who waits for a bed
    there (`waiting`: by unit prefix, from the census) and the beds located there."""
    depth = level_of(root).depth
    levels = [lv.value for lv in UnitLevel if depth < lv.depth <= depth + 2]
    below = uow.units.in_subtree(root, levels=levels)
    if not below:
        return []
    lengths = sorted({PREFIX_LENGTH[u.level] for u in below})
    found = [f for f in uow.facilities.in_subtree(root) if f.is_open(now)]
    units_of = {f.code: f.unit_code for f in found}
    beds: dict[str, Counter[str]] = {}
    for pool in uow.facilities.pools(list(units_of)) if found else []:
        unit = units_of[pool.facility_code]
        for length in lengths:
            into = beds.setdefault(unit[:length], Counter())
            into["capacity"] += pool.capacity
            into["in_use"] += pool.occupied + pool.reserved
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
