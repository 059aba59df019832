"""One open alert per broken link: a unit late three periods in a row is one alert that says so, closed by the
report that answers it, expired into the record when a later period is reported, gone up the chain once per level
(never once per period), and every change to it sealed so that verification holds and catches a hand edit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from admitall.domain.errors import InvalidInput
from admitall.services import watch
from admitall.services.alert_inbox import acknowledge_many, inbox
from admitall.services.verify import verify
from admitall.store.repositories.alert_batch import change_alerts
from tests.factories import CITY, DAZHI, DAZHI_1, DAZHI_2, JIANGAN, load_small_city, officer
from tests.integration.test_reporting import HOUR, REPORTING_UNITS, TEN, at, send

DEADLINE = timedelta(minutes=10)  # an hourly report is late ten minutes after its period ends


@pytest.fixture
def chain(ctx):
    load_small_city(ctx)
    return ctx


def everyone_but(ctx, clock, missing: set[str], start) -> None:
    """Every reporting unit reports the period starting at `start` on time, except `missing`."""
    at(clock, start + timedelta(minutes=50))
    for unit in REPORTING_UNITS:
        if unit not in missing:
            send(ctx, unit, start)


def round_at(ctx, clock, moment) -> dict:
    at(clock, moment)
    return watch.watch(ctx)


def about(ctx, unit: str, state: str = "all", who: str = CITY) -> list[dict]:
    return [a for a in inbox(ctx, officer(who), state=state, size=200)["alerts"] if a["unit_code"] == unit]


def test_a_unit_late_three_periods_in_a_row_is_one_alert_that_says_three(chain, clock):
    for n in range(3):
        everyone_but(chain, clock, {DAZHI_1}, TEN + n * HOUR)
        done = round_at(chain, clock, TEN + (n + 1) * HOUR + DEADLINE)
        assert (done["raised"], done["running_misses_grown"]) == ((1, 0) if n == 0 else (0, 1))
    [alert] = about(chain, DAZHI_1)
    assert alert["periods_missed"] == 3
    assert (alert["period_start"], alert["last_period_start"]) == (TEN.isoformat(), (TEN + 2 * HOUR).isoformat())
    assert alert["state"] == "open"
    assert verify(chain)["problems"] == []


def test_the_report_of_the_missed_period_resolves_it_naming_the_report(chain, clock):
    everyone_but(chain, clock, {DAZHI_1}, TEN)
    round_at(chain, clock, TEN + HOUR + DEADLINE)
    at(clock, TEN + HOUR + timedelta(minutes=20))
    stored = send(chain, DAZHI_1, TEN)
    [alert] = about(chain, DAZHI_1)
    assert (alert["state"], alert["resolved_report"], alert["resolved_at"]) == (
        "resolved",
        stored["id"],
        clock.now().isoformat(),
    )
    assert about(chain, DAZHI_1, "open") == []
    assert verify(chain)["problems"] == []


def test_a_later_period_reported_while_an_older_one_is_missing_expires_it_into_the_record(chain, clock):
    everyone_but(chain, clock, {DAZHI_1}, TEN)
    round_at(chain, clock, TEN + HOUR + DEADLINE)
    at(clock, TEN + HOUR + timedelta(minutes=40))
    send(chain, DAZHI_1, TEN + HOUR)  # the 11:00 report, on time; 10:00 never came
    [alert] = about(chain, DAZHI_1)
    assert alert["state"] == "expired" and alert["expired_at"] == clock.now().isoformat()
    assert about(chain, DAZHI_1, "open") == []  # in nobody's inbox
    assert [a["id"] for a in about(chain, DAZHI_1, "expired")] == [alert["id"]]  # on the record
    done = round_at(chain, clock, TEN + 2 * HOUR + DEADLINE)
    assert about(chain, DAZHI_1, "open") == [] and done["raised"] >= 0  # the old miss is not raised again
    assert verify(chain)["problems"] == []


def test_a_round_expires_a_miss_a_report_left_behind_and_does_not_raise_the_old_miss_again(chain, clock):
    """The report came before the round raised the alert: the round raises nothing for a miss a later report
    already passed."""
    everyone_but(chain, clock, {DAZHI_1}, TEN)
    at(clock, TEN + HOUR + timedelta(minutes=5))
    send(chain, DAZHI_1, TEN + HOUR)  # before 10:00's deadline passed
    done = round_at(chain, clock, TEN + HOUR + DEADLINE)
    assert about(chain, DAZHI_1) == [] and done["raised"] == 0


def test_an_unanswered_miss_goes_up_once_per_level_not_once_per_period(chain, clock):
    for n in range(4):
        everyone_but(chain, clock, {DAZHI_1}, TEN + n * HOUR)
        round_at(chain, clock, TEN + (n + 1) * HOUR + DEADLINE)
    [alert] = about(chain, DAZHI_1)
    # raised to the street, one period later up to the district, then the city: there it stays
    assert (alert["responsible_unit"], alert["target_unit"], alert["step"], alert["periods_missed"]) == (
        DAZHI,
        CITY,
        2,
        4,
    )
    with chain.uow() as uow:
        rows = uow.conn.execute(text("SELECT count(*) FROM alerts WHERE unit_code = :u"), {"u": DAZHI_1}).scalar()
    assert rows == 1  # one row: no copy per period nor per level
    assert verify(chain)["problems"] == []


def test_an_acknowledged_miss_stops_growing_and_a_new_miss_after_it_is_a_new_alert(chain, clock):
    everyone_but(chain, clock, {DAZHI_1}, TEN)
    round_at(chain, clock, TEN + HOUR + DEADLINE)
    [alert] = about(chain, DAZHI_1)
    acknowledge_many(chain, officer(DAZHI), [alert["id"]], "网格员在入户")
    everyone_but(chain, clock, {DAZHI_1}, TEN + HOUR)
    done = round_at(chain, clock, TEN + 2 * HOUR + DEADLINE)
    assert (done["raised"], done["running_misses_grown"], done["escalated"]) == (1, 0, 0)
    first, second = sorted(about(chain, DAZHI_1), key=lambda a: a["period_start"])
    assert (first["state"], first["periods_missed"]) == ("acknowledged", 1)
    assert (second["state"], second["period_start"]) == ("open", (TEN + HOUR).isoformat())
    at(clock, TEN + 2 * HOUR + timedelta(minutes=30))
    send(chain, DAZHI_1, TEN + HOUR)  # 11:00 late: resolves the second; the first (10:00) expires
    states = {a["period_start"]: a["state"] for a in about(chain, DAZHI_1)}
    assert states == {TEN.isoformat(): "expired", (TEN + HOUR).isoformat(): "resolved"}
    assert verify(chain)["problems"] == []


def test_a_hand_edit_of_a_running_miss_is_caught(chain, clock):
    everyone_but(chain, clock, {DAZHI_1}, TEN)
    round_at(chain, clock, TEN + HOUR + DEADLINE)
    with chain.uow(write=True) as uow:
        uow.conn.execute(
            text("UPDATE alerts SET periods_missed = 1, expired_at = raised_at WHERE unit_code = :u"), {"u": DAZHI_1}
        )
        uow.commit()
    found = [p for p in verify(chain)["problems"] if p["table"] == "alerts"]
    assert [p["unit"] for p in found] == [DAZHI_1]


def test_acknowledging_several_acknowledges_those_allowed_and_names_each_refusal(chain, clock):
    everyone_but(chain, clock, {DAZHI_1, DAZHI_2, DAZHI}, TEN)
    round_at(chain, clock, TEN + HOUR + DEADLINE)
    ids = {a["unit_code"]: a["id"] for a in inbox(chain, officer(CITY))["alerts"]}
    street = officer(DAZHI)
    done = acknowledge_many(chain, street, [ids[DAZHI_1], ids[DAZHI_2], ids[DAZHI], 999_999])
    assert sorted(done["acknowledged"]) == sorted([ids[DAZHI_1], ids[DAZHI_2]])
    refused = {x["id"]: x["code"] for x in done["refused"]}
    # its own alert is the district's to acknowledge; an alert that does not exist is not found
    assert refused == {ids[DAZHI]: "alert.not_yours", 999_999: "alert.not_found"}
    again = acknowledge_many(chain, street, [ids[DAZHI_1]])
    assert again["acknowledged"] == [] and again["refused"][0]["code"] == "alert.not_open"
    assert acknowledge_many(chain, officer(JIANGAN), [ids[DAZHI]])["acknowledged"] == [ids[DAZHI]]
    with pytest.raises(InvalidInput):
        acknowledge_many(chain, street, [])
    assert verify(chain)["problems"] == []


def test_the_button_rule_and_the_service_agree_for_every_alert_and_user(chain, clock):
    """may_acknowledge (what the page shows) is exactly what acknowledge_many accepts, for every user of every
    unit and every alert they see."""
    everyone_but(chain, clock, set(REPORTING_UNITS[::2]), TEN)
    round_at(chain, clock, TEN + HOUR + DEADLINE)
    units = [CITY, *REPORTING_UNITS]
    shown = {u: {a["id"]: a["may_acknowledge"] for a in inbox(chain, officer(u), size=200)["alerts"]} for u in units}
    assert any(any(v.values()) for v in shown.values()) and any(not all(v.values()) for v in shown.values() if v)
    for unit in units:
        for alert_id, may in shown[unit].items():
            assert _try(chain, unit, alert_id) == may, (unit, alert_id)


def _try(ctx, unit: str, alert_id: int) -> bool:
    """Whether the service acknowledges the alert for an officer of the unit (undone after, sealed as it was, so
    that the next user meets it open)."""
    done = acknowledge_many(ctx, officer(unit), [alert_id])
    if done["acknowledged"]:
        with ctx.uow(write=True) as uow:
            row = uow.reports.alert(alert_id)
            assert row is not None
            undone = {"acknowledged_at": None, "acknowledged_by": None, "ack_note": None}
            change_alerts(uow.conn, uow.keys, [(row, undone)])
            uow.commit()
    return bool(done["acknowledged"])
