"""A facility's admissions per hour: set by import or by whoever may change its beds, kept by the database, and
respected by every plan the engine makes (counting what the facility already took in that clock hour)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput
from admitall.services.context import Actor, cli_actor
from admitall.services.facilities import get_facility, import_facilities, set_admission_rate
from tests.factories import DAZHI, load_small_city, load_small_facilities

ADMIN = cli_actor()


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def shelter_row(**extra: str) -> dict[str, str | None]:
    return {"code": "S1", "name": "S1 机构", "type": "shelter_hospital", "unit_code": DAZHI, "shelter": "3", **extra}


def rate_of(ctx, code: str) -> int | None:
    return get_facility(ctx, ADMIN, code)["admissions_per_hour"]


def test_the_facilities_file_sets_the_rate_and_a_blank_lifts_it(city):
    summary = import_facilities(city, ADMIN, [(2, shelter_row(admissions_per_hour="40"))])
    assert summary.updated == 1 and rate_of(city, "S1") == 40
    import_facilities(city, ADMIN, [(2, shelter_row())])  # a file without the column leaves the rate as it was
    assert rate_of(city, "S1") == 40
    import_facilities(city, ADMIN, [(2, shelter_row(admissions_per_hour=""))])
    assert rate_of(city, "S1") is None


@pytest.mark.parametrize("bad", ["0", "-3", "2.5", "many", "1e9"])
def test_a_rate_that_is_not_a_whole_number_from_one_is_rejected_with_its_row(city, bad):
    summary = import_facilities(city, ADMIN, [(7, shelter_row(admissions_per_hour=bad))])
    assert summary.rejected == 1
    rejection = summary.rejections[0]
    assert rejection["row"] == 7 and rejection["field"] == "admissions_per_hour"
    assert "每小时收治上限" in rejection["reason"] and "Admissions per hour" in rejection["reason_en"]
    assert rate_of(city, "S1") is None


def test_whoever_may_change_the_beds_may_set_the_rate_and_no_one_else(city):
    desk = Actor("desk-S1", Role.FACILITY_OFFICER, None, facility_code="S1")
    assert set_admission_rate(city, desk, "S1", 12)["admissions_per_hour"] == 12
    assert set_admission_rate(city, ADMIN, "S1", None)["admissions_per_hour"] is None
    with pytest.raises(InvalidInput):
        set_admission_rate(city, ADMIN, "S1", 0)
    with pytest.raises(Forbidden):
        set_admission_rate(city, Actor("analyst", Role.ANALYST, None), "S1", 5)
    with pytest.raises(Forbidden):
        set_admission_rate(city, Actor("desk-I1", Role.FACILITY_OFFICER, DAZHI, facility_code="I1"), "S1", 5)
    assert rate_of(city, "S1") is None


def test_the_database_refuses_a_rate_below_one(city):
    with pytest.raises(IntegrityError), city.engine.begin() as conn:
        conn.execute(text("UPDATE facilities SET admissions_per_hour = 0 WHERE code = 'S1'"))
