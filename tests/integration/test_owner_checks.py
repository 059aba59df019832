"""Every write to an existing record is checked against the record's current owner, not only against the value
asked for: a facility, unit, official or user of another district is never changed, linked or taken over, and
the refusal tells nothing a record that does not exist would not. And a level's reporting schedule, one for the
whole city, is set only by the unit above every unit of that level."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admitall.domain.access import Role
from admitall.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from admitall.services import officials, reporting
from admitall.services.auth import add_user
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.facilities import get_facility, import_facilities, set_beds
from admitall.services.officials_import import import_officials
from admitall.services.units import import_units
from admitall.store.tables import users
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    JIANGAN,
    PASSWORD,
    WUCHANG,
    WUCHANG_1,
    WUCHANG_STREET,
    load_small_city,
    load_small_facilities,
    make_user,
)

DISTRICT_ADMIN = Actor("jiangan-admin", Role.ADMIN, JIANGAN)
CITY_ADMIN = Actor("city-admin", Role.ADMIN, CITY)


@pytest.fixture
def city(ctx: Context) -> Context:
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def facility_row(code: str, unit: str, **beds: str) -> dict[str, str | None]:
    return {"code": code, "name": "我的医院", "type": "designated_hospital", "unit_code": unit, **beds}


# --- facilities ---------------------------------------------------------------------------------------------------


def test_a_district_admin_cannot_take_over_another_districts_facility_by_import(city):
    before = get_facility(city, cli_actor(), "H1")
    summary = import_facilities(city, DISTRICT_ADMIN, [(2, facility_row("H1", DAZHI, icu="0", severe="0"))])
    assert (summary.accepted, summary.updated, summary.rejected) == (0, 0, 1)
    assert summary.rejections[0]["field"] == "code"
    assert "H1 cannot be used" in summary.rejections[0]["reason_en"]
    assert get_facility(city, cli_actor(), "H1") == before  # still 武昌区's, same name, same beds


def test_a_facility_outside_is_refused_before_its_type_is_compared(city):
    """The refusal does not tell what kind of facility holds the code elsewhere."""
    row = {**facility_row("H1", DAZHI), "type": "shelter_hospital", "shelter": "5"}
    refused = import_facilities(city, DISTRICT_ADMIN, [(2, row)]).rejections[0]
    assert "cannot be used" in refused["reason_en"] and "type" not in refused["reason_en"]


def test_a_district_admin_still_updates_their_own_districts_facility_by_import(city):
    row = {**facility_row("S1", DAZHI), "type": "shelter_hospital", "shelter": "7"}
    summary = import_facilities(city, DISTRICT_ADMIN, [(2, row)])
    assert (summary.updated, summary.rejected) == (1, 0)
    assert get_facility(city, cli_actor(), "S1")["beds"][0]["capacity"] == 7


def test_a_district_admin_cannot_change_the_beds_of_another_districts_facility(city):
    with pytest.raises(NotFound) as outside:
        set_beds(city, DISTRICT_ADMIN, "H1", "icu", capacity=0, out_of_service=0)
    with pytest.raises(NotFound) as absent:
        set_beds(city, DISTRICT_ADMIN, "H9", "icu", capacity=0, out_of_service=0)
    assert outside.value.code == absent.value.code == "facility.not_found"
    assert get_facility(city, cli_actor(), "H1")["beds"][0]["capacity"] == 1


# --- units --------------------------------------------------------------------------------------------------------


def test_a_district_admin_cannot_rename_another_districts_unit_by_import(city):
    existing = {"code": WUCHANG_1, "name": "被改名社区"}
    absent = {"code": "420106001009", "name": "新社区"}
    summary = import_units(city, DISTRICT_ADMIN, [(2, existing), (3, absent)])
    assert (summary.renamed, summary.unchanged, summary.accepted, summary.rejected) == (0, 0, 0, 2)
    first, second = summary.rejections
    assert (first["field"], first["reason"]) == (second["field"], second["reason"])
    with city.uow() as uow:
        assert uow.units.get(WUCHANG_1).name == "长春社区"  # type: ignore[union-attr]


def test_an_unchanged_unit_outside_is_refused_like_any_other_outside(city):
    """'unchanged' would tell that the unit exists with exactly that name."""
    summary = import_units(city, DISTRICT_ADMIN, [(2, {"code": WUCHANG_1, "name": "长春社区"})])
    assert (summary.unchanged, summary.rejected) == (0, 1)


def test_a_district_admin_still_renames_and_adds_units_of_their_own_district(city):
    rows = [(2, {"code": DAZHI_1, "name": "幸福里社区"}), (3, {"code": "420102002009", "name": "新建社区"})]
    summary = import_units(city, DISTRICT_ADMIN, rows)
    assert (summary.renamed, summary.accepted, summary.rejected) == (1, 1, 0)


# --- officials and users ------------------------------------------------------------------------------------------


def test_an_official_cannot_be_linked_to_a_user_of_another_district(city):
    make_user(city, "wuchang-duty", "unit_officer", WUCHANG_1)
    with pytest.raises(Conflict) as outside:
        officials.add_official(
            city, DISTRICT_ADMIN, name="钱多", title="干部", home_unit=DAZHI, username="wuchang-duty"
        )
    # refused exactly as a username another official already signs in as
    with pytest.raises(Conflict) as taken:
        officials.add_official(city, DISTRICT_ADMIN, name="钱多", title="干部", home_unit=DAZHI, username="jiangan")
    assert (outside.value.code, outside.value.en) == (
        taken.value.code,
        taken.value.en.replace("jiangan", "wuchang-duty"),
    )
    with city.uow() as uow:
        assert uow.officials.by_username("wuchang-duty") is None


def test_an_official_may_be_linked_to_a_user_within_the_jurisdiction_or_to_one_still_to_come(city):
    make_user(city, "dazhi-duty", "unit_officer", DAZHI)
    linked = officials.add_official(
        city, DISTRICT_ADMIN, name="钱多", title="干部", home_unit=DAZHI, username="dazhi-duty"
    )
    later = officials.add_official(
        city, DISTRICT_ADMIN, name="孙少", title="干部", home_unit=DAZHI, username="not-yet-a-user"
    )
    assert (linked["username"], later["username"]) == ("dazhi-duty", "not-yet-a-user")


def test_an_officials_import_refuses_a_user_elsewhere_and_a_home_unit_elsewhere_row_by_row(city):
    make_user(city, "wuchang-duty", "unit_officer", WUCHANG_1)
    rows = [
        (2, {"name": "钱多", "home_unit": DAZHI, "username": "wuchang-duty"}),
        (3, {"name": "孙少", "home_unit": WUCHANG_STREET}),
        (4, {"name": "周全", "home_unit": "420102002009"}),
        (5, {"name": "吴用", "home_unit": DAZHI, "leads": WUCHANG_1}),
        (6, {"name": "郑好", "home_unit": DAZHI}),
    ]
    summary = import_officials(city, DISTRICT_ADMIN, rows)
    assert (summary.rows, summary.accepted, summary.rejected) == (5, 1, 4)
    reasons = {r["row"]: (r["field"], r["reason_en"]) for r in summary.rejections}
    assert reasons[2][0] == "username"
    # a unit elsewhere reads exactly as a unit that does not exist
    assert reasons[3] == ("home_unit", f"No unit {WUCHANG_STREET} (or not within your jurisdiction)")
    assert reasons[4] == ("home_unit", "No unit 420102002009 (or not within your jurisdiction)")
    assert reasons[5] == ("leads", f"No unit {WUCHANG_1} (or not within your jurisdiction)")


def test_a_new_user_cannot_take_the_username_of_an_official_of_another_district(city):
    wuchang_lead = officials.add_official(
        city, cli_actor(), name="周密", title="干部", home_unit=WUCHANG, username="zhoumi"
    )
    with pytest.raises(Conflict) as e:
        add_user(city, DISTRICT_ADMIN, username="zhoumi", password=PASSWORD, role="unit_officer", unit_code=DAZHI)
    assert e.value.code == "user.exists"
    with city.uow() as uow:
        assert uow.conn.execute(select(users.c.id).where(users.c.username == "zhoumi")).first() is None
        assert uow.officials.by_username("zhoumi").id == wuchang_lead["id"]  # type: ignore[union-attr]


@pytest.mark.parametrize("username", ["system", "cli", "public", "sim", "Twin"])
def test_no_account_takes_a_name_the_system_acts_under(city, username):
    with pytest.raises(InvalidInput) as e:
        add_user(city, cli_actor(), username=username, password=PASSWORD, role="unit_officer", unit_code=DAZHI)
    assert e.value.code == "user.reserved_username" and e.value.field == "username"
    with city.uow() as uow:
        assert uow.conn.execute(select(users.c.id).where(users.c.username == username)).first() is None


def test_a_new_user_may_take_the_username_of_an_official_of_the_jurisdiction(city):
    officials.add_official(city, cli_actor(), name="刘备", title="干部", home_unit=DAZHI, username="liubei")
    added = add_user(city, DISTRICT_ADMIN, username="liubei", password=PASSWORD, role="unit_officer", unit_code=DAZHI)
    assert added["username"] == "liubei"


def test_a_handover_names_an_official_of_the_jurisdiction_only(city):
    wuchang = officials.list_officials(city, cli_actor(), WUCHANG)["officials"][0]["id"]
    with pytest.raises(NotFound) as outside:
        officials.assign_lead(city, DISTRICT_ADMIN, DAZHI_1, wuchang)
    with pytest.raises(NotFound) as absent:
        officials.assign_lead(city, DISTRICT_ADMIN, DAZHI_1, 987654)
    assert outside.value.code == absent.value.code == "official.not_found"


# --- reporting schedules ------------------------------------------------------------------------------------------


def _schedules(ctx: Context) -> dict[str, tuple[int, int]]:
    found = reporting.get_schedules(ctx, cli_actor())["schedules"]
    return {s["level"]: (s["period_minutes"], s["grace_minutes"]) for s in found}


@pytest.mark.parametrize("level", ["district", "street", "community"])
def test_a_district_admin_cannot_change_a_city_wide_reporting_schedule(city, level):
    before = _schedules(city)
    with pytest.raises(Forbidden) as e:
        reporting.set_schedule(city, DISTRICT_ADMIN, level, period_minutes=120, grace_minutes=30)
    assert e.value.code == "schedule.not_owner"
    assert _schedules(city) == before


def test_a_street_admin_cannot_change_the_community_schedule(city):
    with pytest.raises(Forbidden):
        reporting.set_schedule(
            city, Actor("dazhi-admin", Role.ADMIN, DAZHI), "community", period_minutes=120, grace_minutes=10
        )


@pytest.mark.parametrize("level", ["district", "street", "community"])
def test_the_city_hq_sets_the_schedule_of_every_level_below_it(city, level):
    reporting.set_schedule(city, CITY_ADMIN, level, period_minutes=120, grace_minutes=30)
    assert _schedules(city)[level] == (120, 30)


def test_a_city_admin_of_a_province_with_two_cities_cannot_set_the_province_wide_schedule(city):
    import_units(city, cli_actor(), [(2, {"code": "420200000000", "name": "黄石市"})])
    import_units(city, cli_actor(), [(2, {"code": "420202000000", "name": "黄石港区"})])
    with pytest.raises(Forbidden):
        reporting.set_schedule(city, CITY_ADMIN, "district", period_minutes=120, grace_minutes=30)


# --- reports ------------------------------------------------------------------------------------------------------


def test_a_report_for_a_unit_elsewhere_is_refused_as_if_it_did_not_exist(city):
    duty = Actor("jiangan-duty", Role.UNIT_OFFICER, JIANGAN)
    with pytest.raises(NotFound) as outside:
        reporting.draft(city, duty, WUCHANG_1)
    with pytest.raises(NotFound) as absent:
        reporting.draft(city, duty, "420102002009")
    assert outside.value.code == absent.value.code == "unit.not_found"
