"""A batch of reports costs what it writes: the statements of `submit_many` do not grow with the number of
reports (a statement per table, never one per report, nor per running missing-report alert it answers), and
a report attested as drafted has its figures counted once, for what it states and what the registry holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admitall.services import reporting, watch
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting_rules import check_figures
from admitall.services.units import import_units
from admitall.services.verify import verify
from admitall.store.repositories.alert_states import UNSETTLED
from admitall.store.repositories.reports import MISSING_REPORT
from admitall.store.tables import alerts, reports
from tests.factories import DAZHI, id_number, load_small_city, person_row
from tests.integration.test_reporting_batch import HOUR, TEN, officer, report
from tests.integration.test_watch_incremental import statements

EXTRA = [f"{DAZHI[:9]}{n:03d}" for n in range(101, 141)]  # forty more communities of the street


@pytest.fixture
def city(ctx, clock):
    """The small city with forty more communities, people found in some of them, and every community's report
    of the hour before TEN missed: each has a running missing-report alert when TEN's period closes."""
    clock.set(TEN - 3 * HOUR)
    load_small_city(ctx)
    rows = [(n + 2, {"code": code, "name": f"新社区{n}"}) for n, code in enumerate(EXTRA)]
    assert import_units(ctx, cli_actor(), rows).accepted == len(EXTRA)
    reporting.set_schedule(ctx, cli_actor(), "community", period_minutes=60, grace_minutes=10)
    clock.set(TEN - HOUR + timedelta(minutes=10))
    people = [
        person_row(
            name=f"人{i}",
            id_number=id_number(seq=i),
            phone=f"1381234{i:04d}",
            unit_code=EXTRA[i % len(EXTRA)],
            category=("contact", "suspected", "fever")[i % 3],
            identified_at="2020-02-10 09:05",
        )
        for i in range(60)
    ]
    register_batch(ctx, cli_actor(), list(enumerate(people, start=2)), source="t")
    clock.set(TEN + timedelta(minutes=15))  # the hour before TEN is past its grace: the watch finds it missing
    watch.watch(ctx)
    clock.set(TEN + HOUR + timedelta(minutes=5))
    return ctx


def _running(ctx, units: list[str]) -> int:
    with ctx.uow() as uow:
        query = select(alerts.c.id).where(alerts.c.kind == MISSING_REPORT, alerts.c.unit_code.in_(units), UNSETTLED)
        return len(uow.conn.execute(query).all())


def _submit_counted(ctx, units: list[str]) -> int:
    batch = [report(u, TEN, reported={}, as_drafted=True, idempotency_key=f"k-{u}") for u in units]
    with statements(ctx) as seen:
        result = reporting.submit_many(ctx, officer(), batch)
    assert result["stored"] == len(units), result
    return len(seen)


def test_a_batchs_statements_do_not_grow_with_its_reports_nor_with_the_missing_alerts_they_answer(city):
    few, many = EXTRA[:4], EXTRA[4:]
    assert _running(city, EXTRA) == len(EXTRA)  # each community has its running miss to be answered
    small = _submit_counted(city, few)
    large = _submit_counted(city, many)
    assert large == small, (small, large)
    assert _running(city, EXTRA) == 0  # every running miss answered: the period TEN came after it
    with city.uow() as uow:
        settled = uow.conn.execute(
            select(alerts.c.unit_code, alerts.c.expired_at).where(
                alerts.c.kind == MISSING_REPORT, alerts.c.unit_code.in_(EXTRA)
            )
        ).all()
    assert {u for u, expired in settled if expired is not None} == set(EXTRA)  # a later period: expired
    assert verify(city)["ok"] is True


def test_a_report_of_the_missed_period_resolves_its_alert_by_that_report_in_a_batch(city):
    units = EXTRA[:10]
    result = reporting.submit_many(city, officer(), [report(u, TEN - HOUR) for u in units])
    assert result["stored"] == len(units)
    ids = {r["unit_code"]: r["id"] for r in result["results"]}
    with city.uow() as uow:
        found = uow.conn.execute(
            select(alerts.c.unit_code, alerts.c.resolved_report, alerts.c.resolved_at).where(
                alerts.c.kind == MISSING_REPORT, alerts.c.unit_code.in_(units)
            )
        ).all()
    assert {u: r for u, r, _ in found} == ids
    assert all(at is not None for _, _, at in found)
    assert verify(city)["ok"] is True


def test_an_alert_changed_since_the_batch_read_it_is_read_again_and_settled(city, clock):
    unit = EXTRA[0]
    with city.uow(write=True) as uow:
        running = uow.reports.running_misses([unit])
        stale = {unit: [{**running[unit][0], "seal": "changed by the watch meanwhile"}]}
        assert uow.reports.settle_missing([(unit, TEN, 1)], clock.now(), stale) == 1
        uow.commit()
    assert _running(city, [unit]) == 0
    assert verify(city)["ok"] is True


def test_a_report_attested_as_drafted_states_the_registrys_figures_counted_once(city):
    unit = EXTRA[0]
    with statements(city) as seen:
        result = reporting.submit_many(city, officer(), [report(unit, TEN - HOUR, reported={}, as_drafted=True)])
    assert result["stored"] == 1
    flows = [s for s in seen if "event_flows" in s]
    assert len(flows) == 1  # one period, one count for both what is stated and what the registry holds
    with city.uow() as uow:
        row = uow.conn.execute(select(reports.c.reported, reports.c.registry).where(reports.c.unit_code == unit)).one()
    assert row.reported == check_figures(row.registry)  # what a reporter would state, prefilled from the draft
    assert sum(row.registry["found"].values()) > 0
    one = reporting.submit(city, officer(), report(EXTRA[1], TEN - HOUR, reported={}, as_drafted=True))
    assert one["reported"]["waiting"] == {k: v for k, v in one["registry"]["waiting"].items()}
    assert one["discrepancies"] == []


def test_a_report_attested_as_drafted_that_also_states_figures_is_refused(city):
    result = reporting.submit_many(
        city, officer(), [report(EXTRA[0], TEN - HOUR, reported={"admitted": 1}, as_drafted=True)]
    )
    assert result["results"][0]["error"]["code"] == "report.drafted_and_stated"
