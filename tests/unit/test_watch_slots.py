"""The watch's rounds begin at the start of each slot: the minute (ADMITALL_WATCH_EVERY_SECONDS=60), or a multiple
of a shorter interval since the epoch (the tests'), whatever the moment's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from admitall.services.watch_runner import slot_of


def test_a_slot_is_the_minute_by_default():
    at = datetime(2020, 2, 10, 3, 7, 42, 123456, tzinfo=UTC)
    assert slot_of(at) == datetime(2020, 2, 10, 3, 7, tzinfo=UTC)
    assert slot_of(datetime(2020, 2, 10, 3, 7, tzinfo=UTC)) == datetime(2020, 2, 10, 3, 7, tzinfo=UTC)


def test_a_shorter_slot_is_a_multiple_of_its_seconds():
    at = datetime(2020, 2, 10, 3, 7, 42, tzinfo=UTC)
    assert slot_of(at, 15) == datetime(2020, 2, 10, 3, 7, 30, tzinfo=UTC)
    assert slot_of(at, 4) == datetime(2020, 2, 10, 3, 7, 40, tzinfo=UTC)


def test_the_slot_does_not_depend_on_the_time_zone():
    wuhan = timezone(timedelta(hours=8))
    at = datetime(2020, 2, 10, 11, 7, 42, tzinfo=wuhan)
    assert slot_of(at) == datetime(2020, 2, 10, 3, 7, tzinfo=UTC)
