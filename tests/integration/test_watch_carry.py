"""A new day's scorecards start from the day before (services.scorecard_waits `carry`): the waits still open at
midnight are carried into the new window instead of read again, and the cards are those of a computation from
nothing — with people waiting across the midnight, changed just before and just after it, admitted, released and
merged after it. On PostgreSQL the waits are read whole (the same cards)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from admitall.services import scorecards
from admitall.services.context import Context
from admitall.services.linkage_review import decide, review_queue
from admitall.services.people import reclassify_person
from admitall.services.scorecard_waits import WaitState
from tests.factories import DAZHI_1, DAZHI_2, YIYUAN_1, load_small_city, load_small_facilities, officer
from tests.integration.test_linkage_merge import two_records
from tests.integration.test_watch_incremental import MIDNIGHT, admit_one, register, statements

TODAY = date(2020, 2, 11)  # MIDNIGHT is its first moment (Wuhan time)
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def city(ctx, clock):
    clock.set(MIDNIGHT - timedelta(days=1))
    load_small_city(ctx)
    load_small_facilities(ctx)
    scorecards.ROLLUPS.clear()
    yield ctx
    scorecards.ROLLUPS.clear()


def _db(ctx: Context) -> str:
    return ctx.engine.url.render_as_string(hide_password=True)


def kept(ctx: Context, day: date) -> scorecards.Computed:
    start, end = scorecards.day_window(day, ctx)
    with ctx.uow() as uow:
        return scorecards.compute(ctx, uow, None, start, end, day=day)


def from_nothing(ctx: Context, day: date) -> scorecards.Computed:
    start, end = scorecards.day_window(day, ctx)
    with ctx.uow() as uow:
        return scorecards.compute(ctx, uow, None, start, end)


def assert_as_from_nothing(ctx: Context, day: date, computed: scorecards.Computed) -> None:
    full = from_nothing(ctx, day)
    assert computed.unit_cards == full.unit_cards
    assert computed.official_cards == full.official_cards


def _whole_reads(seen: list[str]) -> list[str]:
    """Statements that read every wait segment of a window (not those of named people)."""
    named = "wait_segments.person_id IN ("
    return [s for s in seen if "wait_segments.outcome" in s.split("FROM")[0] and named not in s]


def _waits(ctx: Context, day: date) -> WaitState:
    found = scorecards.ROLLUPS.get(_db(ctx), day)
    assert found is not None and found.waits is not None
    return found.waits


def test_the_days_first_cards_carry_the_waits_open_at_midnight_and_equal_a_computation_from_nothing(city, clock):
    ctx, rng = city, random.Random(21)
    waiting: list[int] = []
    clock.set(MIDNIGHT - timedelta(hours=20))
    for n in range(1, 13):
        clock.set(clock.now() + timedelta(minutes=rng.randrange(10, 60)))
        waiting.append(register(ctx, n, rng.choice((DAZHI_1, DAZHI_2, YIYUAN_1)), rng))
    survivor, away = two_records(ctx)  # one person on two lists, both registered yesterday
    clock.set(MIDNIGHT - timedelta(hours=1))
    admit_one(ctx, waiting.pop(0))
    assert_as_from_nothing(ctx, YESTERDAY, kept(ctx, YESTERDAY))  # yesterday's last round before midnight
    clock.set(MIDNIGHT - timedelta(minutes=20))  # after that round, before midnight: read again after it
    waiting.append(register(ctx, 20, DAZHI_1, rng))
    clock.set(MIDNIGHT + timedelta(minutes=10))  # after midnight, before the day's first round
    admit_one(ctx, waiting.pop(0))
    clock.set(MIDNIGHT + timedelta(minutes=20))
    assert_as_from_nothing(ctx, YESTERDAY, kept(ctx, YESTERDAY))  # the watch finishes yesterday first
    carried = _waits(ctx, YESTERDAY).carry
    assert carried  # people still waiting at midnight
    with statements(ctx) as seen:
        first = kept(ctx, TODAY)
    if ctx.engine.dialect.name == "sqlite":
        assert _whole_reads(seen) == []  # carried, not read again
        assert not _waits(ctx, TODAY).whole
    assert_as_from_nothing(ctx, TODAY, first)

    # the day goes on: a carried wait is admitted, another released, the pair merged, someone new waits
    clock.set(MIDNIGHT + timedelta(hours=2))
    admit_one(ctx, waiting.pop(0))
    released = waiting.pop(0)
    with ctx.uow() as uow:
        person = uow.persons.get(released)
    assert person is not None
    to = "released" if person.status.value == "contact" else "excluded"
    reclassify_person(ctx, officer(person.unit_code), released, to, reason="核酸阴性")
    pair = review_queue(ctx, officer())["pairs"][0]
    assert decide(ctx, officer(), pair["id"], "merge")["merged"] == away
    waiting.append(register(ctx, 30, DAZHI_2, rng))
    clock.set(MIDNIGHT + timedelta(hours=3))
    assert_as_from_nothing(ctx, TODAY, kept(ctx, TODAY))
    clock.set(MIDNIGHT + timedelta(hours=9))  # later still: waits pass their targets with nothing written
    assert_as_from_nothing(ctx, TODAY, kept(ctx, TODAY))
    assert survivor in _waits(ctx, TODAY).people or survivor not in carried


def test_a_day_not_following_the_kept_one_is_read_whole(city, clock):
    ctx, rng = city, random.Random(4)
    clock.set(MIDNIGHT - timedelta(hours=3))
    for n in range(1, 5):
        register(ctx, n, DAZHI_1, rng)
    clock.set(MIDNIGHT - timedelta(hours=2))
    kept(ctx, YESTERDAY - timedelta(days=1))  # a day two days back: nothing to carry from into today
    clock.set(MIDNIGHT + timedelta(hours=1))
    with statements(ctx) as seen:
        first = kept(ctx, TODAY)
    assert _whole_reads(seen)
    assert _waits(ctx, TODAY).whole
    assert_as_from_nothing(ctx, TODAY, first)


def test_store_day_across_midnight_writes_what_a_computation_from_nothing_gives(city, clock):
    ctx, rng = city, random.Random(8)
    clock.set(MIDNIGHT - timedelta(hours=5))
    people = [register(ctx, n, unit, rng) for n, unit in enumerate((DAZHI_1, DAZHI_2, YIYUAN_1, DAZHI_1), start=1)]
    clock.set(MIDNIGHT - timedelta(hours=1))
    scorecards.refresh(ctx)
    clock.set(MIDNIGHT + timedelta(minutes=5))
    admit_one(ctx, people[0])
    clock.set(MIDNIGHT + timedelta(minutes=30))
    scorecards.refresh(ctx)  # yesterday finished, today's first from what yesterday carried
    full = from_nothing(ctx, TODAY)
    with ctx.uow() as uow:
        for code, card in full.unit_cards.items():
            row = uow.scorecards.one(TODAY, "unit", code)
            assert row is not None and row["card"] == _json(card)


def _json(value: object) -> object:
    import orjson

    return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


def test_the_carry_keeps_only_waits_that_reach_past_the_days_end(city, clock):
    ctx, rng = city, random.Random(2)
    clock.set(MIDNIGHT - timedelta(hours=4))
    people = [register(ctx, n, DAZHI_1, rng) for n in range(1, 4)]
    clock.set(MIDNIGHT - timedelta(hours=3))
    admit_one(ctx, people[0])
    clock.set(MIDNIGHT - timedelta(hours=1))
    kept(ctx, YESTERDAY)
    carry = _waits(ctx, YESTERDAY).carry
    assert all(s.ended_at is None or s.ended_at >= MIDNIGHT for segs in carry.values() for s in segs)
    with ctx.uow() as uow:
        admitted = uow.persons.get(people[0])
    if admitted is not None and admitted.placement.value == "admitted":
        assert people[0] not in carry


def test_finishing_yesterday_after_someone_began_waiting_today_reads_only_what_changed(city, clock):
    ctx, rng = city, random.Random(12)
    clock.set(MIDNIGHT - timedelta(hours=4))
    waiting = [register(ctx, n, rng.choice((DAZHI_1, YIYUAN_1)), rng) for n in range(1, 6)]
    clock.set(MIDNIGHT - timedelta(hours=1))
    kept(ctx, YESTERDAY)
    clock.set(MIDNIGHT + timedelta(minutes=10))  # today's waits: open segments that yesterday's window never saw
    register(ctx, 40, DAZHI_2, rng)
    admit_one(ctx, waiting[0])
    clock.set(MIDNIGHT + timedelta(hours=6))
    with statements(ctx) as seen:
        finished = kept(ctx, YESTERDAY)
    if ctx.engine.dialect.name == "sqlite":
        assert _whole_reads(seen) == []  # the open segments counted are those the window can see
        assert not _waits(ctx, YESTERDAY).whole
    assert_as_from_nothing(ctx, YESTERDAY, finished)
