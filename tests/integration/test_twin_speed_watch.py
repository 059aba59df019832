"""The stored day's waits kept between the watch's rounds (services.scorecard_waits): a round reads again only
the people who changed, a wait that passes its target with nothing written is counted as a breach all the same,
and waits changed without an event for their person (a rebuild) are caught; the cards are always those of a
computation from nothing."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from admitall.services import reporting, scorecards
from admitall.services.context import cli_actor
from tests.factories import DAZHI_1, DAZHI_2, YIYUAN_1, load_small_city, load_small_facilities
from tests.integration.test_watch_incremental import MIDNIGHT, from_nothing, kept, register, statements


@pytest.fixture
def city(ctx, clock):
    clock.set(MIDNIGHT - timedelta(days=1))
    load_small_city(ctx)
    load_small_facilities(ctx)
    scorecards.ROLLUPS.clear()
    yield ctx
    scorecards.ROLLUPS.clear()


def _rollup(ctx):
    found = scorecards.ROLLUPS.get(ctx.engine.url.render_as_string(hide_password=True), scorecards.today(ctx))
    assert found is not None
    return found


def _segment_rows_read(seen: list[str]) -> list[str]:
    """Statements that read wait segments one by one (not the counts that check them)."""
    return [s for s in seen if "wait_segments.outcome" in s.split("FROM")[0]]


def test_a_round_with_nothing_new_reads_no_wait_again_on_sqlite_and_its_cards_are_those_from_nothing(city, clock):
    ctx = city
    for level in ("district", "street", "community"):  # reports once a day: no deadline passes between rounds
        reporting.set_schedule(ctx, cli_actor(), level, period_minutes=1440, grace_minutes=10)
    rng = random.Random(5)
    clock.set(MIDNIGHT + timedelta(hours=1))
    for n, unit in enumerate((DAZHI_1, DAZHI_2, YIYUAN_1, DAZHI_1), start=1):
        register(ctx, n, unit, rng)
    clock.set(MIDNIGHT + timedelta(hours=2))
    kept(ctx)
    clock.set(MIDNIGHT + timedelta(hours=3))
    with statements(ctx) as seen:
        again = kept(ctx)
    if ctx.engine.dialect.name == "sqlite":
        assert _segment_rows_read(seen) == []
        assert not _rollup(ctx).waits.whole
        assert _rollup(ctx).recounted == set()  # only the minutes of the waiting moved: nothing counted again
        assert DAZHI_1 in _rollup(ctx).changed  # its figures made again (the longest wait grew), not its score
    assert again.unit_cards == from_nothing(ctx).unit_cards


def test_a_wait_that_passes_its_target_between_rounds_with_nothing_written_is_a_breach(city, clock):
    ctx = city
    clock.set(MIDNIGHT + timedelta(hours=1))
    pid = None
    for n in range(1, 40):  # a critical confirmed patient: a one-hour target
        pid = register(ctx, n, DAZHI_1, random.Random(n))
        with ctx.uow() as uow:
            person = uow.persons.get(pid)
        if person is not None and person.severity is not None and person.severity.value == "critical":
            break
    clock.set(MIDNIGHT + timedelta(hours=1, minutes=30))
    first = kept(ctx)
    clock.set(MIDNIGHT + timedelta(hours=2, minutes=30))
    second = kept(ctx)
    breaches = (first.unit_cards[DAZHI_1]["figures"]["breaches"], second.unit_cards[DAZHI_1]["figures"]["breaches"])
    assert breaches[1] > breaches[0]
    assert second.unit_cards == from_nothing(ctx).unit_cards
    assert second.official_cards == from_nothing(ctx).official_cards


def test_waits_rebuilt_without_an_event_are_read_whole_again(city, clock):
    ctx = city
    rng = random.Random(9)
    clock.set(MIDNIGHT + timedelta(hours=1))
    people = [register(ctx, n, unit, rng) for n, unit in enumerate((DAZHI_1, DAZHI_2, YIYUAN_1), start=1)]
    clock.set(MIDNIGHT + timedelta(hours=2))
    kept(ctx)
    with ctx.uow(write=True) as uow:  # the segments derived again from the histories: new rows, no event
        uow.waits.rebuild(ctx.policy, people[:1])
        uow.commit()
    clock.set(MIDNIGHT + timedelta(hours=3))
    again = kept(ctx)
    assert _rollup(ctx).waits.whole
    assert again.unit_cards == from_nothing(ctx).unit_cards


def test_only_the_two_newest_days_keep_their_waits(city, clock):
    ctx = city
    clock.set(MIDNIGHT + timedelta(hours=1))
    register(ctx, 1, DAZHI_1, random.Random(2))
    for days in (0, 1, 2):
        clock.set(MIDNIGHT + timedelta(days=days, hours=2))
        scorecards.store_day(ctx, scorecards.today(ctx))
    db = ctx.engine.url.render_as_string(hide_password=True)
    kept = {d: scorecards.ROLLUPS.get(db, scorecards.today(ctx) - timedelta(days=d)) for d in (0, 1, 2)}
    assert kept[0] is not None and kept[0].waits is not None
    assert kept[1] is not None and kept[1].waits is not None
    assert kept[2] is not None and kept[2].waits is None
