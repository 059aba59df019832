"""Counts a person can recount: on a scripted city, the command screen's open alerts and broken links, the
board's tile and the alerts page's total are the same number for every user, equal to a recount of the alerts
themselves; the pages go through them without gap or overlap; a unit outside the jurisdiction is not found."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitall.domain.errors import NotFound
from admitall.services import reporting, watch
from admitall.services.alert_inbox import acknowledge_many, inbox
from admitall.services.command import command_screen
from admitall.store.repositories.alert_states import state_of
from admitall.store.tables import alerts
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    WUCHANG,
    WUCHANG_1,
    YIYUAN_1,
    load_small_city,
    officer,
)
from tests.integration.test_reporting import HOUR, REPORTING_UNITS, TEN, at, send

USERS = [CITY, JIANGAN, DAZHI, DAZHI_1, WUCHANG]


@pytest.fixture
def city(ctx, clock):
    """Three hours: some units never report, one reports late, one reports a later period only; one alert is
    acknowledged."""
    load_small_city(ctx)
    silent = {DAZHI_1, WUCHANG_1, JIANGAN, YIYUAN_1}
    for n in range(3):
        at(clock, TEN + n * HOUR + timedelta(minutes=50))
        for unit in REPORTING_UNITS:
            if unit not in silent and not (unit == DAZHI_2 and n == 0):
                send(ctx, unit, TEN + n * HOUR)
        at(clock, TEN + (n + 1) * HOUR + timedelta(minutes=10))
        watch.watch(ctx)
    at(clock, TEN + 3 * HOUR + timedelta(minutes=20))
    send(ctx, YIYUAN_1, TEN + 2 * HOUR)  # late: resolves its running miss; DAZHI_2's expired when 11:00 came
    first = next(a for a in inbox(ctx, officer(CITY))["alerts"] if a["unit_code"] == WUCHANG_1)
    acknowledge_many(ctx, officer(CITY), [first["id"]])
    return ctx


def _recount(ctx, root: str) -> tuple[int, int]:
    """Open alerts about the subtree and the missing reports among them, walked row by row."""
    with ctx.uow() as uow:
        rows = [dict(r._mapping) for r in uow.conn.execute(alerts.select())]
    mine = [r for r in rows if r["unit_code"].startswith(root.rstrip("0")) and state_of(r) == "open"]
    return len(mine), sum(1 for r in mine if r["kind"] == "missing_report")


@pytest.mark.parametrize("root", USERS)
def test_the_screen_the_board_and_the_alerts_page_count_the_same_open_alerts(city, root):
    actor = officer(root)
    screen = command_screen(city, actor)["alerts"]
    page = inbox(city, actor)
    board = reporting.board(city, actor)
    assert (screen["open"], screen["broken_links"]) == _recount(city, root)
    assert page["total"] == page["open"] == board["open_alerts"] == screen["open"]
    missing = inbox(city, actor, kind="missing_report")
    assert missing["total"] == screen["broken_links"]


def test_a_broken_link_is_one_alert_however_long_it_lasts(city):
    per_unit = {}
    for a in inbox(city, officer(CITY), state="all", size=200)["alerts"]:
        per_unit.setdefault(a["unit_code"], []).append(a)
    assert [(a["periods_missed"], a["state"]) for a in per_unit[DAZHI_1]] == [(3, "open")]
    assert [a["state"] for a in per_unit[DAZHI_2]] == ["expired"]
    assert [a["state"] for a in per_unit[YIYUAN_1]] == ["resolved"]
    assert [a["state"] for a in per_unit[WUCHANG_1]] == ["acknowledged"]


def test_pages_go_through_every_alert_once_and_say_the_total(city):
    actor = officer(CITY)
    everything = inbox(city, actor, state="all", size=200)
    seen: list[int] = []
    page = 1
    while True:
        found = inbox(city, actor, state="all", page=page, size=2)
        assert found["total"] == everything["total"] and found["size"] == 2
        if not found["alerts"]:
            break
        seen.extend(a["id"] for a in found["alerts"])
        page += 1
    assert seen == [a["id"] for a in everything["alerts"]] and len(set(seen)) == everything["total"]
    assert page - 1 == found["pages"]


def test_a_unit_outside_the_jurisdiction_is_not_found_and_another_district_sees_none_of_yours(city):
    with pytest.raises(NotFound):
        inbox(city, officer(WUCHANG), unit=DAZHI)
    assert not [a for a in inbox(city, officer(WUCHANG), state="all")["alerts"] if a["unit_code"].startswith("420102")]
    assert {a["unit_code"] for a in inbox(city, officer(JIANGAN), unit=DAZHI)["alerts"]} <= {DAZHI, DAZHI_1, DAZHI_2}
