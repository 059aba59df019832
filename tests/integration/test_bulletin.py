"""The public daily bulletin on a real database: a small hand-built history over three days in Wuhan, and the
figures each day must show — for the city and per district, beds as they were at each cut-off, a late record
that leaves a published day unchanged, days not over refused, and no personal data anywhere in it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from admitall.domain.access import Role
from admitall.domain.errors import InvalidInput
from admitall.services import admission, people
from admitall.services.bulletin import FIGURES, daily_bulletin
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.web.i18n import MESSAGES
from tests.factories import (
    CITY,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    SMALL_FACILITIES,
    WUCHANG,
    WUCHANG_1,
    YIYUAN_1,
    id_number,
    load_small_city,
    load_small_facilities,
    person_row,
)

DAY1, DAY2, DAY3 = date(2020, 2, 10), date(2020, 2, 11), date(2020, 2, 12)
OFFICER = Actor("officer", Role.UNIT_OFFICER, CITY)
DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)
ZERO = dict.fromkeys(FIGURES, 0)


def at(day: date, hour: float) -> datetime:
    """That hour of the day in Wuhan (UTC+8), as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 8)


def register(ctx, clock, n: int, identified: datetime, **fields) -> int:
    """Registered now (the clock's time) as found at `identified`; the name, ID and phone are person n's."""
    row = person_row(
        name=f"病人{n}",
        id_number=id_number(seq=n),
        phone=f"139{n:08d}",
        identified_at=f"{identified:%Y-%m-%d %H:%M}Z",
        **fields,
    )
    return register_batch(ctx, cli_actor(), [(2, row)], source="test").person_ids[2]


def facility_of(ctx, pid: int) -> tuple[str, str]:
    with ctx.uow() as uow:
        person = uow.persons.get(pid)
    assert person is not None and person.facility_code and person.bed_type
    return person.facility_code, person.bed_type


def figures(**nonzero: int) -> dict[str, int]:
    return {**ZERO, **nonzero}


def district(bulletin, code: str):
    return next(d for d in bulletin["districts"] if d["code"] == code)


@pytest.fixture
def history(ctx, clock):
    """Day 1: A (confirmed, severe, 幸福社区) found at 08:00 and admitted at 09:00; B (suspected, 和平社区),
    C (contact, 长春社区 in 武昌区) and D (febrile, 建设社区) found at 10:00; B confirmed at 15:00, critical at 20:00.
    Day 2: A discharged recovered at 09:00 (the bed freed); D dies at 12:00, B at 14:00."""
    clock.set(at(DAY1, 0) - timedelta(days=2))
    load_small_city(ctx, leads=False)
    load_small_facilities(ctx)
    clock.set(at(DAY1, 8))
    a = register(ctx, clock, 1, at(DAY1, 8), category="confirmed", severity="severe", unit_code=DAZHI_1)
    clock.set(at(DAY1, 9))
    admission.allocate(ctx, DISPATCHER, commit=True)
    admission.desk_step(ctx, DISPATCHER, a, "depart")
    facility, bed = facility_of(ctx, a)
    desk = Actor("desk", Role.FACILITY_OFFICER, None, facility_code=facility)
    admission.desk_step(ctx, desk, a, "admit")
    clock.set(at(DAY1, 10))
    b = register(ctx, clock, 2, at(DAY1, 10), category="suspected", unit_code=DAZHI_2)
    register(ctx, clock, 3, at(DAY1, 10), category="contact", unit_code=WUCHANG_1)
    d = register(ctx, clock, 4, at(DAY1, 10), category="fever", unit_code=YIYUAN_1)
    clock.set(at(DAY1, 15))
    people.reclassify_person(ctx, OFFICER, b, "confirmed", severity="severe")
    clock.set(at(DAY1, 20))
    people.change_person_severity(ctx, OFFICER, b, "critical")
    clock.set(at(DAY2, 9))
    admission.record_outcome(ctx, desk, a, "recovered")
    clock.set(at(DAY2, 12))
    people.reclassify_person(ctx, OFFICER, d, "dead")
    clock.set(at(DAY2, 14))
    people.reclassify_person(ctx, OFFICER, b, "dead")
    clock.set(at(DAY3, 9))
    ctx.bed = bed
    return ctx


def test_each_day_shows_the_new_existing_recovered_and_dead_for_the_city_and_each_district(history):
    one, two = daily_bulletin(history, DAY1), daily_bulletin(history, "2020-02-11")
    assert one["city"]["figures"] == figures(
        new_confirmed=2,
        existing_confirmed=2,
        existing_severe=1,
        existing_critical=1,
        cumulative_confirmed=2,
        existing_fever=1,
        existing_contact=1,
    )
    assert one["city"]["change"] == one["city"]["figures"]  # nothing the day before
    assert district(one, JIANGAN)["figures"] == figures(
        new_confirmed=2, existing_confirmed=2, existing_severe=1, existing_critical=1, cumulative_confirmed=2,
        existing_fever=1,
    )  # fmt: skip
    assert district(one, WUCHANG)["figures"] == figures(existing_contact=1)
    assert two["city"]["figures"] == figures(
        new_recovered=1,
        new_dead=2,
        new_dead_confirmed=1,
        cumulative_confirmed=2,
        cumulative_recovered=1,
        cumulative_dead=2,
        existing_contact=1,
    )
    assert two["city"]["change"]["existing_confirmed"] == -2 and two["city"]["change"]["new_dead"] == 2
    assert district(two, WUCHANG)["figures"] == figures(existing_contact=1)
    assert [d["code"] for d in two["districts"]] == [JIANGAN, WUCHANG]
    assert two["area"] == {"code": CITY, "name": "武汉市"}
    # the districts add up to the city, and the confirmed are all accounted for
    for bulletin in (one, two):
        for key in FIGURES:
            assert sum(d["figures"][key] for d in bulletin["districts"]) == bulletin["city"]["figures"][key]
    f = two["city"]["figures"]
    assert f["cumulative_confirmed"] == f["existing_confirmed"] + f["cumulative_recovered"] + 1  # B died confirmed


