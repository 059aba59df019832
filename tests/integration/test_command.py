"""The command screen's figures on a real database: each one equal to what its own area's service counts, the
most urgent waits first, the broken link in the chain named, nothing outside the jurisdiction, no personal data."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal, select, text

from admitall.domain.access import Role
from admitall.domain.errors import NotFound
from admitall.domain.units import level_of
from admitall.services import admission, people, reporting, watch
from admitall.services.backlog import backlog
from admitall.services.command import LIST_SIZE, command_screen
from admitall.services.command_chain import level_of_code
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    JIANGAN,
    WUCHANG,
    WUCHANG_1,
    id_number,
    load_small_city,
    load_small_facilities,
    person_row,
)

TEN = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
COMMANDER = Actor("commander", Role.COMMANDER, CITY)
DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)
REPORTING_UNITS = [JIANGAN, DAZHI, DAZHI_1, "420102002002", "420102003000", "420102003001", WUCHANG, "420106001000"]


def register(ctx, seq: int, **fields) -> int:
    row = person_row(name=f"病人{seq}", id_number=id_number(seq=seq), phone=f"139{seq:08d}", **fields)
    return register_batch(ctx, cli_actor(), [(2, row)], source="test").person_ids[2]


@pytest.fixture
def city(ctx, clock):
    """One patient in a bed, two critical patients and a contact waiting for hours, a fresh case waiting; every
    unit reports every hour from 10:00 except Wuchang's community (长春社区), whose reports the watch finds missing."""
    load_small_city(ctx)
    load_small_facilities(ctx)
    admitted = register(ctx, 1, category="confirmed", severity="mild")
    admission.allocate(ctx, DISPATCHER, commit=True)
    admission.desk_step(ctx, DISPATCHER, admitted, "depart")
    admission.desk_step(ctx, Actor("desk", Role.FACILITY_OFFICER, None, facility_code="S1"), admitted, "admit")
    clock.set(TEN + timedelta(minutes=20))
    ids = {
        "contact": register(ctx, 2, category="contact", unit_code=DAZHI_1),
        "critical": register(ctx, 3, category="confirmed", severity="critical", unit_code=WUCHANG_1),
        "critical2": register(ctx, 4, category="confirmed", severity="critical", unit_code=DAZHI_1),
    }
    for hour in range(4):
        clock.set(TEN + timedelta(hours=hour, minutes=50))
        for unit in REPORTING_UNITS:
            reporting.submit(
                ctx,
                Actor("officer", Role.UNIT_OFFICER, CITY),
                ReportInput(
                    unit_code=unit,
                    period_start=TEN + timedelta(hours=hour),
                    reported={},
                    attested_by="值班员",
                    attest=True,
                ),
            )
    clock.set(TEN + timedelta(hours=4, minutes=15))
    watch.watch(ctx)
    ids["fresh"] = register(ctx, 5, category="suspected", unit_code=DAZHI_1)
    return ids


def test_the_screen_shows_what_each_area_counts(ctx, city):
    screen = command_screen(ctx, COMMANDER)
    stock = people.stock(ctx, COMMANDER)
    assert screen["unit"]["code"] == CITY
    assert screen["categories"]["now"] == {
        s: stock["by_category"][s] for s in ("confirmed", "suspected", "fever", "contact")
    }
    assert screen["categories"]["total"] == stock["four_categories_total"] == 5
    back = backlog(ctx, COMMANDER)
    assert screen["backlog"]["stock"] == back["stock"]
    assert screen["backlog"]["sla_breaches"] == back["sla_breaches"]
    shelter = next(r for r in screen["beds"]["rows"] if r["bed_type"] == "shelter")
    assert shelter["occupied"] == 1
    assert sum(c["four_categories"] for c in screen["children"]) == 5


def test_critical_patients_head_the_longest_waits_before_longer_waiting_contacts(ctx, city):
    waits = command_screen(ctx, COMMANDER)["backlog"]["longest_waits"]
    assert [w["person_id"] for w in waits[:2]] == [city["critical"], city["critical2"]]
    assert waits[0]["past_sla"] is True and waits[0]["unit_name"] == "长春社区"
    assert waits[-1]["person_id"] == city["contact"]


