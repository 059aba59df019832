"""The per-person min-cost flow: every person a node, every eligible pool an arc, no grouping, no pruning.

Slow, and kept only as the yardstick the engine is measured against (tests and bench/): on the same snapshot
both must reach the same objective. A facility's hourly admission rate is a node its pools drain through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
from ortools.graph.python import min_cost_flow

from admitall.allocation.geo import distance_km, travel_units
from admitall.allocation.model import FreePool, Objective, Snapshot
from admitall.domain.facilities import BedType
from admitall.domain.policy import PriorityClass


def _solve(smcf: min_cost_flow.SimpleMinCostFlow) -> None:
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("reference min cost flow found no optimum")


def _drain(
    smcf: min_cost_flow.SimpleMinCostFlow,
    beds: list[tuple[BedType, int, str | None]],
    first: int,
    sink: int,
    slots: Mapping[str, int],
) -> None:
    """Bed nodes (numbered from `first`: type, free beds, facility) → sink, through one node per facility with an
    admission rate (numbered after the sink)."""
    limited = sorted({f for _, _, f in beds if f is not None and f in slots})
    node = {f: sink + 1 + k for k, f in enumerate(limited)}
    for j, (_, free, facility) in enumerate(beds):
        smcf.add_arc_with_capacity_and_unit_cost(first + j, node.get(facility or "", sink), free, 0)
    for f, n in node.items():
        smcf.add_arc_with_capacity_and_unit_cost(n, sink, max(slots[f], 0), 0)


def _bed_nodes(pools: list[FreePool], slots: Mapping[str, int]) -> list[tuple[BedType, int, str | None]]:
    """What the counts are found over: bed types, or with admission rates, the pools themselves."""
    if slots:
        return [(p.bed_type, p.free, p.facility_code) for p in pools]
    free: Counter[BedType] = Counter()
    for p in pools:
        free[p.bed_type] += p.free
    return [(t, n, None) for t, n in sorted(free.items(), key=lambda item: item[0].value)]


def per_person_objective(snapshot: Snapshot) -> Objective:
    policy = snapshot.policy
    slots = snapshot.admission_slots
    people = sorted(snapshot.candidates, key=lambda c: c.person_id)
    pools = [p for p in snapshot.pools if p.free > 0]
    n = len(people)
    waiting = Counter(c.priority_class for c in people)
    placed: dict[PriorityClass, int] = {}
    beds = _bed_nodes(pools, slots)
    # counts, class by class: person → bed type (or pool) → (facility) → sink, an 'unplaced' way out per class
    for k, current in enumerate(policy.priority):
        above = set(policy.priority[: k + 1])
        members = [i for i, c in enumerate(people) if c.priority_class in above]
        smcf = min_cost_flow.SimpleMinCostFlow()
        unplaced = {c: n + len(beds) + i for i, c in enumerate(policy.priority)}
        sink = n + len(beds) + len(policy.priority)
        for i in members:
            c = people[i]
            smcf.set_node_supply(i, 1)
            for j, (t, _, _) in enumerate(beds):
                if t in policy.eligibility[c.priority_class]:
                    smcf.add_arc_with_capacity_and_unit_cost(i, n + j, 1, 0)
            smcf.add_arc_with_capacity_and_unit_cost(i, unplaced[c.priority_class], 1, 0)
        _drain(smcf, beds, n, sink, slots)
        for cls in above:
            spare = waiting[cls] if cls is current else waiting[cls] - placed[cls]
            smcf.add_arc_with_capacity_and_unit_cost(unplaced[cls], sink, spare, 1 if cls is current else 0)
        smcf.set_node_supply(sink, -len(members))
        _solve(smcf)
        placed[current] = waiting[current] - int(smcf.optimal_cost())
    # routing: person → every eligible pool, preference first, then travel
    tails, heads, ranks, units = [], [], [], []
    for i, c in enumerate(people):
        for j, p in enumerate(pools):
            if p.bed_type in policy.eligibility[c.priority_class]:
                tails.append(i)
                heads.append(n + j)
                ranks.append(policy.eligibility[c.priority_class].index(p.bed_type))
                units.append(travel_units(distance_km(c.lat, c.lon, p.lat, p.lon)))
    weight = max(units, default=0) * max(1, sum(placed.values())) + 1
    unplaced_base = n + len(pools)
    sink = unplaced_base + len(policy.priority)
    smcf = min_cost_flow.SimpleMinCostFlow()
    tail, head = np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64)
    rank, unit = np.array(ranks, dtype=np.int64), np.array(units, dtype=np.int64)
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        tail, head, np.ones(len(tail), dtype=np.int64), rank * weight + unit
    )
    for i, c in enumerate(people):
        smcf.set_node_supply(i, 1)
        smcf.add_arc_with_capacity_and_unit_cost(i, unplaced_base + policy.rank(c.priority_class), 1, 0)
    for k, cls in enumerate(policy.priority):
        smcf.add_arc_with_capacity_and_unit_cost(unplaced_base + k, sink, waiting[cls] - placed[cls], 0)
    _drain(smcf, [(p.bed_type, p.free, p.facility_code) for p in pools], n, sink, slots)
    smcf.set_node_supply(sink, -n)
    _solve(smcf)
    flow = smcf.flows(arcs) if len(tail) else np.zeros(0, dtype=np.int64)
    used = flow > 0
    return Objective(tuple(placed[c] for c in policy.priority), int(rank[used].sum()), int(unit[used].sum()))
