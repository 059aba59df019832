"""Stock, use and cover of many sites at once, by set statements (no query per site): the on-hand sums of the
movements, the consumption recorded over the policy's window, and the occupied beds of the facilities — three
statements for a whole jurisdiction — then the pure arithmetic of domain.supplies. The stock page, the shortages
view, the watch round's alerts and the HQ allocation all read it from here."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from admitall.domain.facilities import BedType
from admitall.domain.supplies import (
    CONSUMABLE,
    CONSUMPTION,
    EQUIPMENT,
    SupplyPolicy,
    days_of_cover,
    default_supply_policy,
    estimated_use,
    is_short,
)
from admitall.domain.units import subtree_bounds
from admitall.store.tables import bed_pools, facilities
from admitall.store.tables_supplies import supply_movements, supply_shortages, supply_sites
from admitall.store.uow import UnitOfWork

_m, _s, _b, _h, _f = supply_movements.c, supply_sites.c, bed_pools.c, supply_shortages.c, facilities.c


@dataclass(frozen=True)
class Cover:
    """One item at one site: on hand, use per day (consumable) or beds' need (equipment), days of cover."""

    site_id: int
    site_kind: str
    site_code: str
    site_name: str | None
    unit_code: str
    item_code: str
    on_hand: float
    per_day: float
    estimated: bool
    cover_days: float | None
    short: bool

    def view(self, policy: SupplyPolicy, lang: str) -> dict[str, Any]:
        item = policy.items.get(self.item_code)
        return {
            "site_id": self.site_id,
            "site_kind": self.site_kind,
            "site_code": self.site_code,
            "site_name": self.site_name or self.site_code,
            "unit_code": self.unit_code,
            "item_code": self.item_code,
            "item_name": item.name(lang) if item else self.item_code,
            "item_unit": item.unit(lang) if item else "",
            "kind": item.kind if item else CONSUMABLE,
            "on_hand": figure(self.on_hand),
            "per_day": round(self.per_day, 1),
            "estimated": self.estimated,
            "cover_days": None if self.cover_days is None else shown_days(self.cover_days),
            "short": self.short,
        }


def shown_days(days: float) -> float:
    """Days of cover as shown: rounded down to a tenth, so that an item short of 3 days never reads 3.0."""
    return math.floor(days * 10 + 1e-9) / 10


def figure(x: float) -> float | int:
    """A quantity as shown: whole numbers without a decimal point."""
    return int(x) if float(x).is_integer() else round(x, 2)


def within(root: str | None) -> Any:
    """Sites in a unit's subtree (all for None)."""
    if root is None:
        return True
    return _s.unit_code.between(*subtree_bounds(root))


