"""The twin's supplies (issue 18 §1 and §5): each facility is stocked when it opens and supplied again on a
schedule, its occupied beds use the consumables every day at the policy's rates (data/supplies.toml), and the
engine's usable beds follow what is on hand — an ICU bed without its ventilator, a severe or ICU bed without oxygen,
is not used (services.supply_limits). Everything goes through the supplies' own tables as a city records it:
receipts and consumption appended as movements, one batch a day.

How much (decided here; the scenario's [supplies] section sets each):
- `opening_days`: a facility opens with this many days of what its beds would use full, of every consumable;
  and the equipment its beds hold (ventilators: `ventilators_per_icu_bed` for each ICU bed; the rest at the
  policy's rate per bed).
- `resupply_every_days` and `resupply_share`: every so many days from its opening, a delivery of that share of
  what its beds would use full over the interval. At 1 nothing runs out; under 1, a full facility runs down
  (the what-if "oxygen and protective equipment delivered at half").
No Wuhan figure of deliveries per hospital was found: the defaults (7 days at opening, every 2 days, all of it)
are chosen so that the base run is not limited by supplies, and the what-ifs change one of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.supplies import (
    CONSUMABLE,
    COUNT,
    EQUIPMENT,
    RECEIPT,
    SupplyPolicy,
    default_supply_policy,
    whole_units,
)
from admitall.services.context import Context
from admitall.services.supplies import ensure_site
from admitall.services.supply_watch import record_estimated_consumption
from admitall.store.tables_supplies import supply_movements

VENTILATOR = "ventilator"


@dataclass(frozen=True)
class SupplyPlan:
    opening_days: float = 7.0
    resupply_every_days: int = 2
    resupply_share: float = 1.0
    ventilators_per_icu_bed: float = 1.0


def _bad(where: str, zh: str, en: str) -> InvalidInput:
    key = f"supplies.{where}"
    return InvalidInput("scenario.invalid", f"情景设置 {key} 无效：{zh}", f"{key}: {en}")


def _number(raw: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = raw.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise _bad(key, f"应在 {low:g} 与 {high:g} 之间", f"must be from {low:g} to {high:g}")
    return float(value)


def parse_supplies(raw: Any) -> SupplyPlan | None:
    """The scenario's [supplies] section: None when absent or off."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _bad("", "应为一节", "must be a section")
    known = {"on", "opening_days", "resupply_every_days", "resupply_share", "ventilators_per_icu_bed"}
    if set(raw) - known:
        raise _bad(str(sorted(set(raw) - known)[0]), "未知的设置", "unknown setting")
    if raw.get("on", False) is not True:
        return None
    every = raw.get("resupply_every_days", 2)
    if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= 30:
        raise _bad("resupply_every_days", "应为 1 到 30 的整数", "must be a whole number from 1 to 30")
    return SupplyPlan(
        opening_days=_number(raw, "opening_days", 7.0, 0, 90),
        resupply_every_days=every,
        resupply_share=_number(raw, "resupply_share", 1.0, 0, 10),
        ventilators_per_icu_bed=_number(raw, "ventilators_per_icu_bed", 1.0, 0, 10),
    )


def full_use(policy: SupplyPolicy, beds: Mapping[BedType, int]) -> dict[str, float]:
    """Per consumable, what the beds use in a day when all are occupied."""
    return {
        code: sum(item.per_bed_day.get(bed, 0.0) * n for bed, n in beds.items())
        for code, item in policy.items.items()
        if item.kind == CONSUMABLE
    }


def equipment(policy: SupplyPolicy, plan: SupplyPlan, beds: Mapping[BedType, int]) -> dict[str, float]:
    """Per item of equipment, what a facility holds for its beds."""
    held: dict[str, float] = {}
    for code, item in policy.items.items():
        if item.kind != EQUIPMENT:
            continue
        if code == VENTILATOR:
            held[code] = math.floor(plan.ventilators_per_icu_bed * beds.get(BedType.ICU, 0) + 1e-9)
        else:
            held[code] = whole_units(sum(item.per_bed_day.get(bed, 0.0) * n for bed, n in beds.items()))
    return held


class SupplyTwin:
    """Deliveries at each local midnight for the day starting, and the day ended's consumption (the runner's
    daily hook); `delivered` and `consumed` count the movement rows written."""

    def __init__(self, ctx: Context, plan: SupplyPlan, facilities: Sequence[Any]) -> None:
        self.ctx, self.plan, self.facilities = ctx, plan, list(facilities)
        self.policy = default_supply_policy()
        self.first_day: dict[str, date] = {}  # facility code -> the day it was first stocked
        self.sites: dict[str, int] = {}
        self.delivered = 0
        self.consumed = 0

    def on_day(self, day: date, now: datetime, ended: date | None) -> None:
        """The consumption of the day `ended` (None at the start), then the deliveries due on `day`."""
        if ended is not None:
            self.consumed += record_estimated_consumption(self.ctx, ended)
        rows = []
        for f in self.facilities:
            if (f.opens is not None and f.opens > day) or (f.closes is not None and f.closes <= day):
                continue
            beds = {bed: n for bed, n in f.beds.items() if n > 0}
            if f.code not in self.first_day:
                self.first_day[f.code] = day
                amounts = {code: self.plan.opening_days * n for code, n in full_use(self.policy, beds).items()}
                amounts.update(equipment(self.policy, self.plan, beds))
                opening = True
            elif (day - self.first_day[f.code]).days % self.plan.resupply_every_days == 0:
                days = self.plan.resupply_every_days * self.plan.resupply_share
                amounts = {code: days * n for code, n in full_use(self.policy, beds).items()}
                opening = False
            else:
                continue
            rows.extend(self._receipts(f.code, beds if opening else {}, amounts, now))
        if rows:
            with self.ctx.uow(write=True) as uow:
                uow.conn.execute(insert(supply_movements), rows)
                uow.commit()
        self.delivered += len(rows)

    def _receipts(
        self, code: str, counted_at_zero: Mapping[BedType, int], amounts: Mapping[str, float], now: datetime
    ) -> list[dict[str, Any]]:
        """Receipts of the amounts; at opening (`counted_at_zero`: the facility's beds), an item its beds cannot do
        without and that it is given none of is counted at 0 instead."""
        site_id = self._site(code, now)
        if site_id is None:
            return []
        return [
            {
                "site_id": site_id,
                "item_code": item,
                # counted at 0: its stock is kept from the first day, and so it limits the beds that need it
                "kind": RECEIPT if quantity > 0 else COUNT,
                "quantity": whole_units(quantity),  # nobody delivers 16.8 test kits
                "counted": None if quantity > 0 else 0.0,
                "at": now,
                "recorded_at": now,
                "actor": "twin",
                "reason": "",
                "estimated": 0,
            }
            for item, quantity in sorted(amounts.items())
            if quantity > 0 or self.policy.items[item].critical_for & set(counted_at_zero)
        ]

    def _site(self, code: str, now: datetime) -> int | None:
        if code not in self.sites:
            with self.ctx.uow(write=True) as uow:
                site = ensure_site(uow, "facility", code, now)
                uow.commit()
            if site is None:
                return None
            self.sites[code] = int(site["id"])
        return self.sites[code]

    def outcome(self) -> dict[str, int]:
        return {"facilities_stocked": len(self.first_day), "receipts": self.delivered, "consumption": self.consumed}
