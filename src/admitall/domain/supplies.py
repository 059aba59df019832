"""Supplies (物资保障, issue 18 §1): the item catalogue and its rates (read from data/supplies.toml by
domain.supply_policy), the kinds of sites, movements and requests, and the pure arithmetic of stock: use per day,
days of cover, equipment needed by the occupied beds, and the beds a critical supply caps. Nothing here reads the
database.

Stock is never a stored total: it is the sum of a site's movements (receipt, issue, the two legs of a transfer,
consumption, a count correction with its reason).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from admitall.domain.facilities import BedType
from admitall.domain.supply_policy import CONSUMABLE as CONSUMABLE
from admitall.domain.supply_policy import EQUIPMENT as EQUIPMENT
from admitall.domain.supply_policy import Item as Item
from admitall.domain.supply_policy import SupplyPolicy as SupplyPolicy
from admitall.domain.supply_policy import default_supply_policy as default_supply_policy
from admitall.domain.supply_policy import parse_supply_policy as parse_supply_policy

# where stock is held: a facility, a unit of the tree (community, street, district, city HQ) or a warehouse
SITE_KINDS = ("facility", "unit", "warehouse")
# the movements; quantity is signed: a receipt adds, an issue and consumption take away, a transfer is two rows
RECEIPT, ISSUE, TRANSFER_OUT, TRANSFER_IN, CONSUMPTION, COUNT = (
    "receipt",
    "issue",
    "transfer_out",
    "transfer_in",
    "consumption",
    "count",
)
MOVEMENT_KINDS = (RECEIPT, ISSUE, TRANSFER_OUT, TRANSFER_IN, CONSUMPTION, COUNT)
# a request's states: open until decided; approved in full, in part, or refused (with a reason)
OPEN, APPROVED, PARTIAL, REFUSED = "open", "approved", "partial", "refused"
REQUEST_STATES = (OPEN, APPROVED, PARTIAL, REFUSED)
# the beds that make a site a critical-care site (it comes first in an allocation)
CRITICAL_BEDS = frozenset({BedType.ICU, BedType.SEVERE})


def estimated_use(item: Item, occupied: Mapping[BedType, int]) -> float:
    """What the occupied beds use of a consumable per day, or hold of equipment, by the policy's rates."""
    return sum(item.per_bed_day.get(bed, 0.0) * n for bed, n in occupied.items())


def whole_units(quantity: float) -> int:
    """The whole units a quantity takes (a suit, a kit, a cylinder is used or held whole): rounded up, the dust of
    float arithmetic ignored (3 × 0.1 needs 1, not 2)."""
    return math.ceil(quantity - 1e-9)


def days_of_cover(on_hand: float, per_day: float) -> float | None:
    """Days the stock lasts at the use per day; None when nothing is used (no end in sight)."""
    if per_day <= 0:
        return None
    return max(0.0, on_hand) / per_day


def is_short(item: Item, on_hand: float, use: float, threshold_days: float) -> bool:
    """A consumable is short under the threshold's days of cover; equipment when fewer are on hand than the
    occupied beds hold. Nothing used, nothing short."""
    if use <= 0:
        return False
    if item.kind == EQUIPMENT:
        return on_hand < whole_units(use)
    cover = days_of_cover(on_hand, use)
    return cover is not None and cover < threshold_days


def bed_cap(item: Item, bed: BedType, on_hand: float) -> int | None:
    """The most beds of the type the item lets a facility use: equipment on hand divided by its per-bed rate; a
    consumable critical to the bed caps it at 0 once run out. None: the item does not limit that bed type."""
    if bed not in item.critical_for:
        return None
    if item.kind == EQUIPMENT:
        return max(0, math.floor(on_hand / item.per_bed_day[bed] + 1e-9))
    return 0 if on_hand <= 0 else None


def decision_state(asked_and_granted: list[tuple[float, float]]) -> str:
    """A decided request's state from its lines' (asked, granted): refused if nothing, approved if all, else
    partly approved."""
    if sum(g for _, g in asked_and_granted) <= 0:
        return REFUSED
    return APPROVED if all(g >= a for a, g in asked_and_granted) else PARTIAL
