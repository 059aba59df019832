"""The hourly reporting chain with an injected clock: timeliness by the server's receipt time, alerts at the
deadline and their escalation, completeness rolled up, corrections, problems, and tamper evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from admitall.domain.access import Role
from admitall.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from admitall.services import reporting, watch
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from admitall.services.verify import verify
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    WUCHANG,
    WUCHANG_1,
    WUCHANG_STREET,
    YIYUAN,
    YIYUAN_1,
    id_number,
    load_small_city,
    person_row,
)

TEN = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)  # 10:00 in Wuhan: the clock's start, when the units were set up
HOUR = timedelta(hours=1)
REPORTING_UNITS = [JIANGAN, DAZHI, DAZHI_1, DAZHI_2, YIYUAN, YIYUAN_1, WUCHANG, WUCHANG_STREET, WUCHANG_1]


def officer(unit: str = CITY) -> Actor:
    return Actor(f"officer-{unit}", Role.UNIT_OFFICER, unit)


@pytest.fixture
def chain(ctx):
    load_small_city(ctx)
    return ctx


def send(ctx, unit: str, start: datetime = TEN, **kw) -> dict:
    fields = {"reported": {}, "attested_by": "值班员", "attest": True, **kw}
    return reporting.submit(ctx, officer(), ReportInput(unit_code=unit, period_start=start, **fields))


def at(clock, moment: datetime) -> None:
    clock.set(moment)


def test_a_report_at_nine_past_is_on_time_and_at_eleven_past_late(chain, clock):
    at(clock, TEN + HOUR + timedelta(minutes=9))
    assert send(chain, DAZHI_1)["on_time"] is True
    at(clock, TEN + HOUR + timedelta(minutes=11))
    assert send(chain, DAZHI_2)["on_time"] is False


def test_the_time_that_counts_is_the_servers(chain, clock):
    at(clock, TEN + HOUR + timedelta(minutes=30))
    stored = send(chain, DAZHI_1, reported={"received_at": "2020-02-10T03:05:00+00:00"})
    assert stored["on_time"] is False and stored["received_at"] == clock.now().isoformat()


def test_a_missing_report_raises_an_alert_at_the_deadline_and_escalates_after_one_period(chain, clock):
    for unit in REPORTING_UNITS:
        if unit != DAZHI_1:
            at(clock, TEN + timedelta(minutes=50))
            send(chain, unit)
    at(clock, TEN + HOUR + timedelta(minutes=9))
    assert watch.watch(chain)["raised"] == 0
    at(clock, TEN + HOUR + timedelta(minutes=10))
    assert watch.watch(chain)["raised"] == 1
    alerts = watch.inbox(chain, officer(DAZHI))["alerts"]
    assert [(a["unit_code"], a["target_unit"], a["step"]) for a in alerts] == [(DAZHI_1, DAZHI, 0)]
    at(clock, TEN + 2 * HOUR + timedelta(minutes=10))
    round_two = watch.watch(chain)
    assert round_two["escalated"] == 1
    mine = [
        (a["period_start"], a["last_period_start"], a["target_unit"], a["step"], a["periods_missed"])
        for a in watch.inbox(chain, officer(JIANGAN))["alerts"]
        if a["unit_code"] == DAZHI_1
    ]
    # one alert, gone one level up; the 11:00 report is missing too: the same alert now counts two periods
    assert mine == [(TEN.isoformat(), (TEN + HOUR).isoformat(), JIANGAN, 1, 2)]
    again = watch.watch(chain)
    assert (again["raised"], again["escalated"], again["running_misses_grown"]) == (0, 0, 0)  # nothing twice


def test_an_acknowledged_alert_stops_escalating(chain, clock):
    at(clock, TEN + HOUR + timedelta(minutes=10))
    watch.watch(chain)
    alert = next(a for a in watch.inbox(chain, officer(DAZHI))["alerts"] if a["unit_code"] == DAZHI_1)
    acknowledged = watch.acknowledge(chain, officer(DAZHI), alert["id"], note="电话联系，网格员在入户")
    assert acknowledged["acknowledged_by"] == f"officer-{DAZHI}"
    at(clock, TEN + 2 * HOUR + timedelta(minutes=10))
    watch.watch(chain)
    first_period = [
        a
        for a in watch.inbox(chain, officer(CITY), open_only=False)["alerts"]
        if a["unit_code"] == DAZHI_1 and a["period_start"] == TEN.isoformat()
    ]
    assert [a["step"] for a in first_period] == [0]
    with pytest.raises(Forbidden):
        watch.acknowledge(chain, Actor("analyst", Role.ANALYST, CITY), alert["id"])


def test_a_late_report_stops_the_escalation(chain, clock):
    at(clock, TEN + HOUR + timedelta(minutes=10))
    watch.watch(chain)
    at(clock, TEN + HOUR + timedelta(minutes=30))
    send(chain, DAZHI_1)
    at(clock, TEN + 2 * HOUR + timedelta(minutes=10))
    watch.watch(chain)
    mine = [
        a
        for a in watch.inbox(chain, officer(CITY), state="all")["alerts"]
        if a["unit_code"] == DAZHI_1 and a["period_start"] == TEN.isoformat()
    ]
    assert [(a["step"], a["state"], a["resolved_report"] is not None) for a in mine] == [(0, "resolved", True)]
    still_open = [a["period_start"] for a in watch.inbox(chain, officer(CITY))["alerts"] if a["unit_code"] == DAZHI_1]
    assert still_open == [(TEN + HOUR).isoformat()]  # the 11:00 report is missing: a new alert, the old one closed


def test_completeness_of_a_district_is_what_its_streets_and_communities_did(chain, clock):
    at(clock, TEN + timedelta(minutes=55))
    for unit in (JIANGAN, DAZHI, DAZHI_1):
        send(chain, unit)
    at(clock, TEN + HOUR + timedelta(minutes=20))
    send(chain, YIYUAN)  # late
    figures = reporting.completeness(chain, officer(CITY), JIANGAN, hours=2)
    # Jiangan's subtree: the district, two streets, three communities → 6 expected for the 10:00 period
    assert (figures["expected"], figures["received"], figures["on_time"]) == (6, 4, 3)
    by_child = {c["prefix"]: c for c in figures["children"]}
    assert (by_child[DAZHI[:9]]["expected"], by_child[DAZHI[:9]]["received"]) == (3, 2)
    assert (by_child[YIYUAN[:9]]["received"], by_child[YIYUAN[:9]]["on_time"]) == (1, 0)
    city = reporting.completeness(chain, officer(CITY), hours=2)
    assert city["expected"] == 9 and city["received"] == 4


def test_a_correction_is_a_new_version_and_keeps_the_original(chain, clock):
    at(clock, TEN + timedelta(minutes=30))
    first = send(chain, DAZHI_1, field={"households_screened": 120})
    with pytest.raises(Conflict, match="correct"):
        send(chain, DAZHI_1)
    with pytest.raises(InvalidInput, match="reason"):
        send(chain, DAZHI_1, supersedes=first["id"])
    second = send(
        chain, DAZHI_1, field={"households_screened": 210}, supersedes=first["id"], correction_reason="漏报了3号楼"
    )
    assert (second["version"], second["supersedes"]) == (2, first["id"])
    versions = reporting.history(chain, officer(), DAZHI_1, TEN.isoformat())["versions"]
    assert [(v["version"], v["field"]["households_screened"]) for v in versions] == [(1, 120), (2, 210)]


def test_the_same_idempotency_key_stores_one_report(chain, clock):
    at(clock, TEN + timedelta(minutes=30))
    first = send(chain, DAZHI_1, idempotency_key="k-1")
    again = send(chain, DAZHI_1, idempotency_key="k-1")
    assert (first["outcome"], again["outcome"], again["id"]) == ("stored", "duplicate", first["id"])
    assert len(reporting.history(chain, officer(), DAZHI_1, TEN.isoformat())["versions"]) == 1


@pytest.mark.parametrize(
    ("unit", "start", "who", "error", "code"),
    [
        (DAZHI_1, TEN + HOUR, None, InvalidInput, "report.future_period"),
        (DAZHI_1, TEN - 30 * HOUR, None, InvalidInput, "report.period_closed"),
        (DAZHI_1, TEN + timedelta(minutes=7), None, InvalidInput, "report.bad_period"),
        (WUCHANG_1, TEN, DAZHI, NotFound, "unit.not_found"),
        (CITY, TEN, None, InvalidInput, "report.level_does_not_report"),
    ],
)
def test_reports_that_cannot_be_taken_are_refused_with_the_reason(chain, clock, unit, start, who, error, code):
    at(clock, TEN + timedelta(minutes=30))
    with pytest.raises(error) as e:
        reporting.submit(chain, officer(who or CITY), ReportInput(unit, start, {}, "值班员", True))
    assert e.value.code == code


def test_a_report_without_attestation_is_refused(chain, clock):
    at(clock, TEN + timedelta(minutes=30))
    with pytest.raises(InvalidInput, match="attest"):
        reporting.submit(chain, officer(), ReportInput(DAZHI_1, TEN, {}, "", False))


def test_figures_that_disagree_with_the_registry_are_discrepancies_with_both_numbers(chain, clock):
    rows = [
        person_row(
            name=f"人{i}",
            id_number=id_number(seq=i),
            phone=f"1381234{i:04d}",
            category="contact",
            identified_at="2020-02-10 10:20",
        )
        for i in range(10)
    ]
    at(clock, TEN + timedelta(minutes=25))
    register_batch(chain, cli_actor(), list(enumerate(rows, start=2)), source="t")
    at(clock, TEN + timedelta(minutes=40))
    draft = reporting.draft(chain, officer(), DAZHI_1)
    assert draft["figures"]["found"] == {"contact": 10, "total": 10}
    stored = send(chain, DAZHI_1, reported={"found": {"contact": 4, "total": 4}, "waiting": {"contact": 10}})
    assert {(d["figure"], d["reported"], d["registry"]) for d in stored["discrepancies"]} == {
        ("found.contact", 4, 10),
        ("found.total", 4, 10),
    }
    shown = reporting.discrepancies(chain, officer(DAZHI))["discrepancies"]
    assert {d["figure"] for d in shown} == {"found.contact", "found.total"}


def test_a_problem_that_needs_help_is_owned_above_escalates_and_needs_a_note_to_close(chain, clock):
    at(clock, TEN + timedelta(minutes=30))
    send(
        chain,
        DAZHI_1,
        problems=[
            {"type": "transport", "severity": "high", "description": "两名密接无车转运", "needs_help": True},
            {"type": "supplies", "severity": "low", "description": "口罩够用两天"},
        ],
    )
    open_items = watch.problems(chain, officer(DAZHI))["problems"]
    assert [(p["owner_unit"], p["status"]) for p in open_items] == [(DAZHI, "open")]
    at(clock, TEN + timedelta(hours=2, minutes=31))  # high severity: due in 2 hours
    assert watch.watch(chain)["problems_escalated"] == 1
    item = watch.problems(chain, officer(CITY))["problems"][0]
    assert (item["owner_unit"], item["escalations"]) == (JIANGAN, 1)
    with pytest.raises(InvalidInput):
        watch.resolve_problem(chain, officer(JIANGAN), item["id"], "")
    from admitall.domain.errors import NotFound

    with pytest.raises(NotFound):  # the street no longer owns it
        watch.resolve_problem(chain, officer(DAZHI), item["id"], "派车")
    assert watch.resolve_problem(chain, officer(JIANGAN), item["id"], "区里调派两辆转运车")["status"] == "resolved"


def test_only_one_runner_watches_at_a_time(chain, clock):
    with chain.uow(write=True) as uow:
        assert uow.reports.take_lease(watch.JOB, "other-server", clock.now(), timedelta(minutes=2))
        uow.commit()
    assert watch.watch(chain, holder="this-server") == {"ran": False, "reason": "another runner holds the lease"}
    at(clock, clock.now() + timedelta(minutes=3))  # the other's lease ran out
    assert watch.watch(chain, holder="this-server")["ran"] is True


def test_verification_names_a_row_changed_directly_in_the_database(chain, clock):
    at(clock, TEN + timedelta(minutes=30))
    register_batch(chain, cli_actor(), [(2, person_row())], source="t")
    report = send(chain, DAZHI_1, field={"households_screened": 40})
    assert verify(chain)["ok"] is True
    with chain.engine.begin() as conn:
        conn.execute(text("UPDATE person_events SET actor = 'someone else'"))
        conn.execute(text("UPDATE reports SET attested_by = '别人' WHERE id = :i"), {"i": report["id"]})
        conn.execute(text("UPDATE persons SET status = 'contact'"))
    result = verify(chain)
    assert not result["ok"]
    tables = {(p["table"], p.get("id")) for p in result["problems"]}
    assert ("reports", report["id"]) in tables
    assert any(t == "person_events" for t, _ in tables)
    assert any(t == "persons" for t, _ in tables)


def test_a_report_whose_period_is_given_in_local_time_still_verifies(chain, clock):
    at(clock, TEN + timedelta(minutes=5))
    local = (TEN - HOUR).astimezone(chain.settings.tz)  # 09:00+08:00, the same moment as 01:00Z
    report = send(chain, DAZHI_1, start=local)
    assert report["period_start"] == (TEN - HOUR).isoformat()
    assert verify(chain)["ok"] is True


def test_the_draft_counts_who_waits_how_long_and_who_is_past_their_target(chain, clock):
    at(clock, TEN + timedelta(minutes=20))  # 10:20 in Wuhan
    rows = [
        person_row(id_number=id_number(seq=201), category="confirmed", severity="critical"),  # since 08:00
        person_row(id_number=id_number(seq=202), category="contact", identified_at="2020-02-10 09:30"),
        person_row(id_number=id_number(seq=203), category="confirmed", severity="mild", unit_code=WUCHANG_1),
    ]
    register_batch(chain, cli_actor(), list(enumerate(rows, start=2)), source="t")
    figures = reporting.draft(chain, officer(), DAZHI)["figures"]
    assert figures["waiting"] == {"confirmed": 1, "contact": 1, "total": 2}
    assert figures["waiting_confirmed_by_severity"] == {"critical": 1}
    assert figures["oldest_wait_hours"] == 2.3
    assert figures["sla_breaches"] == 1  # the critical patient (target 1 h); the contact has 24 h
    city = reporting.draft(chain, officer(), JIANGAN)["figures"]
    assert city["waiting"]["total"] == 2 and reporting.draft(chain, officer(), WUCHANG)["figures"]["sla_breaches"] == 0
