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

Staffed beds (issue 18): a pool's `free` counts only usable beds (staff on shift and critical supplies allow
them), so the engine never places anyone in a bed nobody can staff; beds free in the ward but held back are only
named in the reasons ("ICU bed free but no ICU nurse on shift").

A facility's hourly admission rate (`Snapshot.admission_slots`) is a capacity on the facility: a pool never
takes more than its facility's remaining admissions, and the pools of a facility whose rate is below its free
beds of several types pass through one facility node whose capacity is the rate (see counts.py). Classes are
still placed highest first: a critical patient takes the last admission of the hour before anyone else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter

import numpy as np
from ortools.graph.python import min_cost_flow

from admitall.allocation.counts import Beds, SharedLimit, max_counts, solve, usable_pairs
from admitall.allocation.geo import EARTH_RADIUS_KM, UNITS_PER_KM
from admitall.allocation.model import Assignment, Candidate, FreePool, Objective, Plan, Snapshot, UnplacedPeople
from admitall.allocation.reasons import Blocked, blocked_beds, placed_reason, unplaced_reason
from admitall.domain.facilities import BedType
from admitall.domain.policy import PriorityClass


@dataclass
class _Group:
    cls: PriorityClass
    origin: str
    lat: float | None
    lon: float | None
    members: Sequence[Candidate] = field(default_factory=list)


