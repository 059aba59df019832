"""Supplies (issue 18 §1) on SQLite and PostgreSQL: stock as appended movements, transfers in one transaction,
jurisdiction and desk refusals, cover, and the beds critical supplies let a facility use (supply_limits)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.domain.facilities import BedType
from admitall.services import supplies as sup
from admitall.services.context import Actor
from admitall.services.supply_limits import bed_limits_from_supplies
from admitall.store.tables_supplies import supply_movements
from tests.factories import CITY, DAZHI, DAZHI_1, JIANGAN, WUCHANG, WUCHANG_STREET, officer
from tests.integration.supplies_world import (
    H1_DESK,
    HQ,
    JIANGAN_OFFICER,
    WUCHANG_OFFICER,
    at_once,
    held,
    move,
    occupy,
    small_city,
)


@pytest.fixture
def city(ctx):
    return small_city(ctx)


def test_stock_is_the_sum_of_appended_movements_and_a_count_appends_its_difference(city):
    move(city, HQ, "unit", CITY, kind="receipt", item_code="n95_mask", quantity=1000)
    move(city, HQ, "unit", CITY, kind="issue", item_code="n95_mask", quantity=150, reason="to the Red Cross")
    move(city, HQ, "unit", CITY, kind="consumption", item_code="n95_mask", quantity=50)
    assert held(city, HQ, "unit", CITY)["n95_mask"] == 800
    move(city, HQ, "unit", CITY, kind="count", item_code="n95_mask", counted=780, reason="damaged box")
    assert held(city, HQ, "unit", CITY)["n95_mask"] == 780
    with city.uow() as uow:
        kinds = [r.kind for r in uow.conn.execute(select(supply_movements).order_by(supply_movements.c.id))]
        count_row = uow.conn.execute(select(supply_movements).where(supply_movements.c.kind == "count")).one()
    assert kinds == ["receipt", "issue", "consumption", "count"]
    assert count_row.quantity == -20 and count_row.counted == 780 and count_row.reason == "damaged box"
    history = sup.movement_history(city, HQ, "unit", CITY, size=2)
    assert history["total"] == 4 and [m["kind"] for m in history["movements"]] == ["count", "consumption"]


def test_a_count_needs_a_reason_and_nothing_leaves_that_is_not_there(city):
    move(city, HQ, "unit", CITY, kind="receipt", item_code="goggles", quantity=10)
    with pytest.raises(InvalidInput) as no_reason:
        move(city, HQ, "unit", CITY, kind="count", item_code="goggles", counted=8)
    assert no_reason.value.field == "reason"
    with pytest.raises(InvalidInput) as too_many:
        move(city, HQ, "unit", CITY, kind="issue", item_code="goggles", quantity=11)
    assert "10" in too_many.value.as_dict("en")["message"]
    with pytest.raises(InvalidInput):
        move(city, HQ, "unit", CITY, kind="receipt", item_code="gold_bars", quantity=1)
    assert held(city, HQ, "unit", CITY)["goggles"] == 10


def test_a_transfer_writes_both_legs_or_neither(city):
    move(city, HQ, "unit", CITY, kind="receipt", item_code="oxygen_cylinder", quantity=40)
    oxygen = {"kind": "transfer", "item_code": "oxygen_cylinder", "to_kind": "facility"}
    move(city, HQ, "unit", CITY, quantity=25, to_code="H1", **oxygen)
    assert held(city, HQ, "unit", CITY)["oxygen_cylinder"] == 15
    assert held(city, HQ, "facility", "H1")["oxygen_cylinder"] == 25
    with city.uow() as uow:
        legs = list(uow.conn.execute(select(supply_movements).where(supply_movements.c.transfer_id.is_not(None))))
    assert sorted(leg.quantity for leg in legs) == [-25, 25] and len({leg.transfer_id for leg in legs}) == 1
    with pytest.raises(NotFound):  # an unknown destination: nothing leaves either
        move(city, HQ, "unit", CITY, quantity=5, to_code="NOPE", **oxygen)
    with city.uow() as uow:
        assert uow.conn.execute(select(func.count()).select_from(supply_movements)).scalar() == 3
    assert held(city, HQ, "unit", CITY)["oxygen_cylinder"] == 15


def test_sites_outside_the_jurisdiction_look_absent_and_a_desk_keeps_its_own_facility(city):
    move(city, HQ, "facility", "H1", kind="receipt", item_code="ventilator", quantity=2)
    with pytest.raises(NotFound):
        sup.site_stock(city, JIANGAN_OFFICER, "facility", "H1")
    with pytest.raises(NotFound):
        move(city, JIANGAN_OFFICER, "facility", "H1", kind="receipt", item_code="ventilator", quantity=1)
    assert held(city, WUCHANG_OFFICER, "facility", "H1")["ventilator"] == 2
    assert held(city, H1_DESK, "facility", "H1")["ventilator"] == 2
    with pytest.raises(NotFound):
        sup.site_stock(city, H1_DESK, "facility", "R1")  # same street, another facility
    with pytest.raises(NotFound):  # a transfer out of the desk's facility only to sites it may see
        move(
            city,
            H1_DESK,
            "facility",
            "H1",
            kind="transfer",
            item_code="ventilator",
            quantity=1,
            to_kind="unit",
            to_code=CITY,
        )
    with pytest.raises(Forbidden):
        move(
            city,
            Actor("analyst", Role.ANALYST, CITY),
            "facility",
            "H1",
            kind="receipt",
            item_code="ventilator",
            quantity=1,
        )
    with pytest.raises(Forbidden):
        sup.shortages(city, H1_DESK)


def test_cover_is_recorded_use_else_the_occupancy_estimate_and_shortages_come_worst_first(city, clock):
    occupy(city, "H1", "icu", 1)
    occupy(city, "H1", "severe", 2)
    # suits: ICU 12 + severe 2 x 8 = 28 a day by the estimate; 56 on hand = 2 days, under the 3-day threshold
    move(city, HQ, "facility", "H1", kind="receipt", item_code="protective_suit", quantity=56)
    move(city, HQ, "facility", "S1", kind="receipt", item_code="protective_suit", quantity=500)
    items = {i["item_code"]: i for i in sup.site_stock(city, HQ, "facility", "H1")["items"]}
    suit = items["protective_suit"]
    assert suit["per_day"] == 28 and suit["estimated"] is True and suit["cover_days"] == 2 and suit["short"]
    assert items["oxygen_cylinder"]["on_hand"] == 0 and items["oxygen_cylinder"]["short"]  # used, none held
    # recorded consumption replaces the estimate, averaged over the window once the item has been held that long:
    # 49 over the 7 days is 7 a day
    clock.advance(timedelta(days=7))
    move(city, HQ, "facility", "H1", kind="consumption", item_code="protective_suit", quantity=49)
    clock.advance(timedelta(hours=1))
    suit = {i["item_code"]: i for i in sup.site_stock(city, HQ, "facility", "H1")["items"]}["protective_suit"]
    assert suit["estimated"] is False and suit["per_day"] == 7 and suit["cover_days"] == 1
    view = sup.shortages(city, HQ)
    assert view["total"] == view["short"] >= 2
    assert view["rows"][0]["cover_days"] in (0, None)  # none on hand first
    assert all(r["site_code"] != "S1" for r in view["rows"])  # 500 suits and nobody in its beds
    assert sup.shortages(city, officer(JIANGAN, username="j"))["total"] == 0  # H1 is in Wuchang


def test_a_site_opened_days_ago_averages_its_use_over_those_days_not_the_whole_window(city, clock):
    def suit() -> dict:
        items = sup.site_stock(city, HQ, "facility", "H1")["items"]
        return {i["item_code"]: i for i in items}["protective_suit"]

    move(city, HQ, "facility", "H1", kind="receipt", item_code="protective_suit", quantity=90)
    for _day in range(2):  # two days of 20 suits, recorded at each day's end
        clock.advance(timedelta(days=1))
        move(city, HQ, "facility", "H1", kind="consumption", item_code="protective_suit", quantity=20)
    # 40 over the 2 days held is 20 a day (not 40 over a week): 50 on hand is 2.5 days, short of the 3
    assert suit()["per_day"] == 20 and suit()["cover_days"] == 2.5 and suit()["short"]
    assert sup.shortages(city, HQ)["rows"][0]["site_code"] == "H1"
    # a record an hour after the first delivery counts as a day's use, never as an hour's
    move(city, HQ, "facility", "S1", kind="receipt", item_code="protective_suit", quantity=100)
    clock.advance(timedelta(hours=1))
    move(city, HQ, "facility", "S1", kind="consumption", item_code="protective_suit", quantity=30)
    items = {i["item_code"]: i for i in sup.site_stock(city, HQ, "facility", "S1")["items"]}
    assert items["protective_suit"]["per_day"] == 30 and items["protective_suit"]["cover_days"] == 2.3  # 70 / 30


def test_bed_limits_cap_icu_at_the_ventilators_and_severe_beds_at_zero_without_oxygen(city, clock):
    with city.uow() as uow:
        assert bed_limits_from_supplies(uow, clock.now()) == {}  # nobody tracks supplies: nothing is limited
    move(city, HQ, "facility", "H1", kind="receipt", item_code="ventilator", quantity=3)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="oxygen_cylinder", quantity=4)
    now = clock.now()
    with city.uow() as uow:
        assert bed_limits_from_supplies(uow, now) == {("H1", BedType.ICU): (3, "ventilator")}
    clock.advance(timedelta(hours=1))
    move(city, HQ, "facility", "H1", kind="consumption", item_code="oxygen_cylinder", quantity=4)
    with city.uow() as uow:
        limits = bed_limits_from_supplies(uow.conn, city.clock.now())
    assert limits == {("H1", BedType.ICU): (0, "oxygen_cylinder"), ("H1", BedType.SEVERE): (0, "oxygen_cylinder")}
    with city.uow() as uow:  # as it was before the oxygen ran out
        assert bed_limits_from_supplies(uow, now) == {("H1", BedType.ICU): (3, "ventilator")}
    assert DAZHI  # the shelter hospital in Dazhi needs no oxygen for its beds: never in the result


def test_the_watch_opens_one_alert_per_short_site_and_item_and_resolves_it_when_cover_is_back(city, clock):
    from admitall.services.supply_watch import SUPPLY_SHORT
    from admitall.services.watch import watch
    from admitall.store.tables import alerts
    from admitall.store.tables_supplies import supply_shortages

    occupy(city, "H1", "icu", 1)  # 12 suits a day; 20 on hand: under 3 days
    move(city, HQ, "facility", "H1", kind="receipt", item_code="protective_suit", quantity=20)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="ventilator", quantity=1)  # one per ICU bed: enough
    move(city, HQ, "facility", "H1", kind="receipt", item_code="oxygen_cylinder", quantity=100)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="n95_mask", quantity=1000)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="goggles", quantity=100)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="test_kit", quantity=100)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="ecmo", quantity=1)

    def open_alerts():
        with city.uow() as uow:
            return list(uow.conn.execute(select(alerts).where(alerts.c.kind == SUPPLY_SHORT)).mappings())

    first = watch(city)
    assert first["supply_short_raised"] == 1
    clock.advance(timedelta(minutes=30))
    assert watch(city)["supply_short_raised"] == 0  # one alert while the shortage is open
    (alert,) = open_alerts()
    assert alert["unit_code"] == WUCHANG_STREET and alert["target_unit"] == WUCHANG_STREET  # the owner acts
    assert alert["detail"]["item"] == "protective_suit" and alert["resolved_at"] is None
    move(city, HQ, "facility", "H1", kind="receipt", item_code="protective_suit", quantity=100)
    clock.advance(timedelta(minutes=30))
    assert watch(city)["supply_short_resolved"] == 1
    (alert,) = open_alerts()
    assert alert["resolved_at"] is not None
    with city.uow() as uow:
        assert uow.conn.execute(select(supply_shortages.c.ended_at)).scalar() is not None
    move(city, HQ, "unit", DAZHI_1, kind="receipt", item_code="n95_mask", quantity=1)
    move(city, HQ, "unit", DAZHI_1, kind="consumption", item_code="n95_mask", quantity=1)
    clock.advance(timedelta(minutes=30))
    assert watch(city)["supply_short_raised"] == 1  # a community out of what it uses: its street must act
    community = [a for a in open_alerts() if a["resolved_at"] is None]
    assert [(a["unit_code"], a["target_unit"]) for a in community] == [(DAZHI_1, DAZHI)]


def test_the_twins_daily_step_records_estimated_consumption_never_more_than_held(city):
    from datetime import date

    from admitall.services.supply_watch import record_estimated_consumption

    occupy(city, "H1", "icu", 1)
    occupy(city, "H1", "severe", 2)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="protective_suit", quantity=20)  # 28 a day by rate
    move(city, HQ, "facility", "H1", kind="receipt", item_code="oxygen_cylinder", quantity=100)  # 12 a day
    occupy(city, "S1", "shelter", 3)  # goggles: 0.3 a shelter bed-day, 0.9 in all, used as 1 whole pair
    move(city, HQ, "facility", "S1", kind="receipt", item_code="goggles", quantity=10)
    assert record_estimated_consumption(city, date(2020, 2, 10)) == 3
    with city.uow() as uow:
        rows = {
            r.item_code: r
            for r in uow.conn.execute(select(supply_movements).where(supply_movements.c.kind == "consumption"))
        }
    assert rows["protective_suit"].quantity == -20 and rows["oxygen_cylinder"].quantity == -12
    assert rows["goggles"].quantity == -1
    assert all(r.estimated == 1 for r in rows.values())


def test_the_command_screen_counts_open_shortages_worst_first_within_the_unit(city, clock):
    from admitall.services.command import command_screen
    from admitall.services.watch import watch

    occupy(city, "H1", "icu", 1)
    move(city, HQ, "facility", "H1", kind="receipt", item_code="protective_suit", quantity=6)  # half a day
    move(city, HQ, "facility", "H1", kind="receipt", item_code="ventilator", quantity=1)
    watch(city)
    tile = command_screen(city, HQ)["supplies"]
    assert tile["short"] >= 2  # suits, and the oxygen, goggles, masks, kits it holds none of
    assert tile["worst"][0]["site_code"] == "H1" and tile["worst"][0]["item_names"]["en"]
    assert all(w["item_code"] != "ventilator" for w in tile["worst"])  # one per ICU bed: not short
    assert command_screen(city, JIANGAN_OFFICER)["supplies"] == {"short": 0, "worst": []}


def test_a_warehouse_belongs_to_a_unit_and_holds_stock_like_any_site(city):
    added = sup.add_warehouse(city, WUCHANG_OFFICER, "WH-WC-1", "武昌区一号仓库", WUCHANG)
    assert added == {"kind": "warehouse", "code": "WH-WC-1", "name": "武昌区一号仓库", "unit_code": WUCHANG}
    with pytest.raises(InvalidInput):
        sup.add_warehouse(city, HQ, "WH-WC-1", "again", CITY)
    with pytest.raises(NotFound):  # another district's unit
        sup.add_warehouse(city, JIANGAN_OFFICER, "WH-X", "x", WUCHANG)
    with pytest.raises(Forbidden):
        sup.add_warehouse(city, H1_DESK, "WH-D", "desk", WUCHANG_STREET)
    move(city, WUCHANG_OFFICER, "warehouse", "WH-WC-1", kind="receipt", item_code="goggles", quantity=50)
    move(
        city, WUCHANG_OFFICER, "warehouse", "WH-WC-1", kind="transfer", item_code="goggles", quantity=20,
        to_kind="facility", to_code="H1",
    )  # fmt: skip
    assert held(city, HQ, "warehouse", "WH-WC-1")["goggles"] == 30 and held(city, HQ, "facility", "H1")["goggles"] == 20
    with pytest.raises(NotFound):
        sup.site_stock(city, JIANGAN_OFFICER, "warehouse", "WH-WC-1")
    assert [w["code"] for w in sup.site_stock(city, HQ, "unit", WUCHANG)["warehouses"]] == ["WH-WC-1"]


def test_two_withdrawals_at_once_never_overdraw_the_stock(city):
    move(city, HQ, "unit", CITY, kind="receipt", item_code="test_kit", quantity=100)

    def take() -> str:
        try:
            move(city, HQ, "unit", CITY, kind="issue", item_code="test_kit", quantity=60, reason="lab")
            return "taken"
        except InvalidInput:
            return "refused"

    outcomes = at_once(4, take)
    assert outcomes == ["refused", "refused", "refused", "taken"]
    assert held(city, HQ, "unit", CITY)["test_kit"] == 40
