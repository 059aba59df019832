"""The type-level questions, answered on a tiny graph of priority classes and bed types: how many of each
class can be placed, and which (class, bed type) pairs any optimal plan can use at all.

Beds enter the graph as `Beds`: per bed type the beds that can be filled on their own, and for each facility
whose hourly admission rate is below its free beds of several types, one node that all its types pass through,
with the rate as its capacity (a facility with one bed type, or one whose rate does not bind, needs no node: its
beds are simply counted as the fewer of its free beds and its remaining admissions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.graph.python import min_cost_flow

from admitall.domain.facilities import BedType
from admitall.domain.policy import Policy, PriorityClass


@dataclass(frozen=True)
class SharedLimit:
    """One facility's free beds by type, of which it can fill no more than `slots` in all this hour."""

    slots: int
    beds: Mapping[BedType, int]


@dataclass(frozen=True)
class Beds:
    free: Counter[BedType]  # beds that can be filled on their own
    shared: tuple[SharedLimit, ...] = ()

    def total(self, t: BedType) -> int:
        """An upper bound on the people type `t` can take: its own beds and every shared facility's beds."""
        return self.free[t] + sum(s.beds.get(t, 0) for s in self.shared)

    def without_one(self, t: BedType) -> Beds:
        less = Counter(self.free)
        less[t] -= 1
        return Beds(less, self.shared)


def solve(smcf: min_cost_flow.SimpleMinCostFlow) -> None:
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min cost flow did not find an optimum (status {status})")


def _add_beds(smcf: min_cost_flow.SimpleMinCostFlow, type_node: dict[BedType, int], sink: int, beds: Beds) -> None:
    """Type nodes → sink through the beds: directly, and through one node per shared facility (numbered after
    the sink)."""
    for t, node in type_node.items():
        smcf.add_arc_with_capacity_and_unit_cost(node, sink, max(beds.free[t], 0), 0)
    for k, shared in enumerate(beds.shared):
        node = sink + 1 + k
        for t, n in shared.beds.items():
            if t in type_node:
                smcf.add_arc_with_capacity_and_unit_cost(type_node[t], node, n, 0)
        smcf.add_arc_with_capacity_and_unit_cost(node, sink, shared.slots, 0)


def max_counts(policy: Policy, waiting: Counter[PriorityClass], beds: Beds) -> dict[PriorityClass, int]:
    """How many of each class can be placed, highest class first, each maximised with those above held fixed."""
    classes = [c for c in policy.priority if waiting[c]]
    types = sorted({t for c in classes for t in policy.eligibility[c]}, key=lambda t: t.value)
    type_node = {t: len(classes) + i for i, t in enumerate(types)}
    unplaced_node, sink = len(classes) + len(types), len(classes) + len(types) + 1
    placed: dict[PriorityClass, int] = dict.fromkeys(policy.priority, 0)
    for k, current in enumerate(classes):
        smcf = min_cost_flow.SimpleMinCostFlow()
        total = 0
        for j, cls in enumerate(classes[: k + 1]):
            n = waiting[cls]
            total += n
            smcf.set_node_supply(j, n)
            for t in policy.eligibility[cls]:
                smcf.add_arc_with_capacity_and_unit_cost(j, type_node[t], n, 0)
            # classes above may leave unplaced no more than they had to; this class pays for each left out
            spare = n - placed[cls] if j < k else n
            smcf.add_arc_with_capacity_and_unit_cost(j, unplaced_node, spare, 0 if j < k else 1)
        _add_beds(smcf, type_node, sink, beds)
        smcf.add_arc_with_capacity_and_unit_cost(unplaced_node, sink, total, 0)
        smcf.set_node_supply(sink, -total)
        solve(smcf)
        placed[current] = waiting[current] - int(smcf.optimal_cost())
    return placed


def min_preference(policy: Policy, placed: dict[PriorityClass, int], beds: Beds) -> int | None:
    """The least total preference rank with exactly `placed[c]` of each class in beds; None if impossible."""
    classes = [c for c in policy.priority if placed[c]]
    types = sorted({t for c in classes for t in policy.eligibility[c]}, key=lambda t: t.value)
    type_node = {t: len(classes) + i for i, t in enumerate(types)}
    sink = len(classes) + len(types)
    smcf = min_cost_flow.SimpleMinCostFlow()
    for j, cls in enumerate(classes):
        smcf.set_node_supply(j, placed[cls])
        for rank, t in enumerate(policy.eligibility[cls]):
            smcf.add_arc_with_capacity_and_unit_cost(j, type_node[t], placed[cls], rank)
    _add_beds(smcf, type_node, sink, beds)
    smcf.set_node_supply(sink, -sum(placed.values()))
    if classes and smcf.solve() != smcf.OPTIMAL:
        return None
    return int(smcf.optimal_cost()) if classes else 0


def usable_pairs(policy: Policy, placed: dict[PriorityClass, int], beds: Beds) -> set[tuple[PriorityClass, BedType]]:
    """The (class, bed type) pairs that some plan with the least total preference uses.

    A less preferred bed type is worth an arc only if sending one person of the class there still allows the
    least total preference: forcing one unit through the pair and re-solving tells. When there are beds enough
    for everyone's first choice this drops every alternative arc, which is most of the graph. A bed type that a
    shared facility also offers is kept whenever it has beds (which of its beds the forced unit would take is a
    question of facilities, not types; keeping an arc never loses the optimum).
    """
    best = min_preference(policy, placed, beds)
    in_shared = {t for s in beds.shared for t, n in s.beds.items() if n}
    pairs = set()
    for cls in policy.priority:
        if not placed[cls]:
            continue
        for rank, t in enumerate(policy.eligibility[cls]):
            if not beds.total(t):
                continue
            if rank == 0 or t in in_shared:
                pairs.add((cls, t))
                continue
            fewer = {**placed, cls: placed[cls] - 1}
            rest = min_preference(policy, fewer, beds.without_one(t))
            if rest is not None and best is not None and rank + rest == best:
                pairs.add((cls, t))
    return pairs