def _groups(snapshot: Snapshot, rank: dict[PriorityClass, int]) -> list[_Group]:
    """Groups in a fixed order (class, then origin), members oldest first: the snapshot's own groups (kept in that
    order by the caller), with its candidates added."""
    groups: dict[tuple[int, str], _Group] = {
        (rank[g.priority_class], g.origin): _Group(g.priority_class, g.origin, g.lat, g.lon, g.members)
        for g in snapshot.groups
        if g.members
    }
    added: dict[tuple[int, str], list[Candidate]] = defaultdict(list)
    for c in snapshot.candidates:
        key = (rank[c.priority_class], c.origin)
        if key not in groups:
            groups[key] = _Group(c.priority_class, c.origin, c.lat, c.lon)
        added[key].append(c)
    for key, extra in added.items():
        group = groups[key]
        group.members = sorted([*group.members, *extra], key=attrgetter("waiting_since", "person_id"))
    return [groups[k] for k in sorted(groups)]


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
    (farther than the last one needed) can never carry flow and are left out of the graph. `free` counts only
    the beds a pool can fill on its own: a pool of a shared facility counts none (its facility's admissions may
    all go to its other types), so it never stands in for a farther pool.
    """
    order = np.argsort(units, kind="stable")
    cumulative = np.cumsum(free[order])
    enough = int(np.searchsorted(cumulative, limit))
    if enough >= len(order):
        return order
    boundary = units[order[enough]]
    last = int(np.searchsorted(units[order], boundary, side="right"))  # keep pools tied at the boundary
    return order[:last]


def _admittable(pools: Sequence[FreePool], slots: Mapping[str, int]) -> list[FreePool]:
    """The pools with beds their facility can still fill this hour, each at most its facility's remaining
    admissions, in a fixed order."""
    capped = (replace(p, free=min(p.free, slots[p.facility_code])) if p.facility_code in slots else p for p in pools)
    return sorted((p for p in capped if p.free > 0), key=lambda p: (p.bed_type.value, p.facility_code))


def _shared(pools: list[FreePool], slots: Mapping[str, int]) -> dict[str, list[int]]:
    """Facilities whose remaining admissions are fewer than their free beds of several types: their pools."""
    by_facility: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pools):
        if p.facility_code in slots:
            by_facility[p.facility_code].append(i)
    return {
        f: members
        for f, members in sorted(by_facility.items())
        if len(members) > 1 and slots[f] < sum(pools[i].free for i in members)
    }


def plan(snapshot: Snapshot) -> Plan:
    """The optimal plan for the snapshot. Deterministic: the same snapshot gives the same plan."""
    policy = snapshot.policy
    rank = {c: i for i, c in enumerate(policy.priority)}
    groups = _groups(snapshot, rank)
    slots = snapshot.admission_slots
    free_beds: Counter[BedType] = Counter()
    for p in snapshot.pools:
        free_beds[p.bed_type] += max(p.free, 0)
    pools = _admittable(snapshot.pools, slots)
    shared = _shared(pools, slots)
    in_shared = {i for members in shared.values() for i in members}
    waiting: Counter[PriorityClass] = Counter()
    for g in groups:
        waiting[g.cls] += len(g.members)
    free: Counter[BedType] = Counter()  # every bed that can be filled this hour (an upper bound where shared)
    own: Counter[BedType] = Counter()  # the beds that can be filled on their own
    for i, p in enumerate(pools):
        free[p.bed_type] += p.free
        if i not in in_shared:
            own[p.bed_type] += p.free
    capacity = Beds(own, tuple(_shared_limit(pools, members, slots[f]) for f, members in shared.items()))
    placed = max_counts(policy, waiting, capacity)
    pairs = usable_pairs(policy, placed, capacity)

    by_type: dict[BedType, list[int]] = defaultdict(list)
    for i, p in enumerate(pools):
        by_type[p.bed_type].append(i)
    reachable = {t: min(free[t], sum(placed[c] for c in policy.priority if (c, t) in pairs)) for t in by_type}
    group_xy = np.array(
        [[g.lat if g.lat is not None else np.nan, g.lon if g.lon is not None else np.nan] for g in groups], dtype=float
    ).reshape(-1, 2)
    pool_xy = np.array(
        [[p.lat if p.lat is not None else np.nan, p.lon if p.lon is not None else np.nan] for p in pools], dtype=float
    ).reshape(-1, 2)
    pool_own = np.array([0 if i in in_shared else p.free for i, p in enumerate(pools)], dtype=np.int64)

    # arcs group → pool, with preference rank and travel units, kept per independent part of the problem;
    # and the nearest free pool per (group, type), for the reasons
    component = _components(pairs, [[pools[i].bed_type for i in members] for members in shared.values()])
    arcs: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = defaultdict(list)
    nearest: dict[tuple[int, BedType], float] = {}
    for t, members in by_type.items():
        idx = np.array(members)
        km = _distances(group_xy, pool_xy[idx])
        units = np.where(np.isnan(km), 0, np.rint(km * UNITS_PER_KM)).astype(np.int64)
        for gi, g in enumerate(groups):
            if (g.cls, t) not in pairs:
                continue
            kept = _keep_nearest(units[gi], pool_own[idx], reachable[t])
            rank_of_t = policy.eligibility[g.cls].index(t)
            arcs[component[g.cls]].append(
                (
                    np.full(len(kept), gi, dtype=np.int64),
                    idx[kept],
                    np.full(len(kept), rank_of_t, dtype=np.int64),
                    units[gi][kept],
                )
            )
            nearest[(gi, t)] = float(np.nanmin(km[gi])) if not np.all(np.isnan(km[gi])) else np.nan
    flows: dict[int, list[tuple[int, int, int, int]]] = {}
    for part, part_arcs in sorted(arcs.items()):
        members = [gi for gi, g in enumerate(groups) if component.get(g.cls) == part]
        beds = [pi for pi, p in enumerate(pools) if component.get(p.bed_type) == part]
        part_pools = set(beds)
        in_part = [(slots[f], [i for i in m if i in part_pools]) for f, m in shared.items()]
        flows.update(_route(groups, pools, members, beds, placed, part_arcs, [s for s in in_part if s[1]]))
    reasons = _Reasons(free_beds, free, blocked_beds(snapshot.pools))
    return _hand_out(snapshot, rank, groups, pools, flows, placed, waiting, reasons, nearest, group_xy, pool_xy)


@dataclass(frozen=True)
class _Reasons:
    free: Counter[BedType]  # free beds in open facilities
    admittable: Counter[BedType]  # of them, those their facilities can still fill this hour (an upper bound)
    blocked: Blocked  # free in the wards but without the staff or supplies to use them (issue 18)


def _shared_limit(pools: list[FreePool], members: list[int], slots: int) -> SharedLimit:
    beds: Counter[BedType] = Counter()
    for i in members:
        beds[pools[i].bed_type] += pools[i].free
    return SharedLimit(slots, beds)


def _components(
    pairs: set[tuple[PriorityClass, BedType]], linked: list[list[BedType]]
) -> dict[PriorityClass | BedType, int]:
    """Classes and bed types joined by a usable pair fall in one part, and so do the bed types of a facility
    whose admissions they share; parts share nothing and are solved apart (each part's optimum is then the
    whole optimum, and several small solves are faster than one big one)."""
    parent: dict[PriorityClass | BedType, PriorityClass | BedType] = {}

    def root(x: PriorityClass | BedType) -> PriorityClass | BedType:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for cls, bed in sorted(pairs, key=lambda p: (p[0].value, p[1].value)):
        parent[root(cls)] = root(bed)
    used = {bed for _, bed in pairs}
    for types in linked:
        present = sorted({t for t in types if t in used}, key=lambda t: t.value)
        for t in present[1:]:
            parent[root(t)] = root(present[0])
    roots = sorted({root(x) for x in list(parent)}, key=lambda r: r.value)
    number = {r: i for i, r in enumerate(roots)}
    return {x: number[root(x)] for x in list(parent)}


def _route(
    groups: list[_Group],
    pools: list[FreePool],
    members: list[int],
    beds: list[int],
    placed: dict[PriorityClass, int],
    arcs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    shared: list[tuple[int, list[int]]],
) -> dict[int, list[tuple[int, int, int, int]]]:
    """One min-cost flow for one part: exactly `placed[c]` of each of its classes into its beds, at the least
    preference, then the least travel; the pools of a shared facility (its remaining admissions, its pools)
    drain through one node. Returns per group: (rank, travel units, pool, people)."""
    g_count, p_count = len(members), len(beds)
    local_group = np.full(len(groups), -1, dtype=np.int64)
    local_group[members] = np.arange(g_count)
    local_pool = np.full(len(pools), -1, dtype=np.int64)
    local_pool[beds] = np.arange(p_count) + g_count
    tail = np.concatenate([a[0] for a in arcs])
    head = np.concatenate([a[1] for a in arcs])
    rank = np.concatenate([a[2] for a in arcs])
    units = np.concatenate([a[3] for a in arcs])
    classes = sorted({groups[gi].cls for gi in members}, key=lambda c: c.value)
    unplaced_node = {c: g_count + p_count + i for i, c in enumerate(classes)}
    sink = g_count + p_count + len(classes)
    sizes = np.array([len(groups[gi].members) for gi in members], dtype=np.int64)
    # one step of preference outweighs all the travel any plan can have
    preference_weight = int(units.max(initial=0)) * max(1, sum(placed[c] for c in classes)) + 1
    smcf = min_cost_flow.SimpleMinCostFlow()
    arc_ids = smcf.add_arcs_with_capacity_and_unit_cost(
        local_group[tail], local_pool[head], sizes[local_group[tail]], rank * preference_weight + units
    )
    local_ids = np.arange(g_count, dtype=np.int64)
    smcf.add_arcs_with_capacity_and_unit_cost(
        local_ids,
        np.array([unplaced_node[groups[gi].cls] for gi in members], dtype=np.int64),
        sizes,
        np.zeros(g_count, dtype=np.int64),
    )
    waiting: Counter[PriorityClass] = Counter()
    for gi in members:
        waiting[groups[gi].cls] += len(groups[gi].members)
    for cls, node in unplaced_node.items():
        smcf.add_arc_with_capacity_and_unit_cost(node, sink, waiting[cls] - placed[cls], 0)
    drain = np.full(p_count, sink, dtype=np.int64)
    for k, (slots, members_of_facility) in enumerate(shared):
        node = sink + 1 + k
        drain[local_pool[members_of_facility] - g_count] = node
        smcf.add_arc_with_capacity_and_unit_cost(node, sink, slots, 0)
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.arange(p_count, dtype=np.int64) + g_count,
        drain,
        np.array([pools[pi].free for pi in beds], dtype=np.int64),
        np.zeros(p_count, dtype=np.int64),
    )
    smcf.set_nodes_supplies(np.append(local_ids, sink), np.append(sizes, -int(sizes.sum())))
    solve(smcf)
    flow = smcf.flows(arc_ids)
    routed: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for i in np.nonzero(flow)[0]:
        routed[int(tail[i])].append((int(rank[i]), int(units[i]), int(head[i]), int(flow[i])))
    return routed


def _hand_out(
    snapshot: Snapshot,
    rank_of: dict[PriorityClass, int],
    groups: list[_Group],
    pools: list[FreePool],
    flows: dict[int, list[tuple[int, int, int, int]]],
    placed: dict[PriorityClass, int],
    waiting: Counter[PriorityClass],
    reasons: _Reasons,
    nearest: dict[tuple[int, BedType], float],
    group_xy: np.ndarray,
    pool_xy: np.ndarray,
) -> Plan:
    """First come, first served within each group: the longest waiting get the most preferred, nearest beds.

    Groups come in class order and people in each group oldest first, so the plan lists the highest classes
    first, and within a class the people of one place together, oldest first."""
    policy = snapshot.policy
    assignments: list[Assignment] = []
    unplaced: list[tuple[Sequence[Candidate], int, PriorityClass, str, str]] = []
    total_rank = total_units = 0
    for gi, g in enumerate(groups):
        members = g.members
        taken = 0
        for rank, units, pool_index, count in sorted(
            flows.get(gi, []), key=lambda f: (f[0], f[1], pools[f[2]].facility_code)
        ):
            pool = pools[pool_index]
            km = None if np.isnan(group_xy[gi]).any() or np.isnan(pool_xy[pool_index]).any() else units / UNITS_PER_KM
            near = nearest.get((gi, pool.bed_type), np.nan)
            is_nearest = km is not None and not np.isnan(near) and round(near * UNITS_PER_KM) >= units
            zh, en = placed_reason(g.cls, pool, rank, km, is_nearest, policy, reasons.blocked)
            facility, bed = pool.facility_code, pool.bed_type
            assignments.extend(
                Assignment(person.person_id, g.cls, facility, bed, rank, km, zh, en)
                for person in members[taken : taken + count]
            )
            taken += count
            total_rank += rank * count
            total_units += units * count
        if taken < len(members):
            zh, en = unplaced_reason(g.cls, policy, reasons.free, reasons.admittable, reasons.blocked)
            unplaced.append((members, taken, g.cls, zh, en))
    objective = Objective(tuple(placed[c] for c in policy.priority), total_rank, total_units)
    return Plan(
        tuple(assignments),
        UnplacedPeople(unplaced),
        objective,
        waiting_by_class=dict(waiting),
        placed_by_class=placed,
        admission_slots=dict(snapshot.admission_slots),
        stats={"groups": len(groups), "pools": len(pools), "people": sum(waiting.values())},
    )
