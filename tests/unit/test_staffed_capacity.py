"""Staffed beds in the engine (issue 18 §2): only usable beds are filled; the reasons say when staff or supplies
are the limit; a facility without staffing data plans as before; the staffing arithmetic itself."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from admitall.allocation.engine import plan
from admitall.allocation.model import Candidate, FreePool, Snapshot
from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedPool, BedType
from admitall.domain.policy import PriorityClass, default_policy
from admitall.domain.staffing import StaffRole, on_shift, parse_staffing, staffed_beds, usable
from admitall.services.staffing_capacity import Staffing, capacities

T0 = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
POLICY = default_policy()
C = PriorityClass
VENTILATOR = ("呼吸机", "ventilator")


def person(pid: int, cls: PriorityClass) -> Candidate:
    return Candidate(pid, cls, T0 - timedelta(hours=pid), "420102000000", 30.6, 114.3)


def test_the_engine_places_nobody_in_a_free_bed_that_no_icu_nurse_can_cover():
    pools = [FreePool("H1", BedType.ICU, 0, 30.6, 114.3, unstaffed=3, short_role=StaffRole.ICU_NURSE)]
    result = plan(Snapshot([person(1, C.CRITICAL)], pools, POLICY))
    assert result.assignments == ()
    (left,) = result.unplaced
    assert "ICU bed free but no ICU nurse on shift (3)" in left.reason_en
    assert "重症监护床有空床但当班没有重症护士（3 张）" in left.reason_zh


def test_a_bed_without_its_ventilator_is_named_as_the_limit():
    pools = [FreePool("H1", BedType.ICU, 0, 30.6, 114.3, unsupplied=2, short_item=VENTILATOR)]
    (left,) = plan(Snapshot([person(1, C.CRITICAL)], pools, POLICY)).unplaced
    assert "ICU bed free but no ventilator (2)" in left.reason_en and "呼吸机不足" in left.reason_zh


def test_usable_beds_are_filled_and_the_held_back_ones_are_named_for_those_left_waiting():
    pools = [FreePool("H1", BedType.ICU, 1, 30.6, 114.3, unstaffed=4, short_role=StaffRole.ICU_NURSE)]
    result = plan(Snapshot([person(1, C.CRITICAL), person(2, C.CRITICAL)], pools, POLICY))
    assert [a.person_id for a in result.assignments] == [2]  # the one waiting longest
    (left,) = result.unplaced
    assert left.person_id == 1 and "besides, ICU bed free but no ICU nurse on shift (4)" in left.reason_en


def test_held_back_beds_of_a_type_the_class_may_not_take_are_not_named():
    pools = [FreePool("S1", BedType.SHELTER, 0, 30.6, 114.3, unstaffed=50, short_role=StaffRole.NURSE)]
    (left,) = plan(Snapshot([person(1, C.CRITICAL)], pools, POLICY)).unplaced
    assert "shelter" not in left.reason_en and left.reason_en.endswith("no free ICU bed or severe-care bed in the city")


def pool(code: str, bed: BedType, capacity: int, occupied: int = 0, out: int = 0) -> BedPool:
    return BedPool(code, bed, capacity, occupied, 0, out)


def test_a_facility_without_staffing_data_is_not_limited_by_staff():
    caps = capacities(POLICY, [pool("H1", BedType.ICU, 10, out=2)], Staffing({}, frozenset(), {}))
    assert caps[("H1", BedType.ICU)] == usable(8, 8, None, None)


def test_a_facility_with_a_roster_is_limited_by_its_staff_on_shift():
    # 15 ICU nurses in three shifts: 5 on shift cover 5 ICU beds; 6 ICU doctors: 2 on shift cover 10
    staffing = Staffing({"H1": Counter(icu_nurse=15, icu_doctor=6)}, frozenset({"H1"}), {})
    cap = capacities(POLICY, [pool("H1", BedType.ICU, 10, occupied=3)], staffing)[("H1", BedType.ICU)]
    assert (cap.physical, cap.staffed, cap.usable, cap.short_role) == (10, 5, 5, StaffRole.ICU_NURSE)


def test_a_facility_known_to_staffing_with_nobody_on_shift_has_no_usable_bed():
    staffing = Staffing({}, frozenset({"S1"}), {})  # its team arrives later
    cap = capacities(POLICY, [pool("S1", BedType.SHELTER, 800)], staffing)[("S1", BedType.SHELTER)]
    assert (cap.staffed, cap.usable, cap.short_role) == (0, 0, StaffRole.NURSE)  # listed first


def test_supplies_limit_usable_beds_below_the_staffed_ones():
    staffing = Staffing(
        {"H1": Counter(icu_nurse=30, icu_doctor=30)}, frozenset({"H1"}), {("H1", BedType.ICU): (4, "ventilator")}
    )
    cap = capacities(POLICY, [pool("H1", BedType.ICU, 10)], staffing)[("H1", BedType.ICU)]
    assert (cap.staffed, cap.supply, cap.usable, cap.short_item) == (10, 4, 4, "ventilator")
    assert cap.supply_limited and not cap.staff_limited


def test_staff_shared_by_bed_types_cover_the_icu_first_then_severe_then_general():
    rules = POLICY.staffing
    crew = Counter({StaffRole.NURSE: 10, StaffRole.DOCTOR: 10})
    found = staffed_beds({BedType.SEVERE: 12, BedType.GENERAL: 100}, crew, rules)
    # severe: 10 nurses / 0.5 = 20 ≥ 12, all 12 staffed, using 6 nurses; general: 4 / 0.2 = 20
    assert found[BedType.SEVERE] == (12, None) and found[BedType.GENERAL] == (20, StaffRole.NURSE)


def test_on_shift_is_the_days_headcount_over_three_shifts_rounded_down():
    assert on_shift({"icu_nurse": 14, "doctor": 2, "unknown_role": 3}, 3) == Counter(
        {StaffRole.ICU_NURSE: 4, StaffRole.OTHER: 1}
    )


@pytest.mark.parametrize(
    "table",
    [{"shifts_per_day": 0}, {"per_bed": {"icu": {"pilot": 1}}}, {"per_bed": {"moon": {"nurse": 1}}}, {"x": 1}],
)
def test_an_invalid_staffing_table_is_refused(table):
    with pytest.raises(InvalidInput):
        parse_staffing(table)
