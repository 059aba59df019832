"""The engine respects each facility's remaining admissions this hour, and still places the highest classes first
and reaches the per-person optimum."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources

from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.graph.python import min_cost_flow

from admitall.allocation.engine import plan
from admitall.allocation.geo import distance_km, travel_units
from admitall.allocation.model import Candidate, FreePool, Snapshot
from admitall.allocation.reference import per_person_objective
from admitall.domain.facilities import BedType
from admitall.domain.policy import PriorityClass, parse_policy

T0 = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
POLICY = parse_policy(resources.files("admitall").joinpath("data/policy.toml").read_text(encoding="utf-8"))
C = PriorityClass
HERE = (30.60, 114.30)


def person(pid: int, cls: PriorityClass, hours_waiting: float = 1, where: tuple[float, float] = HERE) -> Candidate:
    return Candidate(pid, cls, T0 - timedelta(hours=hours_waiting), f"{where}", where[0], where[1])


def beds(code: str, bed_type: BedType, free: int, where: tuple[float, float] = HERE) -> FreePool:
    return FreePool(code, bed_type, free, where[0], where[1])


def per_facility(result) -> Counter[str]:
    return Counter(a.facility_code for a in result.assignments)


def test_facility_admits_no_more_than_its_hourly_rate():
    people = [person(i, C.CONFIRMED, hours_waiting=i) for i in range(10)]
    result = plan(Snapshot(people, [beds("S1", BedType.SHELTER, 100)], POLICY, {"S1": 4}))
    assert per_facility(result) == {"S1": 4}
    # the longest waiting get the four admissions of the hour
    assert {a.person_id for a in result.assignments} == {9, 8, 7, 6}
    assert len(result.unplaced) == 6


def test_critical_patient_takes_the_last_slot_of_the_hour():
    # one admission left at the hospital, beds of every type free: the critical patient, who waited least, gets it
    people = [person(1, C.SEVERE, hours_waiting=10), person(2, C.CONFIRMED_RISK, hours_waiting=20)]
    people.append(person(3, C.CRITICAL, hours_waiting=0.1))
    pools = [beds("H1", BedType.ICU, 3), beds("H1", BedType.SEVERE, 3), beds("H1", BedType.GENERAL, 3)]
    result = plan(Snapshot(people, pools, POLICY, {"H1": 1}))
    assert [(a.person_id, a.bed_type) for a in result.assignments] == [(3, BedType.ICU)]


def test_a_hospitals_rate_limits_its_bed_types_together_and_the_next_hospital_takes_the_rest():
    people = [person(i, C.SEVERE) for i in range(3)] + [person(10 + i, C.CONFIRMED_RISK) for i in range(3)]
    near = [beds("H1", BedType.SEVERE, 5), beds("H1", BedType.GENERAL, 5)]
    far = [beds("H2", t, 5, (30.70, 114.40)) for t in (BedType.SEVERE, BedType.GENERAL)]
    result = plan(Snapshot(people, near + far, POLICY, {"H1": 2}))
    assert per_facility(result) == {"H1": 2, "H2": 4}
    assert not result.unplaced


def test_a_facility_with_no_admissions_left_this_hour_takes_no_one_and_the_reason_says_why():
    result = plan(Snapshot([person(1, C.SUSPECTED)], [beds("I1", BedType.SINGLE_ROOM, 10)], POLICY, {"I1": 0}))
    assert result.assignments == ()
    reason = result.unplaced[0]
    assert "facility admission rate reached" in reason.reason_en and "收治已达上限" in reason.reason_zh


def test_the_reason_tells_apart_beds_given_to_others_and_beds_behind_a_reached_rate():
    people = [person(1, C.SUSPECTED, hours_waiting=5), person(2, C.SUSPECTED, hours_waiting=1)]
    pools = [beds("I1", BedType.SINGLE_ROOM, 1), beds("I2", BedType.SINGLE_ROOM, 3)]
    result = plan(Snapshot(people, pools, POLICY, {"I2": 0}))
    assert [a.person_id for a in result.assignments] == [1]
    assert "the 1 free single isolation room that can still admit this hour went to people" in (
        result.unplaced[0].reason_en
    )
    assert "facility admission rate reached for the other 3" in result.unplaced[0].reason_en


def test_without_rates_the_plan_is_the_same_as_before():
    people = [person(i, list(C)[i % 8], hours_waiting=i % 5) for i in range(40)]
    pools = [beds(f"F{i}", list(BedType)[i % 8], 3, (30.5 + i / 40, 114.3)) for i in range(16)]
    slack = {f"F{i}": 1000 for i in range(16)}
    free, slack_plan = plan(Snapshot(people, pools, POLICY)), plan(Snapshot(people, pools, POLICY, slack))
    assert (free.assignments, free.unplaced, free.objective) == (
        slack_plan.assignments,
        slack_plan.unplaced,
        slack_plan.objective,
    )


# --- exactness on random instances --------------------------------------------------------------------------------

places = st.tuples(st.floats(30.4, 30.8), st.floats(114.0, 114.6))
FACILITIES = ["A", "B", "C"]


def instance(people_spec, pools_spec, slots_spec) -> Snapshot:
    people = [
        Candidate(i, cls, T0 - timedelta(hours=hours), f"U{i % 4}", 30.4 + (i % 4) / 20, 114.3)
        for i, (cls, hours) in enumerate(people_spec)
    ]
    pools = {}
    for facility, bed_type, free in pools_spec:  # one pool per facility and bed type, a facility in one place
        pools[(facility, bed_type)] = beds(facility, bed_type, free, (30.5 + FACILITIES.index(facility) / 10, 114.2))
    slots = {f: n for f, n in zip(FACILITIES, slots_spec, strict=True) if n is not None}
    return Snapshot(people, list(pools.values()), POLICY, slots)


def brute_force(snapshot: Snapshot) -> tuple[tuple[int, ...], int, int]:
    """One per-person min cost flow whose costs make the objective lexicographic, every facility's rate a node."""
    people, pools = list(snapshot.candidates), [p for p in snapshot.pools if p.free > 0]
    n = len(people)
    travel = {
        (i, j): travel_units(distance_km(c.lat, c.lon, p.lat, p.lon))
        for i, c in enumerate(people)
        for j, p in enumerate(pools)
    }
    pref_w = max(travel.values(), default=0) * max(n, 1) + 1
    level = pref_w * 3 * max(n, 1) + 1
    weights = {}
    for cls in reversed(POLICY.priority):
        weights[cls] = level
        level = level * (n + 1)
    smcf = min_cost_flow.SimpleMinCostFlow()
    sink = n + len(pools)
    facility_node = {f: sink + 1 + k for k, f in enumerate(sorted(snapshot.admission_slots))}
    arcs = {}
    for i, c in enumerate(people):
        smcf.set_node_supply(i, 1)
        smcf.add_arc_with_capacity_and_unit_cost(i, sink, 1, weights[c.priority_class])
        for j, p in enumerate(pools):
            if p.bed_type in POLICY.eligibility[c.priority_class]:
                rank = POLICY.eligibility[c.priority_class].index(p.bed_type)
                arcs[(i, j)] = smcf.add_arc_with_capacity_and_unit_cost(i, n + j, 1, rank * pref_w + travel[(i, j)])
    for j, p in enumerate(pools):
        smcf.add_arc_with_capacity_and_unit_cost(n + j, facility_node.get(p.facility_code, sink), p.free, 0)
    for f, node in facility_node.items():
        smcf.add_arc_with_capacity_and_unit_cost(node, sink, snapshot.admission_slots[f], 0)
    smcf.set_node_supply(sink, -n)
    assert smcf.solve() == smcf.OPTIMAL
    placed = dict.fromkeys(POLICY.priority, 0)
    pref = dist = 0
    for (i, j), arc in arcs.items():
        if smcf.flow(arc):
            cls = people[i].priority_class
            placed[cls] += 1
            pref += POLICY.eligibility[cls].index(pools[j].bed_type)
            dist += travel[(i, j)]
    return (tuple(placed[c] for c in POLICY.priority), pref, dist)