def test_the_missing_report_is_a_broken_link_on_the_screen_above_it(ctx, city):
    screen = command_screen(ctx, COMMANDER, WUCHANG)
    assert screen["alerts"]["broken_links"] >= 1
    assert {a["unit_code"] for a in screen["alerts"]["items"]} == {WUCHANG_1}
    missing = {x["unit_code"] for x in screen["chain"]["late_or_missing"] if x["state"] == "missing"}
    assert WUCHANG_1 in missing
    named = next(x for x in screen["chain"]["late_or_missing"] if x["unit_code"] == WUCHANG_1)
    assert named["period_start"] == (TEN + timedelta(hours=3)).isoformat()  # the 13:00 hour, due at 14:10
    hour = next(h for h in screen["chain"]["by_hour"] if h["period_start"] == TEN.isoformat())
    assert hour["expected"] == hour["received"] + 1
    assert command_screen(ctx, COMMANDER, JIANGAN)["alerts"]["open"] == 0


def test_the_waiting_curve_ends_at_the_stock_now_and_counts_every_registration(ctx, city):
    screen = command_screen(ctx, COMMANDER)
    trend = screen["trend"]
    stock = screen["backlog"]["stock"]
    # a wait runs until admission: the curve counts those on their way to a bed too
    assert trend["waiting"][-1] == stock["waiting"] + stock["awaiting_transfer"] + stock["assigned_or_in_transit"]
    assert sum(trend["inflow"]) == 5
    assert sum(trend["admissions"]) == 1
    assert len(trend["hours"]) == len(trend["waiting"]) == 48


def test_a_district_officer_sees_the_district_and_nothing_beside_it(ctx, city):
    officer = Actor("jiangan", Role.UNIT_OFFICER, JIANGAN)
    screen = command_screen(ctx, officer)
    assert screen["unit"]["code"] == JIANGAN
    assert screen["categories"]["total"] == 4  # all but the critical patient in Wuchang
    assert all(c["code"].startswith("420102") for c in screen["children"])
    with pytest.raises(NotFound):
        command_screen(ctx, officer, WUCHANG)
    with pytest.raises(NotFound):
        command_screen(ctx, officer, CITY)


def test_the_screen_carries_no_names_id_numbers_or_phones(ctx, city):
    text = json.dumps(command_screen(ctx, COMMANDER), ensure_ascii=False)
    for seq in range(1, 6):
        assert f"病人{seq}" not in text
        assert id_number(seq=seq) not in text
        assert f"139{seq:08d}" not in text


def test_each_category_counts_who_came_into_it_today_and_the_day_before(ctx, city, clock):
    screen = command_screen(ctx, COMMANDER)
    assert screen["categories"]["entered"]["confirmed"] == {"last_24h": 3, "previous_24h": 0}
    assert screen["categories"]["entered"]["suspected"]["last_24h"] == 1
    clock.advance(timedelta(hours=24))
    later = command_screen(ctx, COMMANDER)["categories"]["entered"]
    assert later["confirmed"] == {"last_24h": 0, "previous_24h": 3}


def test_the_map_nests_streets_in_districts_with_who_waits_there_and_the_beds_there(ctx, city):
    regions = command_screen(ctx, COMMANDER)["map"]
    by_code = {r["code"]: r for r in regions}
    assert set(by_code) == {JIANGAN, WUCHANG}
    back = backlog(ctx, COMMANDER)["stock"]
    assert sum(r["waiting"] for r in regions) == back["waiting"]
    assert sum(s["waiting"] for s in by_code[JIANGAN]["children"]) == by_code[JIANGAN]["waiting"]
    assert sum(r["beds"] for r in regions) <= command_screen(ctx, COMMANDER)["beds"]["total"]["capacity"]