def test_a_late_record_leaves_the_published_day_unchanged_and_counts_on_the_day_it_was_recorded(history, clock):
    before = daily_bulletin(history, DAY2)
    clock.set(at(DAY3, 10))
    register(history, clock, 5, at(DAY2, 20), category="confirmed", severity="mild", unit_code=WUCHANG_1)
    assert daily_bulletin(history, DAY2) == before
    clock.set(at(DAY3, 25))  # 01:00 on the day after: day 3 is over
    later = daily_bulletin(history, DAY2)
    assert [later[k] for k in ("city", "districts", "beds")] == [before[k] for k in ("city", "districts", "beds")]
    three = daily_bulletin(history)
    assert three["day"] == "2020-02-12" and three["previous_day"] == "2020-02-11" and three["next_day"] is None
    assert district(three, WUCHANG)["figures"] == figures(
        new_confirmed=1, existing_confirmed=1, cumulative_confirmed=1, existing_contact=1
    )
    assert three["city"]["figures"]["cumulative_confirmed"] == 3
    assert daily_bulletin(history, DAY1)["next_day"] == "2020-02-11"


def test_a_day_not_over_or_not_a_day_is_refused_with_a_clear_message(history, clock):
    clock.set(at(DAY3, 23.5))
    with pytest.raises(InvalidInput) as refused:
        daily_bulletin(history, DAY3)
    assert refused.value.code == "bulletin.day_not_over"
    assert "2020-02-12" in refused.value.zh and "not over yet" in refused.value.en
    assert daily_bulletin(history)["day"] == "2020-02-11"  # the latest closed day
    for bad in ("2020-02-30", "yesterday", "11/02/2020"):
        with pytest.raises(InvalidInput) as malformed:
            daily_bulletin(history, bad)
        assert malformed.value.code == "bulletin.bad_day" and "YYYY-MM-DD" in malformed.value.en
    with pytest.raises(InvalidInput) as early:
        daily_bulletin(history, "1999-12-31")
    assert early.value.code == "bulletin.day_too_early"


def test_beds_occupied_at_a_past_cut_off_are_those_taken_then(history):
    one, two = daily_bulletin(history, DAY1), daily_bulletin(history, DAY2)
    capacity: dict[str, int] = {}
    for _code, _type, _unit, beds in SMALL_FACILITIES:
        for bed, n in beds.items():
            capacity[bed] = capacity.get(bed, 0) + n
    for bulletin in (one, two):
        assert {b["bed_type"]: b["capacity"] for b in bulletin["beds"] if b["capacity"]} == capacity
    used = {b["bed_type"]: b["occupied"] for b in one["beds"] if b["occupied"]}
    assert used == {history.bed: 1}  # A, admitted on day 1
    assert next(b for b in one["beds"] if b["bed_type"] == history.bed)["free"] == capacity[history.bed] - 1
    assert two["beds_total"] == {"capacity": sum(capacity.values()), "occupied": 0, "free": sum(capacity.values())}
    assert any(n["code"] == "capacity_is_current" for n in two["notes"])


def test_the_bulletin_holds_no_names_id_numbers_or_phones(history):
    text = json.dumps([daily_bulletin(history, DAY1), daily_bulletin(history, DAY2)], ensure_ascii=False)
    for n in (1, 2, 3, 4):
        assert f"病人{n}" not in text and id_number(seq=n) not in text and f"139{n:08d}" not in text


def test_every_figure_has_a_label_in_both_languages():
    assert all(f"bulletin_{key}" in MESSAGES for key in FIGURES)


def test_a_published_day_is_kept_as_first_counted_even_when_capacity_changes_later(history):
    from admitall.services.facilities import set_beds

    before = daily_bulletin(history, DAY1)
    with history.uow() as uow:
        assert uow.bulletins.get(DAY1) is not None
        pool = next(p for p in uow.facilities.pools() if p.capacity >= 2)
    set_beds(
        history, cli_actor(), pool.facility_code, pool.bed_type.value, capacity=pool.capacity + 50, out_of_service=0
    )
    assert daily_bulletin(history, DAY1)["beds"] == before["beds"]


def test_the_watch_publishes_yesterday_once_and_not_a_day_before_the_first_record(history, clock):
    from admitall.services import watch

    clock.set(at(DAY3, 0.5))
    assert watch.watch(history)["bulletin_published"] is True
    with history.uow() as uow:
        assert uow.bulletins.get(DAY2) is not None and uow.bulletins.get(DAY1) is None
    assert watch.watch(history)["bulletin_published"] is False
    with pytest.raises(InvalidInput) as early:
        daily_bulletin(history, "2020-02-09")
    assert early.value.code == "bulletin.before_records"
