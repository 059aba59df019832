"""The daily bulletin counted from the day before's kept figures and the day's events (services.bulletin_days) gives
the figures of a count from the whole event log, day after day, over varied days: people found, confirmed, made
severe, admitted, recovered and dead, records entered late for earlier days, someone registered above any district,
and a record stamped before a cut-off but written after that day was counted (then the log is counted whole)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import suppress
from datetime import date, timedelta
from typing import Any

import pytest

from admitall.domain.access import Role
from admitall.domain.errors import AdmitAllError
from admitall.services import admission, bulletin, bulletin_days, people
from admitall.services.context import Actor
from tests.factories import CITY, DAZHI_1, DAZHI_2, WUCHANG_1, YIYUAN_1, load_small_city, load_small_facilities
from tests.integration.test_bulletin import DISPATCHER, OFFICER, at, register

FIRST = date(2020, 2, 10)
UNITS = (DAZHI_1, DAZHI_2, WUCHANG_1, YIYUAN_1, CITY)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each count was made from the day before (True) or from the whole log (False)."""
    used: list[bool] = []
    real = bulletin_days.from_day_before

    def spy(*args: Any) -> Any:
        found = real(*args)
        used.append(found is not None)
        return found

    monkeypatch.setattr(bulletin_days, "from_day_before", spy)
    yield used


def whole(ctx, day: date, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The day's figures counted from the whole event log, now."""
    with monkeypatch.context() as m:
        m.setattr(bulletin_days, "from_day_before", lambda *_: None)
        found = bulletin._count(ctx, day)
    return {k: v for k, v in found.items() if not k.startswith("_")}


def kept(ctx, day: date) -> dict[str, Any]:
    shown = bulletin.store_bulletin(ctx, day)
    return {k: v for k, v in shown.items() if k != "chain_heads"}


def a_day(ctx, clock, day: date, rng: random.Random, found: list[int], n0: int) -> int:
    n = n0
    for hour in range(7, 23, 2):
        clock.set(at(day, hour + rng.random()))
        for _ in range(rng.randrange(1, 4)):
            n += 1
            category = rng.choice(["confirmed", "suspected", "fever", "contact"])
            extra = {"severity": rng.choice(["mild", "severe", "critical"])} if category == "confirmed" else {}
            identified = at(day, hour) - timedelta(days=rng.choice([0, 0, 0, 2]))  # some found days ago
            found.append(register(ctx, clock, n, identified, category=category, unit_code=rng.choice(UNITS), **extra))
        with suppress(AdmitAllError):  # a step the person's state refuses (already dead, no bed free): as in life
            move(ctx, day, rng, rng.choice(found))
    return n


def move(ctx, day: date, rng: random.Random, pid: int) -> None:
    """One change to a person: confirmed (some entered a day late), severity, admitted, left, discharged."""
    step = rng.random()
    if step < 0.25:
        late = f"{at(day - timedelta(days=1), 12):%Y-%m-%d %H:%M}Z" if rng.random() < 0.4 else None
        people.reclassify_person(ctx, OFFICER, pid, "confirmed", severity="severe", occurred_at=late)
    elif step < 0.45:
        people.change_person_severity(ctx, OFFICER, pid, rng.choice(["critical", "moderate"]))
    elif step < 0.7:
        admit(ctx, pid)
    elif step < 0.85:
        people.reclassify_person(ctx, OFFICER, pid, rng.choice(["dead", "excluded", "released"]))
    else:
        discharge(ctx, pid, rng.choice(["recovered", "dead"]))


def admit(ctx, pid: int) -> None:
    admission.allocate(ctx, DISPATCHER, commit=True)
    with ctx.uow() as uow:
        person = uow.persons.get(pid)
    if person is None or person.facility_code is None or person.placement.value != "assigned":
        return
    admission.desk_step(ctx, DISPATCHER, pid, "depart")
    desk = Actor("desk", Role.FACILITY_OFFICER, None, facility_code=person.facility_code)
    admission.desk_step(ctx, desk, pid, "admit")


def discharge(ctx, pid: int, outcome: str) -> None:
    with ctx.uow() as uow:
        person = uow.persons.get(pid)
    if person is None or person.facility_code is None or person.placement.value != "admitted":
        return
    desk = Actor("desk", Role.FACILITY_OFFICER, None, facility_code=person.facility_code)
    admission.record_outcome(ctx, desk, pid, outcome)


def play_days(ctx, clock, seed: int, days: int, each=None) -> tuple[random.Random, list[int], int]:
    """The small city, then `days` varied days from FIRST, each published by the watch soon after its midnight
    (`each(day, published)` after each)."""
    clock.set(at(FIRST, 0) - timedelta(days=3))
    load_small_city(ctx, leads=False)
    load_small_facilities(ctx)
    rng, found, n = random.Random(seed), [], 0
    for k in range(days):
        day = FIRST + timedelta(days=k)
        n = a_day(ctx, clock, day, rng, found, n)
        clock.set(at(day + timedelta(days=1), 0.1))
        published = bulletin.publish_yesterday(ctx)
        if each is not None:
            each(day, published)
    return rng, found, n


def test_each_days_bulletin_from_the_day_before_equals_a_count_of_the_whole_log(
    ctx, clock, counted, monkeypatch
) -> None:
    def same(day: date, published: bool) -> None:
        assert published
        assert kept(ctx, day) == whole(ctx, day, monkeypatch)

    play_days(ctx, clock, 15, 6, same)
    if ctx.engine.dialect.name == "sqlite":
        assert counted[:2] == [False, False]  # nothing kept the two days before
        assert all(counted[2:])  # then each day from the one before
    else:
        assert not any(counted)  # PostgreSQL counts the whole log (ids commit out of order)


def test_a_record_stamped_before_a_cut_off_but_written_after_that_day_was_counted_is_not_lost(
    ctx, clock, counted, monkeypatch
) -> None:
    rng, found, n = play_days(ctx, clock, 3, 3)
    last = FIRST + timedelta(days=2)
    clock.set(at(last, 23.99))  # a writer that took its time before midnight, committed after the count
    register(ctx, clock, 900, at(last, 23.9), category="confirmed", severity="critical", unit_code=DAZHI_1)
    n = a_day(ctx, clock, last + timedelta(days=1), rng, found, n)
    clock.set(at(last + timedelta(days=2), 0.1))
    assert bulletin.publish_yesterday(ctx)
    assert counted[-1] is False  # counted whole: the day before's figures miss that record
    assert kept(ctx, last + timedelta(days=1)) == whole(ctx, last + timedelta(days=1), monkeypatch)
