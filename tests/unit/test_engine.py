"""The admission engine on small hand-checked cases, and its properties on random ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admitall.allocation.engine import plan
from admitall.allocation.model import Candidate, FreePool, Snapshot
from admitall.domain.facilities import BedType
from admitall.domain.policy import Policy, PriorityClass, parse_policy

T0 = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
POLICY = parse_policy(resources.files("admitall").joinpath("data/policy.toml").read_text(encoding="utf-8"))
C = PriorityClass


def person(
    pid: int,
    cls: PriorityClass,
    hours_waiting: float = 1,
    where: tuple[float, float] = (30.60, 114.30),
    origin: str | None = None,
) -> Candidate:
    return Candidate(pid, cls, T0 - timedelta(hours=hours_waiting), origin or f"{where}", where[0], where[1])


def beds(code: str, bed_type: BedType, free: int, where: tuple[float, float] = (30.60, 114.30)) -> FreePool:
    return FreePool(code, bed_type, free, where[0], where[1])


def placed(result, pid: int):
    return next((a for a in result.assignments if a.person_id == pid), None)


def test_a_critical_patient_gets_the_last_icu_bed_before_any_severe_patient():
    result = plan(
        Snapshot(
            [person(1, C.SEVERE, hours_waiting=10), person(2, C.CRITICAL, hours_waiting=0.1)],
            [beds("H1", BedType.ICU, 1)],
            POLICY,
        )
    )
    assert placed(result, 2).bed_type is BedType.ICU
    assert [u.person_id for u in result.unplaced] == [1]
    assert "icu" in result.unplaced[0].reason_en.lower() or "ICU" in result.unplaced[0].reason_en


def test_one_more_critical_patient_beats_any_number_of_severe_ones():
    # the ICU bed could take the critical patient, or the severe bed could; sending the critical patient to
    # the severe bed would leave... the engine must never trade a critical placement for severe ones
    people = [person(1, C.CRITICAL)] + [person(10 + i, C.SEVERE) for i in range(5)]
    result = plan(Snapshot(people, [beds("H1", BedType.SEVERE, 1)], POLICY))
    assert placed(result, 1) is not None and len(result.assignments) == 1


def test_a_patient_at_risk_never_goes_to_a_shelter_hospital():
    result = plan(Snapshot([person(1, C.CONFIRMED_RISK)], [beds("S1", BedType.SHELTER, 100)], POLICY))
    assert result.assignments == ()
    assert "no free general ward bed or severe-care bed in the city" in result.unplaced[0].reason_en


def test_a_mild_patient_prefers_a_shelter_bed_to_a_hospital_bed_even_farther_away():
    result = plan(
        Snapshot(
            [person(1, C.CONFIRMED)],
            [beds("H1", BedType.GENERAL, 5), beds("S1", BedType.SHELTER, 5, (30.70, 114.40))],
            POLICY,
        )
    )
    assert (placed(result, 1).facility_code, placed(result, 1).preference) == ("S1", 0)


def test_the_nearest_free_bed_is_taken_and_the_reason_says_so():
    result = plan(
        Snapshot(
            [person(1, C.CRITICAL)],
            [beds("FAR", BedType.ICU, 1, (30.90, 114.60)), beds("NEAR", BedType.ICU, 1, (30.61, 114.30))],
            POLICY,
        )
    )
    assignment = placed(result, 1)
    assert assignment.facility_code == "NEAR"
    assert assignment.reason_en.startswith("critical, nearest free ICU bed at NEAR, 1.1 km")


def test_within_a_class_and_place_the_longest_waiting_go_first():
    people = [person(i, C.CONTACT, hours_waiting=h) for i, h in ((1, 2), (2, 30), (3, 5))]
    result = plan(Snapshot(people, [beds("Q1", BedType.QUARANTINE_ROOM, 2)], POLICY))
    assert sorted(a.person_id for a in result.assignments) == [2, 3]
    assert [u.person_id for u in result.unplaced] == [1]


def test_an_alternative_bed_says_why_the_preferred_one_was_not_given():
    result = plan(
        Snapshot(
            [person(1, C.CRITICAL), person(2, C.CRITICAL)],
            [beds("H1", BedType.ICU, 1), beds("H1", BedType.SEVERE, 1)],
            POLICY,
        )
    )
    alternative = next(a for a in result.assignments if a.preference == 1)
    assert alternative.bed_type is BedType.SEVERE and "no ICU bed left for this class" in alternative.reason_en


def test_the_same_snapshot_gives_the_same_plan():
    people = [
        person(i, list(C)[i % 8], hours_waiting=i % 5, where=(30.5 + (i % 7) / 50, 114.2 + (i % 3) / 40))
        for i in range(60)
    ]
    pools = [beds(f"F{i}", list(BedType)[i % 8], 3, (30.5 + i / 40, 114.3)) for i in range(16)]
    assert plan(Snapshot(people, pools, POLICY)) == plan(Snapshot(list(reversed(people)), pools[::-1], POLICY))


# --- properties over random instances ---------------------------------------------------------------------------

places = st.tuples(st.floats(30.4, 30.8), st.floats(114.0, 114.6))
people_strategy = st.lists(st.tuples(st.sampled_from(list(C)), st.floats(0, 48), places), max_size=40)
pools_strategy = st.lists(st.tuples(st.sampled_from(list(BedType)), st.integers(0, 6), places), max_size=12)


def instance(people_spec, pools_spec) -> Snapshot:
    people = [person(i, cls, hours, where, origin=f"U{i % 5}") for i, (cls, hours, where) in enumerate(people_spec)]
    # people from the same origin share its coordinates
    people = [
        Candidate(p.person_id, p.priority_class, p.waiting_since, p.origin, 30.4 + int(p.origin[1:]) / 20, 114.3)
        for p in people
    ]
    pools = [beds(f"F{i}", bed_type, free, where) for i, (bed_type, free, where) in enumerate(pools_spec)]
    return Snapshot(people, pools, POLICY)


@settings(max_examples=150, deadline=None)
@given(people_strategy, pools_strategy)
def test_no_bed_over_capacity_every_placement_eligible_nobody_twice_everyone_accounted(people_spec, pools_spec):
    snapshot = instance(people_spec, pools_spec)
    result = plan(snapshot)
    free = {(p.facility_code, p.bed_type): p.free for p in snapshot.pools}
    used: dict[tuple[str, BedType], int] = {}
    for a in result.assignments:
        used[(a.facility_code, a.bed_type)] = used.get((a.facility_code, a.bed_type), 0) + 1
        assert a.bed_type in POLICY.eligibility[a.priority_class]
        assert a.reason_zh and a.reason_en
    assert all(n <= free[k] for k, n in used.items())
    ids = [a.person_id for a in result.assignments] + [u.person_id for u in result.unplaced]
    assert sorted(ids) == sorted(c.person_id for c in snapshot.candidates)
    assert all(u.reason_en and u.reason_zh for u in result.unplaced)


@pytest.mark.parametrize("policy_text", ["priority = 3", "[eligibility]\ncritical = ['icu']"])
def test_an_invalid_policy_is_refused_with_a_clear_message(policy_text):
    from admitall.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="policy file is invalid"):
        parse_policy(policy_text)


def test_the_default_policy_is_the_design_table():
    assert POLICY.eligibility[C.CRITICAL] == (BedType.ICU, BedType.SEVERE)
    assert POLICY.priority[0] is C.CRITICAL and POLICY.priority[-1] is C.RECOVERED
    assert isinstance(POLICY, Policy)


# --- exactness -------------------------------------------------------------------------------------------------


def brute_force_objective(snapshot: Snapshot):
    """One per-person min cost flow whose costs make the objective lexicographic (small instances only)."""
    from ortools.graph.python import min_cost_flow

    from admitall.allocation.geo import distance_km, travel_units

    people, pools = list(snapshot.candidates), [p for p in snapshot.pools if p.free > 0]
    n = len(people)
    travel = {
        (i, j): travel_units(distance_km(c.lat, c.lon, p.lat, p.lon))
        for i, c in enumerate(people)
        for j, p in enumerate(pools)
    }
    pref_w = max(travel.values(), default=0) * max(n, 1) + 1
    level = pref_w * 3 * max(n, 1) + 1  # worth more than any preference and travel
    weights = {}
    for cls in reversed(POLICY.priority):
        weights[cls] = level
        level = level * (n + 1)
    smcf = min_cost_flow.SimpleMinCostFlow()
    sink = n + len(pools)
    arcs = {}
    for i, c in enumerate(people):
        smcf.set_node_supply(i, 1)
        smcf.add_arc_with_capacity_and_unit_cost(i, sink, 1, weights[c.priority_class])  # left unplaced
        for j, p in enumerate(pools):
            if p.bed_type in POLICY.eligibility[c.priority_class]:
                rank = POLICY.eligibility[c.priority_class].index(p.bed_type)
                arcs[(i, j)] = smcf.add_arc_with_capacity_and_unit_cost(i, n + j, 1, rank * pref_w + travel[(i, j)])
    for j, p in enumerate(pools):
        smcf.add_arc_with_capacity_and_unit_cost(n + j, sink, p.free, 0)
    smcf.set_node_supply(sink, -n)
    assert smcf.solve() == smcf.OPTIMAL
    placed = {cls: 0 for cls in POLICY.priority}
    pref = dist = 0
    for (i, j), arc in arcs.items():
        if smcf.flow(arc):
            cls = people[i].priority_class
            placed[cls] += 1
            pref += POLICY.eligibility[cls].index(pools[j].bed_type)
            dist += travel[(i, j)]
    return (tuple(placed[c] for c in POLICY.priority), pref, dist)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(list(C)), st.floats(0, 48), places), max_size=9),
    st.lists(st.tuples(st.sampled_from(list(BedType)), st.integers(0, 3), places), max_size=6),
)
def test_the_engine_reaches_the_per_person_optimum(people_spec, pools_spec):
    from admitall.allocation.reference import per_person_objective

    snapshot = instance(people_spec, pools_spec)
    result = plan(snapshot).objective
    assert (result.placed, result.preference, result.travel) == brute_force_objective(snapshot)
    assert result == per_person_objective(snapshot)


def test_a_confirmed_patient_over_65_is_at_risk_and_so_never_sent_to_a_shelter_hospital():
    from datetime import date

    from admitall.domain.lifecycle import identify
    from admitall.domain.people import PersonDetails, Severity, Stamp, Status

    stamp = Stamp(T0, T0, "t", "test")
    old = identify(
        PersonDetails("老人", "420102002001", birth_date=date(1950, 1, 1)),
        Status.CONFIRMED,
        stamp,
        severity=Severity.MILD,
    )[0]
    young = identify(
        PersonDetails("青年", "420102002001", birth_date=date(1990, 1, 1)),
        Status.CONFIRMED,
        stamp,
        severity=Severity.MILD,
    )[0]
    assert POLICY.classify(old) is C.CONFIRMED_RISK and POLICY.classify(young) is C.CONFIRMED
    result = plan(
        Snapshot(
            [person(1, POLICY.classify(old)), person(2, POLICY.classify(young))],
            [beds("S1", BedType.SHELTER, 10)],
            POLICY,
        )
    )
    assert [a.person_id for a in result.assignments] == [2]
