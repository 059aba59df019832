"""The admission engine (应收尽收): a snapshot in, a plan out. Pure: no database, no clock.

The objective is lexicographic (DESIGN.md): place as many people of the highest class as possible, then of the
next, and so on — one more person of a higher class beats any number of lower-class placements; then prefer the
more preferred bed types; then shorter travel; then, within a class and place, those who waited longest.

How it is solved exactly, without a graph of individuals:

1. People are grouped by (priority class, origin): everyone in a group has the same choices at the same costs.
2. How many of each class can be placed depends only on bed types, not on which facility (no class is limited
   by distance). So the counts are found class by class on a tiny graph of classes and bed types, each class's
   count maximised with the counts of the classes above it held fixed.
3. One min-cost flow over groups and bed pools then routes exactly those counts at the least preference and
   travel cost. Arcs that no optimal plan can use are left out (see `_keep_nearest`).
4. Within each group the flows are handed out first come, first served: the longest waiting get the beds, and
   the most preferred and nearest of them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from admitall.allocation.geo import EARTH_RADIUS_KM, UNITS_PER_KM
from admitall.allocation.model import Assignment, Candidate, FreePool, Objective, Plan, Snapshot, Unplaced
from admitall.allocation.reasons import placed_reason, unplaced_reason
from admitall.domain.facilities import BedType
from admitall.domain.policy import Policy, PriorityClass


@dataclass
class _Group:
    cls: PriorityClass
    origin: str
    lat: float | None
    lon: float | None
    members: list[Candidate] = field(default_factory=list)


def _groups(candidates: Sequence[Candidate], policy: Policy) -> list[_Group]:
    groups: dict[tuple[int, str], _Group] = {}
    for c in sorted(candidates, key=lambda c: (policy.rank(c.priority_class), c.origin, c.waiting_since, c.person_id)):
        key = (policy.rank(c.priority_class), c.origin)
        if key not in groups:
            groups[key] = _Group(c.priority_class, c.origin, c.lat, c.lon)
        groups[key].members.append(c)
    return [groups[k] for k in sorted(groups)]


def _solve(smcf: min_cost_flow.SimpleMinCostFlow) -> None:
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min cost flow did not find an optimum (status {status})")


def max_counts(policy: Policy, waiting: Counter[PriorityClass], free: Counter[BedType]) -> dict[PriorityClass, int]:
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
        for t in types:
            smcf.add_arc_with_capacity_and_unit_cost(type_node[t], sink, free[t], 0)
        smcf.add_arc_with_capacity_and_unit_cost(unplaced_node, sink, total, 0)
        smcf.set_node_supply(sink, -total)
        _solve(smcf)
        placed[current] = waiting[current] - int(smcf.optimal_cost())
    return placed


def _distances(group_coords: np.ndarray, pool_coords: np.ndarray) -> np.ndarray:
    """Great-circle km between every group and pool, NaN where a place has no coordinates."""
    lat1, lon1 = np.radians(group_coords[:, 0])[:, None], np.radians(group_coords[:, 1])[:, None]
    lat2, lon2 = np.radians(pool_coords[:, 0])[None, :], np.radians(pool_coords[:, 1])[None, :]
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    result: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


def _keep_nearest(units: np.ndarray, free: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the pools (nearest first) that some optimal plan may use for one group and bed type.

    If a plan sent the group to a pool while a strictly nearer pool of the same type had a free bed left,
    moving one person there would cost less; so in an optimal plan every pool nearer than a used one is full.
    Once the nearer pools can hold all `limit` people that can go to this bed type at all, pools beyond them
    (farther than the last one needed) can never carry flow and are left out of the graph.
    """
    order = np.argsort(units, kind="stable")
    cumulative = np.cumsum(free[order])
    enough = int(np.searchsorted(cumulative, limit))
    if enough >= len(order):
        return order
    boundary = units[order[enough]]
    last = int(np.searchsorted(units[order], boundary, side="right"))  # keep pools tied at the boundary
    return order[:last]


def plan(snapshot: Snapshot) -> Plan:
    """The optimal plan for the snapshot. Deterministic: the same snapshot gives the same plan."""
    policy = snapshot.policy
    groups = _groups(snapshot.candidates, policy)
    pools = sorted((p for p in snapshot.pools if p.free > 0), key=lambda p: (p.bed_type.value, p.facility_code))
    waiting: Counter[PriorityClass] = Counter(c.priority_class for c in snapshot.candidates)
    free: Counter[BedType] = Counter()
    for p in pools:
        free[p.bed_type] += p.free
    placed = max_counts(policy, waiting, free)

    by_type: dict[BedType, list[int]] = defaultdict(list)
    for i, p in enumerate(pools):
        by_type[p.bed_type].append(i)
    reachable = {
        t: min(free[t], sum(placed[c] for c in policy.priority if t in policy.eligibility[c])) for t in by_type
    }
    group_xy = np.array(
        [[g.lat if g.lat is not None else np.nan, g.lon if g.lon is not None else np.nan] for g in groups], dtype=float
    ).reshape(-1, 2)
    pool_xy = np.array(
        [[p.lat if p.lat is not None else np.nan, p.lon if p.lon is not None else np.nan] for p in pools], dtype=float
    ).reshape(-1, 2)
    pool_free = np.array([p.free for p in pools], dtype=np.int64)

    # arcs group → pool, with preference rank and travel units; nearest free pool per (group, type) for reasons
    tails, heads, ranks, units_list = [], [], [], []
    nearest: dict[tuple[int, BedType], float] = {}
    for t, members in by_type.items():
        idx = np.array(members)
        km = _distances(group_xy, pool_xy[idx])
        units = np.where(np.isnan(km), 0, np.rint(km * UNITS_PER_KM)).astype(np.int64)
        for gi, g in enumerate(groups):
            if not placed[g.cls] or t not in policy.eligibility[g.cls]:
                continue
            kept = _keep_nearest(units[gi], pool_free[idx], reachable[t])
            tails.append(np.full(len(kept), gi, dtype=np.int64))
            heads.append(idx[kept])
            ranks.append(np.full(len(kept), policy.eligibility[g.cls].index(t), dtype=np.int64))
            units_list.append(units[gi][kept])
            nearest[(gi, t)] = float(np.nanmin(km[gi])) if not np.all(np.isnan(km[gi])) else np.nan
    flows = _route(groups, pools, placed, policy, tails, heads, ranks, units_list)
    return _hand_out(snapshot, groups, pools, flows, placed, waiting, free, nearest, group_xy, pool_xy)


