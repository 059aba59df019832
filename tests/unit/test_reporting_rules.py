from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from admitall.domain.chain import GENESIS, event_record, link
from admitall.domain.errors import InvalidInput
from admitall.domain.reporting import (
    Schedule,
    admissible,
    check_period_start,
    on_time,
    period_containing,
    reconcile,
)
from admitall.domain.units import UnitLevel

WUHAN = ZoneInfo("Asia/Shanghai")
HOURLY = Schedule(UnitLevel.COMMUNITY)


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2020, 2, 10, hour, minute, tzinfo=WUHAN)


def test_periods_are_aligned_to_the_wuhan_clock():
    period = period_containing(local(10, 37).astimezone(UTC), HOURLY, WUHAN)
    assert (period.start, period.end, period.deadline) == (local(10), local(11), local(11, 10))


def test_a_four_hour_schedule_aligns_to_midnight():
    period = period_containing(local(10, 37), Schedule(UnitLevel.DISTRICT, 240, 30), WUHAN)
    assert (period.start, period.deadline) == (local(8), local(12, 30))


@pytest.mark.parametrize(("period", "grace"), [(7, 0), (60, 60), (0, 0)])
def test_a_schedule_must_divide_the_day_and_keep_its_grace_short(period, grace):
    with pytest.raises(InvalidInput):
        Schedule(UnitLevel.STREET, period, grace)


def test_nine_past_is_on_time_and_eleven_past_late():
    period = period_containing(local(10, 30), HOURLY, WUHAN)
    assert on_time(period, local(11, 9)) and not on_time(period, local(11, 11))


def test_a_period_not_begun_or_long_closed_takes_no_report():
    period = check_period_start(local(10), HOURLY, WUHAN)
    with pytest.raises(InvalidInput, match="not begun"):
        admissible(period, local(9, 59))
    admissible(period, local(10) + timedelta(hours=25))
    with pytest.raises(InvalidInput, match="closed"):
        admissible(period, local(11, 10) + timedelta(hours=24, minutes=1))
    with pytest.raises(InvalidInput):
        check_period_start(local(10, 5), HOURLY, WUHAN)


def test_differences_beyond_the_tolerance_are_discrepancies():
    found = reconcile(
        {"found": {"contact": 4, "fever": 9}, "admitted": 100, "transport": 7},
        {"found": {"contact": 10, "fever": 10}, "admitted": 103},
    )
    assert [(d.figure, d.reported, d.registry, d.difference) for d in found] == [("found.contact", 4, 10, -6)]
    # 3 out of 103 admitted is under 5%; one off in 10 is under the absolute tolerance; unknown figures are ignored


def test_a_hash_changes_with_any_field_and_with_the_previous_link():
    at = datetime(2020, 2, 10, 2, tzinfo=UTC)
    record = event_record(1, 1, "identified", at, at, "a", "s", None, {"name": "张三"})
    same = event_record(1, 1, "identified", at.astimezone(WUHAN), at, "a", "s", None, {"name": "张三"})
    assert link(GENESIS, record) == link(GENESIS, same)  # the same moment in another zone is the same record
    assert link(GENESIS, record) != link("x", record)
    assert link(GENESIS, record) != link(GENESIS, {**record, "actor": "b"})
