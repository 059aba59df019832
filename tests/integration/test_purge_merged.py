"""Retention and linkage together: a record merged into another keeps its details as long as its survivor does —
an unmerge restores both — and is purged with the survivor once that one is released long enough ago."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from admitall.services.context import cli_actor
from admitall.services.linkage_review import decide, review_queue
from admitall.services.people import reclassify_person
from admitall.services.purge import purge
from tests.conftest import START
from tests.factories import DAZHI, load_small_city, officer
from tests.integration.test_linkage_merge import state, two_records


@pytest.fixture
def city(ctx):
    load_small_city(ctx, leads=False)
    return ctx


def test_a_merged_away_record_is_purged_only_with_its_survivor(city, clock):
    survivor, away = two_records(city)
    pair = review_queue(city, officer())["pairs"][0]
    assert decide(city, officer(), pair["id"], "merge")["merged"] == away
    clock.set(START + timedelta(days=40))
    held = purge(city, cli_actor(), date(2020, 3, 1), apply=True)
    assert held["people"] == 0  # the merged-away record was ruled out at the merge, but its survivor waits
    assert state(city, away).details.name == "张维"

    reclassify_person(city, officer(DAZHI), survivor, "excluded", reason="核酸阴性")
    clock.set(START + timedelta(days=80))
    both = purge(city, cli_actor(), date(2020, 4, 15), apply=True)
    assert both["people"] == 2
    assert state(city, away).details.name != "张维" and state(city, survivor).details.name != "张伟"
