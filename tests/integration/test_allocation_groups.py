"""The waiting list kept grouped for the engine: after every kind of change, the kept groups equal groups made from
nothing, a group's list handed to a plan never changes afterwards, and the plan from the kept groups is the plan
from a fresh read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitall.services import admission, allocation_snapshot, people
from admitall.services.allocation_snapshot import waiting_now
from tests.factories import WUCHANG_STREET, load_small_city, load_small_facilities
from tests.integration.test_allocation_snapshot import DISPATCHER, OFFICER, desk_of, register


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def kept_and_fresh(ctx):
    with ctx.uow() as uow:
        kept = waiting_now(ctx, uow, None)
    allocation_snapshot._KEPT.clear()
    with ctx.uow() as uow:
        fresh = waiting_now(ctx, uow, None)
    return kept, fresh


def as_ids(groups):
    return {key: [c.person_id for c in members] for key, members in groups.items()}


def test_the_kept_groups_equal_groups_made_from_nothing_after_every_kind_of_change(city, clock):
    ids = [register(city, n, category=cat) for n, cat in enumerate(["contact"] * 4 + ["suspected", "fever"], 1)]
    mild = register(city, 20, category="confirmed", severity="mild")
    register(city, 21, category="contact", unit_code=WUCHANG_STREET[:9] + "001")
    admission.allocate(city, DISPATCHER, commit=True)  # kept from here on
    with city.uow() as uow:
        handed_out = waiting_now(city, uow, None)
    before = as_ids(handed_out.groups)

    clock.advance(timedelta(hours=1))
    admission.desk_step(city, desk_of("S1"), mild, "admit")
    people.change_person_severity(city, desk_of("S1"), mild, "severe")  # now waits for a transfer
    people.reclassify_person(city, OFFICER, ids[4], "excluded", reason="核酸阴性")
    people.reclassify_person(city, OFFICER, ids[0], "suspected", reason="出现症状")  # moves to another group
    register(city, 30, category="contact")
    register(city, 31, category="fever", unit_code=WUCHANG_STREET[:9] + "001")
    kept, fresh = kept_and_fresh(city)

    assert as_ids(kept.groups) == as_ids(fresh.groups)
    assert kept.transfers == fresh.transfers and (mild in kept.transfers) == (mild in kept.people)
    assert kept.people == fresh.people
    assert as_ids(handed_out.groups) == before  # what a plan was given is never changed under it


def test_a_plan_from_the_kept_groups_is_the_plan_from_a_fresh_read(city, clock):
    for n in range(1, 30):
        register(city, n, category=("contact", "suspected", "fever")[n % 3])
    admission.plan_admissions(city, DISPATCHER)
    clock.advance(timedelta(minutes=30))
    for n in range(30, 40):
        register(city, n, category=("contact", "suspected")[n % 2])
    kept_plan = admission.plan_admissions(city, DISPATCHER)
    allocation_snapshot._KEPT.clear()
    fresh_plan = admission.plan_admissions(city, DISPATCHER)
    for key in ("assignments", "unplaced", "unplaced_total", "unplaced_by_class", "waiting_by_class", "objective"):
        assert kept_plan[key] == fresh_plan[key], key
    assert kept_plan["unplaced_total"] + len(kept_plan["assignments"]) == 39