people_spec = st.lists(st.tuples(st.sampled_from(list(C)), st.floats(0, 48)), max_size=12)
pools_spec = st.lists(
    st.tuples(st.sampled_from(FACILITIES), st.sampled_from(list(BedType)), st.integers(0, 4)), max_size=8
)
slots_spec = st.tuples(*[st.one_of(st.none(), st.integers(0, 4)) for _ in FACILITIES])


@settings(max_examples=200, deadline=None)
@given(people_spec, pools_spec, slots_spec)
def test_the_engine_reaches_the_per_person_optimum_under_admission_rates(people, pools, slots):
    snapshot = instance(people, pools, slots)
    result = plan(snapshot)
    objective = (result.objective.placed, result.objective.preference, result.objective.travel)
    assert objective == brute_force(snapshot)
    assert result.objective == per_person_objective(snapshot)
    taken = per_facility(result)
    assert all(taken[f] <= n for f, n in snapshot.admission_slots.items())
    free = {(p.facility_code, p.bed_type): p.free for p in snapshot.pools}
    used = Counter((a.facility_code, a.bed_type) for a in result.assignments)
    assert all(k in free and n <= free[k] for k, n in used.items())
    ids = sorted([a.person_id for a in result.assignments] + [u.person_id for u in result.unplaced])
    assert ids == sorted(c.person_id for c in snapshot.candidates)
