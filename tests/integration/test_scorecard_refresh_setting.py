"""How often the watch makes the day's provisional scorecards again is a setting (a city's screens: every 15
minutes; the twin: once a day); a finished day's cards are made once whatever it is."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from admitall.services.scorecards import refresh
from admitall.sim.scenario import load_scenario
from tests.factories import load_small_city


def test_the_days_provisional_cards_are_made_again_only_when_older_than_the_setting(ctx, clock):
    load_small_city(ctx)
    hourly = replace(ctx, settings=ctx.settings.model_copy(update={"scorecard_refresh_minutes": 60}))
    first = refresh(hourly)
    assert first  # nothing stored yet: the day's cards (and the last two days') are made
    clock.advance(timedelta(minutes=30))
    assert refresh(hourly) == []  # half an hour old: kept
    assert refresh(ctx) != []  # the default (15 minutes) makes them again
    clock.advance(timedelta(minutes=61))
    assert refresh(hourly) != []


def test_the_wuhan_scenario_makes_the_provisional_cards_once_a_day_and_the_default_is_a_citys():
    assert load_scenario("wuhan-2020").operations.scorecard_refresh_minutes == 1440
    assert load_scenario("small").operations.scorecard_refresh_minutes == 15
