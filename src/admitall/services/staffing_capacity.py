"""Effective capacity (issue 18 §2): per facility and bed type, beds in service, staffed beds and usable beds —
the least of those and what the critical supplies allow (services.supply_limits) — and the free pools the
admission engine may fill.

A bed pool's `free` for the engine is usable − occupied − reserved; the beds free in the ward beyond that are
told apart as unstaffed (the staff on shift cannot cover them) and unsupplied (the staff could, the supplies
cannot), for the engine's reasons. Staffing is read for the whole city in a few grouped statements (the roster's
headcount, the teams present, which sites keep staffing data, the supplies' limits), never per facility.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from admitall.allocation.model import FreePool
from admitall.domain.facilities import BedPool, BedType, Facility
from admitall.domain.policy import Policy
from admitall.domain.staffing import BedCapacity, on_shift, staffed_beds, usable
from admitall.domain.supplies import default_supply_policy
from admitall.services.context import Context
from admitall.services.staffing import headcount, sites_with_staffing
from admitall.services.supply_limits import bed_limits_from_supplies
from admitall.store.uow import UnitOfWork


@dataclass(frozen=True)
class Staffing:
    """What staffing and supplies allow at a moment: the headcount by site and role, the sites that keep staffing
    data, and the supplies' limits by (facility, bed type)."""

    headcount: Mapping[str, Counter[str]]
    known: frozenset[str]
    supply: Mapping[tuple[str, BedType], tuple[int, str]]


def read_staffing(ctx: Context, uow: UnitOfWork, at: datetime) -> Staffing:
    return Staffing(
        headcount(uow, at, ctx.settings.tz),
        frozenset(sites_with_staffing(uow)),
        bed_limits_from_supplies(uow, at),
    )


def capacities(policy: Policy, pools: Iterable[BedPool], staffing: Staffing) -> dict[tuple[str, BedType], BedCapacity]:
    """Each pool's physical / staffed / usable beds (pure: from pools and what `read_staffing` read)."""
    by_facility: dict[str, dict[BedType, BedPool]] = {}
    for p in pools:
        by_facility.setdefault(p.facility_code, {})[p.bed_type] = p
    rules = policy.staffing
    found: dict[tuple[str, BedType], BedCapacity] = {}
    for code, of_facility in by_facility.items():
        physical = {t: max(0, p.capacity - p.out_of_service) for t, p in of_facility.items()}
        if code in staffing.known:
            crew = on_shift(staffing.headcount.get(code, Counter()), rules.shifts_per_day)
            staffed = staffed_beds(physical, crew, rules)
        else:
            staffed = {t: (n, None) for t, n in physical.items()}
        for t, n in physical.items():
            beds, short = staffed[t]
            found[(code, t)] = usable(n, beds, short, staffing.supply.get((code, t)))
    return found


def free_pools(ctx: Context, uow: UnitOfWork, facilities: Mapping[str, Facility], now: datetime) -> list[FreePool]:
    """The engine's pools for the open `facilities`: usable free beds, and the free beds held back with why.
    A pool with no bed free in the ward is left out."""
    pools = [p for p in uow.facilities.pools(list(facilities)) if p.free > 0]
    if not pools:
        return []
    caps = capacities(ctx.policy, pools, read_staffing(ctx, uow, now))
    names = _item_names()
    found = []
    for p in pools:
        cap = caps[(p.facility_code, p.bed_type)]
        taken = p.occupied + p.reserved
        staffed_free = max(0, min(cap.physical, cap.staffed) - taken)
        usable_free = max(0, cap.usable - taken)
        f = facilities[p.facility_code]
        found.append(
            FreePool(
                p.facility_code,
                p.bed_type,
                min(usable_free, p.free),
                f.lat,
                f.lon,
                unstaffed=max(0, p.free - staffed_free),
                short_role=cap.short_role,
                unsupplied=max(0, min(p.free, staffed_free) - usable_free),
                short_item=names.get(cap.short_item, (cap.short_item, cap.short_item)) if cap.short_item else None,
            )
        )
    return found


def _item_names() -> dict[str, tuple[str, str]]:
    return {code: (item.zh, item.en) for code, item in default_supply_policy().items.items()}