def assert_chain_agrees(ctx, root: str) -> None:
    """The screen's per-period counts for `root` equal those of the chain walked unit by unit."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        status = reporting.chain_status(ctx, uow, root, now - timedelta(hours=24), now, open_too=True)
    per_hour: dict[str, Counter[str]] = {}
    for (_code, start), state in status.items():
        per_hour.setdefault(start.isoformat(), Counter())[state] += 1
    rows = command_screen(ctx, COMMANDER, root)["chain"]["by_hour"]
    assert [h["period_start"] for h in rows] == sorted(per_hour)
    for h in rows:
        c = per_hour[h["period_start"]]
        assert (h["received"], h["on_time"], h["pending"]) == (c["on_time"] + c["late"], c["on_time"], c["pending"])
        assert h["expected"] == c["on_time"] + c["late"] + c["missing"]


@pytest.mark.parametrize("root", [CITY, JIANGAN, DAZHI])
def test_the_screens_chain_counts_agree_with_the_chain_walked_unit_by_unit(ctx, city, root):
    assert_chain_agrees(ctx, root)


@pytest.mark.parametrize("code", [CITY, JIANGAN, DAZHI, DAZHI_1, "420000000000", "420106001000"])
def test_the_database_reads_a_units_level_from_its_code_as_the_domain_does(ctx, code):
    with ctx.uow() as uow:
        found = uow.conn.execute(select(level_of_code(literal(code)))).scalar_one()
    assert found == level_of(code).value


def test_alerts_are_counted_in_full_and_a_late_report_closes_its_own(ctx, city, clock):
    before = command_screen(ctx, COMMANDER)["alerts"]
    with ctx.uow() as uow:
        unacknowledged = uow.conn.execute(
            text("SELECT count(*) FROM alerts WHERE acknowledged_at IS NULL AND resolved_at IS NULL")
        ).scalar_one()
    assert before["open"] == unacknowledged and len(before["items"]) == min(unacknowledged, LIST_SIZE)
    assert before["broken_links"] == before["open"]  # all of them are the missing community's reports
    reporting.submit(
        ctx,
        Actor("officer", Role.UNIT_OFFICER, CITY),
        ReportInput(unit_code=WUCHANG_1, period_start=TEN, reported={}, attested_by="值班员", attest=True),
    )
    after = command_screen(ctx, COMMANDER)["alerts"]
    assert after["open"] < before["open"]


def test_the_ranking_shows_the_best_and_worst_units_below_from_yesterdays_cards(ctx, city, clock):
    from admitall.services.scorecards import store_day

    clock.advance(timedelta(days=1))
    store_day(ctx, TEN.astimezone(ctx.settings.tz).date())
    ranking = command_screen(ctx, COMMANDER, JIANGAN)["ranking"]
    assert ranking["level"] == "street" and ranking["day"] == "2020-02-10"
    assert {e["subject"] for e in ranking["top"]} == {DAZHI, "420102003000"}
    assert [e["rank"] for e in ranking["top"]] == sorted(e["rank"] for e in ranking["top"])
    assert command_screen(ctx, COMMANDER, DAZHI_1)["ranking"] == {"level": None, "day": None, "top": [], "bottom": []}


def test_a_period_where_daily_and_hourly_levels_meet_counts_each_level_as_the_chain_does(ctx, city, clock):
    reporting.set_schedule(ctx, cli_actor(), "community", period_minutes=24 * 60, grace_minutes=60)
    # 01:15 on 11 February in Wuhan: the streets' 00:00 hour is due, the communities' day has just begun
    clock.set(datetime(2020, 2, 10, 17, 15, tzinfo=UTC))
    reporting.submit(
        ctx,
        Actor("officer", Role.UNIT_OFFICER, CITY),
        ReportInput(
            unit_code=DAZHI_1,
            period_start=datetime(2020, 2, 10, 16, 0, tzinfo=UTC),
            reported={},
            attested_by="值班员",
            attest=True,
        ),
    )
    for root in (CITY, JIANGAN, DAZHI):
        assert_chain_agrees(ctx, root)
    midnight = next(
        h
        for h in command_screen(ctx, COMMANDER)["chain"]["by_hour"]
        if h["period_start"] == "2020-02-10T16:00:00+00:00"
    )
    assert midnight["pending"] > 0 and midnight["received"] >= 1
