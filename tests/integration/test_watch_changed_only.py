"""The watch's round costs what changed (issue 13): the day's waits are added up per unit as people are read again
(not listed person by person each round), a person read again whose facts are the same counts nothing again, a
unit whose only change is the clock has its figures of the waits still open made again without a re-score, an
official who led one unit the whole day has that unit's card; and whatever happened between rounds, the cards
equal a computation from nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitall.domain.facts import Fact, Facts, Kind, facts_of
from admitall.domain.scoring import figures, with_still
from admitall.services import admission, officials, scorecards
from admitall.services.context import cli_actor
from admitall.services.scorecard_waits import WaitState, refresh_waits
from tests.factories import DAZHI, DAZHI_1, JIANGAN, YIYUAN_1, load_small_city, load_small_facilities
from tests.integration.test_watch_incremental import (
    COMMUNITIES,
    DAY,
    DISPATCHER,
    MIDNIGHT,
    admit_one,
    from_nothing,
    kept,
    register,
)

CLASSES = ("critical", "severe", "confirmed_risk", "confirmed", "suspected", "fever", "contact", "recovered")
T = datetime(2020, 2, 11, 4, 0, tzinfo=UTC)


@pytest.fixture
def city(ctx, clock):
    clock.set(MIDNIGHT - timedelta(days=1))
    load_small_city(ctx)
    load_small_facilities(ctx)
    scorecards.ROLLUPS.clear()
    yield ctx
    scorecards.ROLLUPS.clear()


def _rollup(ctx: Any) -> Any:
    found = scorecards.ROLLUPS.get(ctx.engine.url.render_as_string(hide_password=True), DAY)
    assert found is not None
    return found


def _plain(f: Facts | None) -> tuple[Any, ...]:
    """Facts as comparable content: counts, classes, sorted values (the order facts were added in does not count)."""
    if f is None:
        return ({}, {}, {})
    return (
        {k: n for k, n in f.counts.items() if n},
        {k: {c: n for c, n in v.items() if n} for k, v in f.by_class.items() if any(v.values())},
        {k: sorted(v) for k, v in f.values.items() if v},
    )


def _same_as_read_whole(ctx: Any, state: WaitState) -> None:
    """The per-unit sums kept as people were read again equal those of every wait read now."""
    with ctx.engine.connect() as conn:
        whole = refresh_waits(conn, None, state.start, state.end, state.until, state.sla)
    units = set(state.settled) | set(whole.settled) | set(state.opened) | set(whole.opened)
    for unit in units:
        assert _plain(state.settled_of(unit)) == _plain(whole.settled_of(unit)), unit
        assert dict(state.oldest(unit)) == dict(whole.oldest(unit)), unit


def test_the_days_cards_after_random_rounds_equal_a_computation_from_nothing_and_the_unit_sums_a_whole_read(
    city, clock
):
    ctx, rng = city, random.Random(31)
    waiting: list[int] = []
    n = 0
    clock.set(MIDNIGHT + timedelta(minutes=5))
    for _ in range(12):
        # from a few minutes to a few hours: waits pass their targets between rounds with nothing written
        clock.set(clock.now() + timedelta(minutes=rng.choice((3, 25, 70, 190))))
        for _ in range(rng.randrange(0, 4)):
            n += 1
            waiting.append(register(ctx, n, rng.choice(COMMUNITIES), rng))
        if waiting and rng.random() < 0.5:
            admit_one(ctx, waiting.pop(rng.randrange(len(waiting))))
        elif waiting and rng.random() < 0.3:
            admission.allocate(ctx, DISPATCHER, commit=True)  # assigned: an event, the wait goes on
        incremental = kept(ctx)
        full = from_nothing(ctx)
        assert incremental.unit_cards == full.unit_cards
        assert incremental.official_cards == full.official_cards
        state = _rollup(ctx).waits
        assert state is not None
        _same_as_read_whole(ctx, state)


def test_a_person_read_again_with_the_same_facts_counts_nothing_again(city, clock):
    ctx = city
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads the waits whole every round (event ids commit out of order)")
    clock.set(MIDNIGHT + timedelta(hours=1))
    for k, unit in enumerate((DAZHI_1, YIYUAN_1, DAZHI_1), start=1):
        register(ctx, k, unit, random.Random(k))
    clock.set(MIDNIGHT + timedelta(hours=1, minutes=10))
    kept(ctx)
    admission.allocate(ctx, DISPATCHER, commit=True)  # people assigned a bed: events, their waits unchanged
    clock.set(MIDNIGHT + timedelta(hours=1, minutes=20))
    again = kept(ctx)
    rollup = _rollup(ctx)
    assert not rollup.waits.whole
    assert rollup.waits.changed == set()
    assert rollup.recounted == set()  # nothing counted again: only the minutes of the waiting moved
    assert DAZHI_1 in rollup.changed
    assert again.unit_cards == from_nothing(ctx).unit_cards


def test_an_official_who_led_one_unit_the_whole_day_has_its_card_and_one_handed_over_the_facts_of_their_time(
    city, clock
):
    ctx = city
    clock.set(MIDNIGHT - timedelta(hours=2))
    first = officials.add_official(ctx, cli_actor(), name="甲", title="书记", home_unit=JIANGAN)
    officials.assign_lead(ctx, cli_actor(), DAZHI_1, first["id"])
    clock.set(MIDNIGHT + timedelta(hours=1))
    for k in range(1, 4):
        register(ctx, k, DAZHI_1, random.Random(k))
    clock.set(MIDNIGHT + timedelta(hours=3))
    result = kept(ctx)
    card = result.official_cards[first["id"]]
    core = {k: card[k] for k in ("score", "components", "figures", "flags")}
    assert core == {k: result.unit_cards[DAZHI_1][k] for k in core}
    second = officials.add_official(ctx, cli_actor(), name="乙", title="书记", home_unit=JIANGAN)
    officials.assign_lead(ctx, cli_actor(), DAZHI_1, second["id"])  # handed over at 03:00
    clock.set(MIDNIGHT + timedelta(hours=4))
    register(ctx, 9, DAZHI_1, random.Random(9))
    clock.set(MIDNIGHT + timedelta(hours=5))
    result = kept(ctx)
    full = from_nothing(ctx)
    assert result.official_cards == full.official_cards
    assert result.unit_cards == full.unit_cards
    assert result.official_cards[second["id"]]["figures"]["identified"] == 1
    assert DAZHI in result.unit_cards


def _facts(rng: random.Random, n: int) -> list[Fact]:
    kinds = (Kind.DEMAND, Kind.PLACED, Kind.BREACH, Kind.IDENTIFIED, Kind.DIRECTIVE_LATE, Kind.PROBLEM_ON_TIME)
    found = []
    for _ in range(n):
        kind = rng.choice(kinds)
        cls = rng.choice(CLASSES) if kind in (Kind.DEMAND, Kind.PLACED, Kind.BREACH) else None
        found.append(Fact(kind, "420102002001", T, cls, round(rng.random() * 300, 1), str(rng.randrange(50))))
    return found


def test_facts_taken_back_leave_what_adding_the_rest_gives():
    rng = random.Random(4)
    for _ in range(300):
        every = _facts(rng, rng.randrange(0, 40))
        gone = rng.sample(range(len(every)), rng.randrange(0, len(every) + 1))
        kept_facts = facts_of(every)
        for i in gone:
            kept_facts.remove(every[i])
        rest = facts_of(f for i, f in enumerate(every) if i not in set(gone))
        assert _plain(kept_facts) == _plain(rest)
        assert figures(kept_facts) == figures(rest)
    with pytest.raises(ValueError):
        Facts().remove(Fact(Kind.DEMAND, "420102002001", T, "critical"))
    with pytest.raises(ValueError):
        facts_of([Fact(Kind.STILL_WAITING, "420102002001", T, "critical", 5.0)]).remove(
            Fact(Kind.STILL_WAITING, "420102002001", T, "critical", 5.0)
        )


def test_the_figures_of_waits_grown_older_equal_the_figures_counted_again():
    rng = random.Random(8)

    def counted(settled: Facts, still: dict[str, tuple[int, float]]) -> Facts:
        found = Facts()
        found.merge(settled)
        for cls, (n, longest) in sorted(still.items()):
            found.still(cls, n, longest)
        return found

    for _ in range(500):
        settled = facts_of(_facts(rng, rng.randrange(0, 20)), population=rng.choice((0, 12000)))
        before, after = (
            {c: (rng.randrange(1, 9), round(rng.random() * 900, 1)) for c in rng.sample(CLASSES, rng.randrange(4))}
            for _ in range(2)
        )
        made = with_still(figures(counted(settled, before)), after)
        again = figures(counted(settled, after))
        assert made == again
        assert list(made) == list(again)  # the same keys in the same order: the stored JSON is the same text


def test_waits_kept_per_unit_count_each_open_wait_once_by_class_and_oldest():
    state = WaitState(T, T + timedelta(days=1), {})
    state.until = T + timedelta(hours=6)
    state._open([("u", "critical", T), ("u", "critical", T + timedelta(hours=1)), ("u", "fever", T)], 1)
    assert dict(state.oldest("u")) == {"critical": (2, T), "fever": (1, T)}
    state._open([("u", "critical", T)], -1)
    assert dict(state.oldest("u")) == {"critical": (1, T + timedelta(hours=1)), "fever": (1, T)}
    state._open([("u", "critical", T + timedelta(hours=1)), ("u", "fever", T)], -1)
    assert dict(state.oldest("u")) == {} and state.opened == {}
