"""The engine fed a grouped waiting list (as the service keeps it) plans exactly as when fed a candidate per
person, and the plan's unplaced people are made only when read."""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter

from hypothesis import given, settings
from hypothesis import strategies as st

from admitall.allocation.engine import plan
from admitall.allocation.model import Snapshot, Unplaced, WaitingGroup
from admitall.domain.facilities import BedType
from tests.unit.test_engine import POLICY, C, beds, instance, people_strategy, person, pools_strategy

OLDEST_FIRST = attrgetter("waiting_since", "person_id")


def grouped(snapshot: Snapshot, keep_loose: int = 0) -> Snapshot:
    """The same people as groups (class, origin), oldest first; the first `keep_loose` stay loose candidates."""
    loose = list(snapshot.candidates[:keep_loose])
    members = defaultdict(list)
    for c in snapshot.candidates[keep_loose:]:
        members[(c.priority_class, c.origin)].append(c)
    groups = [
        WaitingGroup(
            cls, origin, people[0].lat, people[0].lon, sorted(people, key=attrgetter("waiting_since", "person_id"))
        )
        for (cls, origin), people in sorted(members.items(), key=lambda kv: (POLICY.rank(kv[0][0]), kv[0][1]))
    ]
    return Snapshot(loose, snapshot.pools, snapshot.policy, snapshot.admission_slots, groups)


@settings(max_examples=150, deadline=None)
@given(people_strategy, pools_strategy, st.integers(0, 10))
def test_a_grouped_waiting_list_gets_the_same_plan_as_one_candidate_per_person(people_spec, pools_spec, loose):
    snapshot = instance(people_spec, pools_spec)
    expected, got = plan(snapshot), plan(grouped(snapshot, loose))
    assert got.assignments == expected.assignments
    assert tuple(got.unplaced) == tuple(expected.unplaced)
    assert got.unplaced == expected.unplaced
    assert len(got.unplaced) == len(expected.unplaced)
    assert got.objective == expected.objective
    assert dict(got.waiting_by_class) == dict(expected.waiting_by_class)
    assert got.stats == expected.stats


def test_the_unplaced_are_counted_and_the_first_listed_without_making_the_rest():
    people = [person(i, C.CONTACT, hours_waiting=1000 - i) for i in range(1000)]
    result = plan(Snapshot(people, [beds("Q1", BedType.QUARANTINE_ROOM, 10)], POLICY))
    assert len(result.assignments) == 10
    assert len(result.unplaced) == 990
    first = result.unplaced[:3]
    assert [u.person_id for u in first] == [10, 11, 12]
    assert isinstance(first[0], Unplaced) and first[0].reason_en
    assert result.unplaced[-1].person_id == 999
    assert result.unplaced[989] == result.unplaced[-1]
    assert [u.person_id for u in result.unplaced[985:995]] == list(range(995, 1000))
    assert [u.person_id for u in result.unplaced[::400]] == [10, 410, 810]
