"""The beds a facility's critical supplies let it use (issue 18 §2's effective capacity, the supply side).

Equipment held per occupied bed (a ventilator per ICU bed, by data/supplies.toml) caps a bed type at the stock on
hand divided by its per-bed rate; a consumable critical to a bed type (oxygen for severe and ICU beds) that has run
out caps it at 0. Only a facility that keeps stock of the item (any movement of it up to the moment asked) is
limited by it: a facility whose supplies are not tracked is not limited. Two statements for the whole city: the
stock of the critical items at every facility, and the facilities' bed pools.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from admitall.domain.facilities import BedType
from admitall.domain.supplies import SupplyPolicy, bed_cap, default_supply_policy
from admitall.store.tables import bed_pools
from admitall.store.tables_supplies import supply_movements, supply_sites
from admitall.store.uow import UnitOfWork

_m, _s = supply_movements.c, supply_sites.c


def bed_limits_from_supplies(
    session: UnitOfWork | Connection, at: datetime, policy: SupplyPolicy | None = None
) -> dict[tuple[str, BedType], tuple[int, str]]:
    """For each (facility code, bed type) that a critical supply limits: the most beds of that type the
    facility's supplies can serve now, and the item code that limits. A pair not in the result is not limited."""
    conn = session.conn if isinstance(session, UnitOfWork) else session
    rules = policy or default_supply_policy()
    critical = {code: item for code, item in rules.items.items() if item.critical_for}
    if not critical:
        return {}
    stock = conn.execute(
        select(_s.code, _m.item_code, func.sum(_m.quantity))
        .join(supply_sites, _s.id == _m.site_id)
        .where(_s.kind == "facility", _m.item_code.in_(sorted(critical)), _m.at <= at)
        .group_by(_s.code, _m.item_code)
    ).all()
    if not stock:
        return {}
    on_hand: dict[str, dict[str, float]] = {}
    for code, item_code, total in stock:
        on_hand.setdefault(code, {})[item_code] = float(total or 0)
    beds = {bed for item in critical.values() for bed in item.critical_for}
    pools = conn.execute(
        select(bed_pools.c.facility_code, bed_pools.c.bed_type).where(
            bed_pools.c.facility_code.in_(sorted(on_hand)), bed_pools.c.bed_type.in_(sorted(b.value for b in beds))
        )
    ).all()
    limits: dict[tuple[str, BedType], tuple[int, str]] = {}
    for facility, bed_value in pools:
        bed = BedType(bed_value)
        for item_code, held in sorted(on_hand[facility].items()):
            cap = bed_cap(critical[item_code], bed, held)
            if cap is not None and ((facility, bed) not in limits or cap < limits[(facility, bed)][0]):
                limits[(facility, bed)] = (cap, item_code)
    return limits
