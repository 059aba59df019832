"""A province above the cities (issue 15 §5): imported with `admitall import units`, its cities reporting to it on
a schedule of their own, the command screen, scorecards and lists at province level for the province's HQ, and a
city's users still held to their city (the province and the other city answer 404)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.services import people, reporting, watch
from admitall.services.command import command_screen
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from admitall.services.scorecard_views import unit_card
from admitall.services.scorecards import store_day, today
from admitall.services.screen_cache import cached_command_screen
from admitall.services.units import import_units, import_units_file
from admitall.store.tables import alerts
from tests.factories import id_number, person_row

PROVINCE, WUHAN, HUANGSHI = "420000000000", "420100000000", "420200000000"
TREE = (
    (PROVINCE, "湖北省"),
    (WUHAN, "武汉市"),
    ("420102000000", "江岸区"),
    ("420102002000", "大智街道"),
    ("420102002001", "保成社区"),
    (HUANGSHI, "黄石市"),
    ("420202000000", "黄石港区"),
    ("420202001000", "沈家营街道"),
    ("420202001001", "胜阳港社区"),
)
HQ = Actor("province-hq", Role.COMMANDER, PROVINCE)
WUHAN_HQ = Actor("wuhan-hq", Role.COMMANDER, WUHAN)
WUHAN_OFFICER = Actor("wuhan-officer", Role.UNIT_OFFICER, WUHAN)
PROVINCE_ADMIN = Actor("province-admin", Role.ADMIN, PROVINCE)
WUHAN_ADMIN = Actor("wuhan-admin", Role.ADMIN, WUHAN)
TEN = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def province(ctx, clock, tmp_path: Path):
    """The province and two cities imported from a file, children listed before their parents; a contact in each
    city and a confirmed case in Huangshi."""
    clock.set(TEN)
    units_file = tmp_path / "units.csv"
    units_file.write_text("code,name\n" + "\n".join(f"{c},{n}" for c, n in reversed(TREE)) + "\n", encoding="utf-8")
    summary = import_units_file(ctx, cli_actor(), units_file)
    assert (summary.accepted, summary.rejected) == (len(TREE), 0)
    rows = [
        (2, person_row(name="甲", id_number=id_number(seq=1), phone="13900000001", unit_code="420102002001",
                       category="contact")),
        (3, person_row(name="乙", id_number=id_number(seq=2), phone="13900000002", unit_code="420202001001",
                       category="contact")),
        (4, person_row(name="丙", id_number=id_number(seq=3), phone="13900000003", unit_code="420202001001",
                       category="confirmed", severity="severe")),
    ]  # fmt: skip
    register_batch(ctx, cli_actor(), rows, source="test")
    return ctx


def test_a_city_without_its_province_in_the_tree_is_still_a_root_but_a_district_is_not(ctx):
    found = import_units(ctx, cli_actor(), [(2, {"code": HUANGSHI, "name": "黄石市"}),
                                            (3, {"code": "420302000000", "name": "茅箭区"})])  # fmt: skip
    assert (found.accepted, found.rejected) == (1, 1)


def test_the_province_hq_sees_its_cities_on_the_command_screen(province):
    screen = command_screen(province, HQ)
    assert screen["unit"]["code"] == PROVINCE
    assert [c["code"] for c in screen["children"]] == [WUHAN, HUANGSHI]
    by_city = {c["code"]: c for c in screen["children"]}
    assert (by_city[WUHAN]["four_categories"], by_city[HUANGSHI]["four_categories"]) == (1, 2)
    assert screen["categories"]["total"] == 3 and screen["categories"]["now"]["contact"] == 2
    assert [r["code"] for r in screen["map"]] == [WUHAN, HUANGSHI]  # no boundaries: the treemap's regions
    assert {c["code"] for r in screen["map"] for c in r["children"]} == {"420102000000", "420202000000"}
    # a city's screen from the province: the same figures its own HQ sees
    assert command_screen(province, HQ, WUHAN)["categories"] == command_screen(province, WUHAN_HQ)["categories"]


@pytest.mark.parametrize("actor", [WUHAN_HQ, WUHAN_OFFICER])
def test_a_city_user_is_held_to_the_city(province, actor):
    for code in (PROVINCE, HUANGSHI, "420202001001"):
        with pytest.raises(NotFound):
            command_screen(province, actor, code)
        with pytest.raises(NotFound):
            cached_command_screen(province, actor, code)
    assert command_screen(province, actor)["unit"]["code"] == WUHAN
    if actor.can(people.Permission.VIEW_PERSONS):
        assert {p["name"] for p in people.search_people(province, actor)["people"]} == {"甲"}
        with pytest.raises(NotFound):
            people.search_people(province, actor, unit=HUANGSHI)


def test_the_province_lists_every_city_s_people(province):
    officer = Actor("province-duty", Role.UNIT_OFFICER, PROVINCE)
    found = people.search_people(province, officer)
    assert found["total"] == 3 and {p["name"] for p in found["people"]} == {"甲", "乙", "丙"}
    assert people.search_people(province, officer, unit=HUANGSHI)["total"] == 2


def test_cities_report_to_the_province_on_their_own_schedule(province, clock):
    with pytest.raises(Forbidden):  # a city's administrator does not set every city's schedule
        reporting.set_schedule(province, WUHAN_ADMIN, "city", period_minutes=240, grace_minutes=30)
    schedules = reporting.set_schedule(province, PROVINCE_ADMIN, "city", period_minutes=240, grace_minutes=30)
    assert {"level": "city", "period_minutes": 240, "grace_minutes": 30} in schedules["schedules"]
    period = TEN.replace(hour=4)  # noon in Wuhan: a four-hour period starts there, after the units were imported
    clock.set(period + timedelta(hours=3, minutes=50))
    reporting.submit(
        province,
        Actor("wuhan-duty", Role.UNIT_OFFICER, WUHAN),
        ReportInput(unit_code=WUHAN, period_start=period, reported={}, attested_by="值班员", attest=True),
    )
    clock.set(period + timedelta(hours=4, minutes=31))
    watch.watch(province)
    with province.engine.connect() as conn:
        missing = conn.execute(
            select(alerts.c.unit_code, alerts.c.target_unit).where(
                alerts.c.kind == "missing_report", alerts.c.unit_code.in_([WUHAN, HUANGSHI])
            )
        ).all()
    assert [tuple(m) for m in missing] == [(HUANGSHI, PROVINCE)]  # Wuhan reported; Huangshi is told, and the province


def test_a_city_schedule_needs_a_province_above_the_cities(ctx):
    import_units(ctx, cli_actor(), [(2, {"code": WUHAN, "name": "武汉市"})])
    with pytest.raises(InvalidInput):
        reporting.set_schedule(ctx, cli_actor(), "city", period_minutes=60, grace_minutes=10)


def test_scorecards_at_province_level_rank_the_cities(province, clock):
    clock.set(TEN + timedelta(hours=6))
    store_day(province, today(province))
    card = unit_card(province, HQ, PROVINCE)
    assert card["subject"]["level"] == "province"
    assert [c["code"] for c in card["children"]] == [WUHAN, HUANGSHI]
    with pytest.raises(NotFound):
        unit_card(province, WUHAN_HQ, PROVINCE)
    with pytest.raises(NotFound):
        unit_card(province, WUHAN_HQ, HUANGSHI)