def covers(
    conn: Connection,
    policy: SupplyPolicy,
    now: datetime,
    *,
    root: str | None = None,
    site_ids: list[int] | None = None,
    lang: str = "zh",
) -> list[Cover]:
    """Every item a site in the scope holds or uses: three statements whatever the number of sites."""
    scope = and_(within(root), _s.id.in_(site_ids) if site_ids is not None else True)
    since = now - timedelta(days=policy.use_window_days)
    recent = and_(_m.kind == CONSUMPTION, _m.at > since)
    recent_use, recent_count = case((recent, -_m.quantity), else_=0), case((recent, 1), else_=0)
    # on hand and the consumption recorded over the window, by one pass over the movements
    held = conn.execute(
        select(
            _s.id,
            _m.item_code,
            func.sum(_m.quantity),
            func.sum(recent_use),
            func.sum(recent_count),
            func.min(_m.at),
            func.max(case((recent, _m.at))),
        )
        .join(supply_movements, _m.site_id == _s.id)
        .where(scope, _m.at <= now)
        .group_by(_s.id, _m.item_code)
    ).all()
    sites = {
        r.id: r
        for r in conn.execute(
            select(_s.id, _s.kind, _s.code, _s.name, _s.unit_code).where(
                scope,
                or_(_s.id.in_({h[0] for h in held}), _s.kind == "facility"),
            )
        )
    }
    occupied: dict[str, dict[BedType, int]] = defaultdict(dict)
    facility_codes = [r.code for r in sites.values() if r.kind == "facility"]
    if facility_codes:
        for code, bed, n in conn.execute(
            select(_b.facility_code, _b.bed_type, _b.occupied).where(
                _b.facility_code.in_(facility_codes), _b.occupied > 0
            )
        ):
            if bed in BedType._value2member_map_:
                occupied[code][BedType(bed)] = int(n)
    on_hand = {(s, i): float(q or 0) for s, i, q, *_rest in held}
    recorded = {(s, i): float(u or 0) / recorded_days(policy, first, last) for s, i, _q, u, n, first, last in held if n}
    found: list[Cover] = []
    for sid, site in sites.items():
        beds = occupied.get(site.code, {}) if site.kind == "facility" else {}
        for code, item in policy.items.items():
            key = (sid, code)
            need = estimated_use(item, beds)
            if key not in on_hand and need <= 0:
                continue
            stock = on_hand.get(key, 0.0)
            estimated = item.kind == CONSUMABLE and key not in recorded
            per_day = need if item.kind == EQUIPMENT or estimated else recorded[key]
            cover = None if item.kind == EQUIPMENT else days_of_cover(stock, per_day)
            short = is_short(item, stock, per_day, policy.shortage_days)
            found.append(
                Cover(
                    sid, site.kind, site.code, site.name, site.unit_code, code, stock, per_day, estimated, cover, short
                )
            )
    return found


def recorded_days(policy: SupplyPolicy, first: datetime, last: datetime) -> float:
    """The days the recorded consumption is averaged over: the policy's window, or, when shorter, the days from the
    item's first movement at the site to its last consumption recorded (a shelter opened two days ago has recorded
    two days of use, not a week's; the figure stays the same through the day until the next record), never under
    one day."""
    held = (last - first).total_seconds() / 86_400
    return min(float(policy.use_window_days), max(1.0, held))


def worst_first(rows: list[Cover]) -> list[Cover]:
    """Shortages first, the fewest days of cover first (equipment short counts as no cover), then by site."""

    def key(c: Cover) -> tuple[int, float, str, str]:
        days = 0.0 if c.cover_days is None and c.short else (c.cover_days if c.cover_days is not None else 1e9)
        return (0 if c.short else 1, days, c.site_code, c.item_code)

    return sorted(rows, key=key)


def screen_tile(uow: UnitOfWork, root: str | None, now: datetime, size: int, lang: str = "zh") -> dict[str, Any]:
    """The command screen's tile: how many items are short at sites of the subtree (the shortages the watch round
    keeps open) and the worst few, their cover read now. A few statements, whatever the size of the city."""
    policy = default_supply_policy()
    open_sites = list(
        uow.conn.execute(
            select(_h.site_id)
            .join(supply_sites, _s.id == _h.site_id)
            .where(_h.ended_at.is_(None), within(root))
            .distinct()
        ).scalars()
    )
    if not open_sites:
        return {"short": 0, "worst": []}
    short = worst_first([c for c in covers(uow.conn, policy, now, site_ids=open_sites) if c.short])
    shown = short[:size]
    facilities_shown = sorted({c.site_code for c in shown if c.site_kind == "facility"})
    names = dict(uow.units.names({c.site_code for c in shown if c.site_kind == "unit"}))
    if facilities_shown:
        names.update(
            {
                code: name
                for code, name in uow.conn.execute(select(_f.code, _f.name).where(_f.code.in_(facilities_shown)))
            }
        )
    return {
        "short": len(short),
        "worst": [
            {
                **c.view(policy, lang),
                "site_name": c.site_name or names.get(c.site_code, c.site_code),
                "item_names": {"zh": c.view(policy, "zh")["item_name"], "en": c.view(policy, "en")["item_name"]},
            }
            for c in shown
        ],
    }