def _route(
    groups: list[_Group],
    pools: list[FreePool],
    placed: dict[PriorityClass, int],
    policy: Policy,
    tails: list[np.ndarray],
    heads: list[np.ndarray],
    ranks: list[np.ndarray],
    units_list: list[np.ndarray],
) -> dict[int, list[tuple[int, int, int, int]]]:
    """One min-cost flow that places exactly `placed[c]` of each class at the least preference, then travel."""
    g_count, p_count = len(groups), len(pools)
    unplaced_node = {c: g_count + p_count + i for i, c in enumerate(policy.priority)}
    sink = g_count + p_count + len(policy.priority)
    tail = np.concatenate(tails) if tails else np.zeros(0, dtype=np.int64)
    head = np.concatenate(heads) if heads else np.zeros(0, dtype=np.int64)
    rank = np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64)
    units = np.concatenate(units_list) if units_list else np.zeros(0, dtype=np.int64)
    sizes = np.array([len(g.members) for g in groups], dtype=np.int64)
    # one step of preference outweighs all the travel any plan can have
    preference_weight = int(units.max(initial=0)) * max(1, sum(placed.values())) + 1
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        tail, head + g_count, sizes[tail] if len(tail) else tail, rank * preference_weight + units
    )
    group_ids = np.arange(g_count, dtype=np.int64)
    classes = np.array([unplaced_node[g.cls] for g in groups], dtype=np.int64)
    smcf.add_arcs_with_capacity_and_unit_cost(group_ids, classes, sizes, np.zeros(g_count, dtype=np.int64))
    waiting = Counter(g.cls for g in groups for _ in g.members)
    for cls, node in unplaced_node.items():
        smcf.add_arc_with_capacity_and_unit_cost(node, sink, waiting[cls] - placed[cls], 0)
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.arange(p_count, dtype=np.int64) + g_count,
        np.full(p_count, sink, dtype=np.int64),
        np.array([p.free for p in pools], dtype=np.int64),
        np.zeros(p_count, dtype=np.int64),
    )
    smcf.set_nodes_supplies(np.append(group_ids, sink), np.append(sizes, -int(sizes.sum())))
    _solve(smcf)
    flow = smcf.flows(arcs) if len(tail) else np.zeros(0, dtype=np.int64)
    routed: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for i in np.nonzero(flow)[0]:
        routed[int(tail[i])].append((int(rank[i]), int(units[i]), int(head[i]), int(flow[i])))
    return routed


def _hand_out(
    snapshot: Snapshot,
    groups: list[_Group],
    pools: list[FreePool],
    flows: dict[int, list[tuple[int, int, int, int]]],
    placed: dict[PriorityClass, int],
    waiting: Counter[PriorityClass],
    free: Counter[BedType],
    nearest: dict[tuple[int, BedType], float],
    group_xy: np.ndarray,
    pool_xy: np.ndarray,
) -> Plan:
    """First come, first served within each group: the longest waiting get the most preferred, nearest beds."""
    policy = snapshot.policy
    assignments: list[Assignment] = []
    unplaced: list[Unplaced] = []
    total_rank = total_units = 0
    for gi, g in enumerate(groups):
        queue = iter(g.members)  # already oldest first
        for rank, units, pool_index, count in sorted(
            flows.get(gi, []), key=lambda f: (f[0], f[1], pools[f[2]].facility_code)
        ):
            pool = pools[pool_index]
            km = None if np.isnan(group_xy[gi]).any() or np.isnan(pool_xy[pool_index]).any() else units / UNITS_PER_KM
            near = nearest.get((gi, pool.bed_type), np.nan)
            is_nearest = km is not None and not np.isnan(near) and round(near * UNITS_PER_KM) >= units
            zh, en = placed_reason(g.cls, pool, rank, km, is_nearest, policy)
            for _ in range(count):
                person = next(queue)
                assignments.append(
                    Assignment(person.person_id, g.cls, pool.facility_code, pool.bed_type, rank, km, zh, en)
                )
                total_rank += rank
                total_units += units
        for person in queue:
            zh, en = unplaced_reason(g.cls, policy, free)
            unplaced.append(Unplaced(person.person_id, g.cls, zh, en))
    assignments.sort(key=lambda a: (policy.rank(a.priority_class), a.person_id))
    since = {c.person_id: c.waiting_since for c in snapshot.candidates}
    unplaced.sort(key=lambda u: (policy.rank(u.priority_class), since[u.person_id], u.person_id))
    objective = Objective(tuple(placed[c] for c in policy.priority), total_rank, total_units)
    return Plan(
        tuple(assignments),
        tuple(unplaced),
        objective,
        waiting_by_class=dict(waiting),
        placed_by_class=placed,
        stats={"groups": len(groups), "pools": len(pools), "people": len(snapshot.candidates)},
    )
