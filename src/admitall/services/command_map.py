"""The figures behind the command screen's map: for each unit one and two levels below, its residents, who waits
for a bed there (by their own unit), and the beds of the facilities located there (by the facility's unit)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from admitall.domain.people import Placement
from admitall.domain.units import PREFIX_LENGTH, level_of, prefix_of
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import persons
from admitall.store.uow import UnitOfWork


def _waiting_by_prefix(uow: UnitOfWork, root: str, length: int) -> Counter[str]:
    """People waiting for a bed (or admitted and waiting for a transfer), by the first `length` digits."""
    prefix = func.substr(persons.c.unit_code, 1, length)
    waiting = or_(
        persons.c.placement == Placement.WAITING.value,
        and_(persons.c.placement == Placement.ADMITTED.value, persons.c.waiting_since.is_not(None)),
    )
    rows = uow.conn.execute(select(prefix, func.count()).where(waiting, in_subtree(root)).group_by(prefix))
    return Counter({p: int(n) for p, n in rows})


def map_regions(uow: UnitOfWork, root: str, now: datetime) -> list[dict[str, Any]]:
    """Each unit directly below `root` with the units below it nested, each with population, waiting, beds."""
    depth = level_of(root).depth
    below = [u for u in uow.units.in_subtree(root) if depth < u.level.depth <= depth + 2]
    if not below:
        return []
    lengths = sorted({PREFIX_LENGTH[u.level] for u in below})
    waiting: Counter[str] = Counter()
    for length in lengths:
        waiting.update(_waiting_by_prefix(uow, root, length))
    found = [f for f in uow.facilities.in_subtree(root) if f.is_open(now)]
    units_of = {f.code: f.unit_code for f in found}
    beds: dict[str, Counter[str]] = {}
    for pool in uow.facilities.pools(list(units_of)) if found else []:
        unit = units_of[pool.facility_code]
        for length in lengths:
            into = beds.setdefault(unit[:length], Counter())
            into["capacity"] += pool.capacity
            into["in_use"] += pool.occupied + pool.reserved
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
            "children": [],
        }
        regions[u.code] = region
        if u.level.depth == depth + 1:
            top.append(region)
        elif u.parent_code in regions:
            regions[u.parent_code]["children"].append(region)
    return top
