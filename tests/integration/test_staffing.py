"""Staff rosters, medical teams and staffed beds on a real database (issue 18 §2): the headcount S4 builds on,
plans that fill only staffed beds and say why not, who may see and change what, and the roster import."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from admitall.domain.access import Role, RoleForbidden
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.services import admission, staffing, staffing_views
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.staffing_import import import_roster
from tests.factories import CITY, DAZHI, JIANGAN, WUCHANG, id_number, load_small_city, load_small_facilities, person_row

ADMIN = cli_actor()
HQ = Actor("hq", Role.COMMANDER, CITY)
DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)
TODAY = date(2020, 2, 10)  # the test clock's day in Wuhan


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def desk_of(code: str) -> Actor:
    return Actor(f"desk-{code}", Role.FACILITY_OFFICER, None, facility_code=code)


def critical(ctx, n: int = 1) -> int:
    row = person_row(name=f"危重{n}", id_number=id_number(seq=n), category="confirmed", severity="critical")
    return register_batch(ctx, ADMIN, [(2, row)], source="test").person_ids[2]


def nurse(ctx, site: str, role: str, n: int, **extra) -> None:
    for i in range(n):
        staffing.add_member(ctx, ADMIN, site, {"name": f"{role}{i}", "role": role, **extra})


def test_the_headcount_counts_people_and_teams_on_the_roster_that_day(city):
    nurse(city, "H1", "nurse", 2)
    staffing.add_member(
        city, ADMIN, "H1", {"name": "走了", "role": "nurse", "active_from": "2020-02-01", "active_until": "2020-02-05"}
    )
    team = staffing.add_team(
        city,
        HQ,
        {
            "name": "江苏队",
            "origin": "江苏",
            "facility_code": "H1",
            "arrives_on": "2020-02-09",
            "headcount": {"icu_nurse": 30},
        },
    )
    staffing.add_member(city, ADMIN, "H1", {"name": "队员", "role": "icu_nurse", "team_id": team["id"]})  # in the 30
    staffing.add_team(
        city,
        HQ,
        {
            "name": "明天到",
            "origin": "广东",
            "facility_code": "H1",
            "arrives_on": "2020-02-11",
            "headcount": {"doctor": 9},
        },
    )
    with city.uow() as uow:
        assert staffing.headcount(uow, TODAY) == {"H1": Counter(nurse=2, icu_nurse=30)}
        assert staffing.headcount(uow, TODAY + timedelta(days=1))["H1"]["doctor"] == 9
        assert staffing.headcount(uow, date(2020, 2, 3))["H1"] == Counter(nurse=1)
    staffing.set_departure(city, HQ, team["id"], TODAY)
    with city.uow() as uow:
        assert staffing.headcount(uow, TODAY + timedelta(days=2))["H1"] == Counter(nurse=2, doctor=9)


def test_a_plan_fills_only_staffed_beds_and_says_which_staff_are_missing(city):
    pid = critical(city)
    nurse(city, "H1", "icu_nurse", 2)  # H1 keeps a roster now: 2 ICU nurses are none on each of 3 shifts
    plan = admission.plan_admissions(city, DISPATCHER, lang="en")
    assert plan["assignments"] == []
    (left,) = plan["unplaced"]
    assert "ICU bed free but no ICU nurse on shift (1)" in left["reason"]
    nurse(city, "H1", "icu_nurse", 1)
    nurse(city, "H1", "icu_doctor", 3)
    plan = admission.plan_admissions(city, DISPATCHER, lang="en")
    assert [(a["person"], a["bed_type"]) for a in plan["assignments"]] == [(pid, "icu")]


def test_a_facility_with_no_staffing_data_admits_as_before(city):
    pid = critical(city)
    nurse(city, "S1", "nurse", 3)  # another facility's roster changes nothing at H1
    plan = admission.plan_admissions(city, DISPATCHER)
    assert [(a["person"], a["facility"], a["bed_type"]) for a in plan["assignments"]] == [(pid, "H1", "icu")]


def test_a_shelter_hospital_opened_before_its_team_arrives_takes_nobody_until_it_does(city, clock):
    staffing.add_team(
        city,
        HQ,
        {
            "name": "辽宁队",
            "origin": "辽宁",
            "facility_code": "S1",
            "arrives_on": "2020-02-11",
            "headcount": {"nurse": 180, "doctor": 60},
        },
    )
    row = person_row(name="轻症", id_number=id_number(seq=7), category="confirmed", severity="mild")
    pid = register_batch(city, ADMIN, [(2, row)], source="test").person_ids[2]
    plan = admission.plan_admissions(city, DISPATCHER)
    assert [a["bed_type"] for a in plan["assignments"] if a["person"] == pid] == ["general"]  # not the shelter
    clock.advance(timedelta(days=1))
    plan = admission.plan_admissions(city, DISPATCHER)
    assert [a["bed_type"] for a in plan["assignments"] if a["person"] == pid] == ["shelter"]


def test_the_overview_shows_beds_in_service_staffed_and_usable(city):
    nurse(city, "H1", "icu_nurse", 2)
    data = staffing_views.overview(city, HQ)
    icu = next(r for r in data["totals"] if r["bed_type"] == "icu")
    assert (icu["physical"], icu["staffed"], icu["usable"]) == (1, 0, 0)
    h1 = next(f for f in data["facilities"] if f["code"] == "H1")
    assert h1["staffing_data"] and h1["beds"][0]["short_role"] == "icu_nurse"
    assert data["total"] == 6


def test_masked_roles_see_no_phone_or_id_number_and_others_see_them_in_full(city):
    staffing.add_member(
        city, ADMIN, "H1", {"name": "王护士", "role": "nurse", "phone": "13812345678", "id_number": id_number(seq=9)}
    )
    full = staffing.roster(city, desk_of("H1"), "H1")["staff"][0]
    masked = staffing.roster(city, HQ, "H1")["staff"][0]
    assert full["phone"] == "13812345678" and full["id_number"] == id_number(seq=9)
    assert masked["phone"] == "138****5678" and id_number(seq=9) not in str(masked)


def test_who_may_not_see_or_change_a_roster_is_refused(city):
    with pytest.raises(RoleForbidden):
        staffing.roster(city, Actor("analyst", Role.ANALYST, None), "H1")
    with pytest.raises(NotFound):  # another facility's desk: as if it did not exist
        staffing.roster(city, desk_of("S1"), "H1")
    with pytest.raises(NotFound):  # H1 is in Wuchang, not in Jiang'an
        staffing.add_member(city, Actor("j", Role.UNIT_OFFICER, JIANGAN), "H1", {"name": "甲", "role": "nurse"})
    with pytest.raises(RoleForbidden):
        staffing.add_member(city, HQ, "H1", {"name": "甲", "role": "nurse"})  # the command registers teams only
    staffing.add_member(city, desk_of("H1"), "H1", {"name": "甲", "role": "nurse"})
    staffing.add_member(city, Actor("w", Role.UNIT_OFFICER, WUCHANG), "H1", {"name": "乙", "role": "nurse"})
    assert staffing.roster(city, desk_of("H1"), "H1")["total"] == 2


def test_only_the_city_command_registers_teams(city):
    team = {
        "name": "队",
        "origin": "江苏",
        "facility_code": "H1",
        "arrives_on": "2020-02-10",
        "headcount": {"nurse": 10},
    }
    with pytest.raises(RoleForbidden):
        staffing.add_team(city, Actor("o", Role.UNIT_OFFICER, DAZHI), team)
    with pytest.raises(Forbidden):
        staffing.add_team(city, Actor("dc", Role.COMMANDER, WUCHANG), team)
    with pytest.raises(InvalidInput):
        staffing.add_team(city, HQ, {**team, "headcount": {"pilot": 3}})
    made = staffing.add_team(city, HQ, team)
    listed = staffing.teams(city, Actor("a", Role.ANALYST, None))
    assert listed["total"] == 1 and listed["teams"][0]["id"] == made["id"] and listed["people_here_today"] == 10
    assert staffing.teams(city, desk_of("S1"))["total"] == 0


def test_a_roster_import_accounts_for_every_row(city):
    rows = [
        (2, {"name": "甲", "role": "护士", "phone": "13800000001"}),
        (3, {"name": "甲", "role": "nurse", "phone": "13800000001"}),  # the same person again
        (4, {"name": "乙", "role": "飞行员"}),
        (5, {"name": "", "role": "nurse"}),
        (6, {"name": "丙", "role": "ICU nurse", "active_from": "2020-02-20", "active_until": "2020-02-01"}),
        (7, {"name": None, "role": None}),  # blank: not a row
        (8, {"name": "丁", "role": "重症医生", "active_from": "2020-02-08"}),
    ]
    result = import_roster(city, desk_of("H1"), "H1", rows)
    assert (result["rows"], result["added"], result["already"]) == (6, 2, 1)
    assert [(r["row"], r["field"]) for r in result["rejected"]] == [(4, "role"), (5, "name"), (6, "active_until")]
    with pytest.raises(NotFound):
        import_roster(city, desk_of("S1"), "H1", rows)


def test_ending_a_stay_takes_the_person_off_the_roster_from_the_next_day(city, clock):
    made = staffing.add_member(city, desk_of("H1"), "H1", {"name": "甲", "role": "nurse", "active_from": "2020-02-01"})
    with pytest.raises(NotFound):
        staffing.end_member(city, desk_of("S1"), made["id"])
    with pytest.raises(InvalidInput):
        staffing.end_member(city, desk_of("H1"), made["id"], date(2020, 1, 31))
    staffing.end_member(city, desk_of("H1"), made["id"])  # today is the last day
    assert staffing.roster(city, desk_of("H1"), "H1")["total"] == 1
    clock.advance(timedelta(days=1))
    assert staffing.roster(city, desk_of("H1"), "H1")["total"] == 0
    with pytest.raises(NotFound):
        staffing.set_departure(city, HQ, 999, TODAY)


def test_an_icu_bed_without_a_ventilator_is_not_usable_and_the_critical_patient_goes_to_a_severe_bed(city):
    from admitall.services.supplies import record_movement

    pid = critical(city)
    count = {"kind": "count", "item_code": "ventilator", "counted": 0, "reason": "盘点：呼吸机全部借出"}
    record_movement(city, desk_of("H1"), "facility", "H1", count)
    icu = staffing_views.facility_capacity(city, desk_of("H1"), "H1")["beds"][0]
    assert (icu["bed_type"], icu["physical"], icu["usable"], icu["short_item"]) == ("icu", 1, 0, "ventilator")
    plan = admission.plan_admissions(city, DISPATCHER, lang="en")
    assert [(a["person"], a["bed_type"]) for a in plan["assignments"]] == [(pid, "severe")]
    assert "no ICU bed left for this class (ICU bed free but no ventilator (1))" in plan["assignments"][0]["reason"]
