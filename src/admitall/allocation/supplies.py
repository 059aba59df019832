"""HQ allocation of scarce stock across open requests (issue 18 §1), pure: nothing here reads the database.

Per item, the stock HQ holds is shared among the sites that asked for it by a min-cost flow (OR-Tools, one graph
for every item): critical-care sites (ICU or severe beds) first, then the sites with the fewest days of cover.
Each site's ask is cut into segments, each costing the cover the site would have when it starts (the stock on
hand plus what the segments before it gave, over the use per day), so the flow raises the worst-covered site
first and then the next, level by level, rather than filling one site's whole ask before the next gets any. A
critical-care site's segments all cost less than any other site's. Never more than the stock, never more than
asked. A site's grant goes to its lines oldest first; each line gets its reason in zh and en.

For equipment (held per occupied bed, not used up) the "cover" is the share of the occupied beds the equipment
on hand serves, in the same place in the order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

# a site's ask is cut into this many segments (more: finer levelling, more arcs)
SEGMENTS = 8
# cover is priced in hundredths of a day, capped: no use per day (nothing known) is the cap
_COVER_CAP = 999_999
_NOT_CRITICAL = 1_000_000


@dataclass(frozen=True)
class Ask:
    """One line of an open request: how much of an item a site asked for (in the order asked)."""

    line_id: int
    request_id: int
    site: str
    item: str
    quantity: int


@dataclass(frozen=True)
class Need:
    """What the site holds of the item and uses of it per day (equipment: what its occupied beds hold)."""

    on_hand: float
    per_day: float
    critical: bool
    equipment: bool = False


@dataclass(frozen=True)
class Grant:
    line_id: int
    request_id: int
    site: str
    item: str
    asked: int
    granted: int
    critical: bool
    cover: float | None
    reason_zh: str
    reason_en: str


def cover_of(need: Need, extra: float = 0.0) -> float | None:
    """Days of cover (equipment: share of occupied beds served) with `extra` more; None when nothing is used."""
    if need.per_day <= 0:
        return None
    return max(0.0, need.on_hand + extra) / need.per_day


def allocate(stock: Mapping[str, int], asks: Sequence[Ask], needs: Mapping[tuple[str, str], Need]) -> list[Grant]:
    """The grant of every line: the stock of each item shared by one min-cost flow for all items."""
    asked: dict[tuple[str, str], int] = defaultdict(int)
    for a in asks:
        asked[(a.site, a.item)] += max(0, a.quantity)
    pairs = [p for p, n in asked.items() if n > 0]
    items = sorted({item for _, item in pairs})
    source = {item: i for i, item in enumerate(items)}
    sink = len(items)
    given = np.zeros(len(pairs), dtype=np.int64)
    if pairs:
        empty = Need(0.0, 0.0, False)
        found = [needs.get(p, empty) for p in pairs]
        total = np.array([asked[p] for p in pairs], dtype=np.int64)
        held = np.array([n.on_hand for n in found], dtype=np.float64)
        use = np.array([n.per_day for n in found], dtype=np.float64)
        critical = np.array([n.critical for n in found], dtype=bool)
        # each pair's ask in SEGMENTS pieces of `size` (the last one smaller, empty pieces dropped)
        size = np.maximum(1, -(-total // SEGMENTS))
        owners = np.repeat(np.arange(len(pairs)), SEGMENTS)
        start = np.tile(np.arange(SEGMENTS), len(pairs)) * size[owners]
        capacity = np.minimum(size[owners], total[owners] - start)
        keep = capacity > 0
        owners, start, capacity = owners[keep], start[keep], capacity[keep]
        # the cover the site has when a piece starts, in hundredths of a day, capped; no use known: the cap
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(use[owners] > 0, np.maximum(0.0, held[owners] + start) / use[owners] * 100, _COVER_CAP)
        costs = np.minimum(_COVER_CAP, cover).astype(np.int64) + np.where(critical[owners], 0, _NOT_CRITICAL)
        tails = np.array([source[item] for _, item in pairs], dtype=np.int64)[owners]
        smcf = min_cost_flow.SimpleMinCostFlow()
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(
            tails, np.full(len(tails), sink, dtype=np.int64), capacity, costs
        )
        wanted = np.bincount(tails, weights=capacity, minlength=len(items)).astype(np.int64)
        held_stock = np.array([max(0, int(stock.get(item, 0))) for item in items], dtype=np.int64)
        sends = np.minimum(held_stock, wanted)
        smcf.set_nodes_supplies(np.arange(len(items) + 1, dtype=np.int64), np.append(sends, -int(sends.sum())))
        status = smcf.solve()
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"supply allocation: min-cost flow ended with status {status}")
        np.add.at(given, owners, smcf.flows(arcs))
    left = {pair: int(given[k]) for k, pair in enumerate(pairs)}
    return _to_lines(asks, needs, left, stock)


def greedy_first_come(
    stock: Mapping[str, int], asks: Sequence[Ask], needs: Mapping[tuple[str, str], Need]
) -> list[Grant]:
    """The baseline: each line in the order asked gets what is left, until the stock runs out."""
    remaining = {item: max(0, int(n)) for item, n in stock.items()}
    grants = []
    for a in asks:
        n = min(max(0, a.quantity), remaining.get(a.item, 0))
        remaining[a.item] = remaining.get(a.item, 0) - n
        need = needs.get((a.site, a.item), Need(0.0, 0.0, False))
        grants.append(
            Grant(a.line_id, a.request_id, a.site, a.item, a.quantity, n, need.critical, cover_of(need), "", "")
        )
    return grants


def _to_lines(
    asks: Sequence[Ask],
    needs: Mapping[tuple[str, str], Need],
    left: dict[tuple[str, str], int],
    stock: Mapping[str, int],
) -> list[Grant]:
    grants = []
    for a in asks:
        key = (a.site, a.item)
        n = min(max(0, a.quantity), left.get(key, 0))
        left[key] = left.get(key, 0) - n
        need = needs.get(key, Need(0.0, 0.0, False))
        cover = cover_of(need)
        zh, en = reason(need, cover, n, a.quantity, int(stock.get(a.item, 0)))
        grants.append(Grant(a.line_id, a.request_id, a.site, a.item, a.quantity, n, need.critical, cover, zh, en))
    return grants


def reason(need: Need, cover: float | None, granted: int, asked: int, stock: int) -> tuple[str, str]:
    """Why a line got what it got, in zh and en: "ICU site, 0.4 days of cover: 300 of 500 requested"."""
    who_zh, who_en = ("重症救治点", "ICU site") if need.critical else ("普通点位", "site")
    if cover is None:
        held_zh, held_en = "用量未知", "use unknown"
    elif need.equipment:
        held_zh, held_en = f"现有设备够 {cover:.0%} 的在床病人", f"equipment for {cover:.0%} of occupied beds"
    else:
        held_zh, held_en = f"可用 {cover:.1f} 天", f"{cover:.1f} days of cover"
    if granted >= asked:
        tail_zh, tail_en = f"全额批准 {granted}", f"all {asked} requested"
    elif stock <= 0:
        tail_zh, tail_en = f"无库存，批准 0（申请 {asked}）", f"none in stock: 0 of {asked} requested"
    else:
        tail_zh = f"批准 {granted}（申请 {asked}），其余先给重症和可用天数更少的点位"
        tail_en = f"{granted} of {asked} requested; the rest went to critical-care sites and sites with less cover"
    return f"{who_zh}，{held_zh}：{tail_zh}", f"{who_en}, {held_en}: {tail_en}"
