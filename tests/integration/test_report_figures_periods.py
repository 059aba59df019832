"""Figures of many reports counted together are each report's own: two levels whose periods start together but
end apart each count their own period's flows, and a period's flows are counted only for the levels that
report for it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import and_, func, or_, select

from admitall.domain.people import Status
from admitall.domain.policy import PriorityClass
from admitall.domain.reporting import Period
from admitall.services import reporting
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from admitall.services.reporting_figures import CLASS_BY_STATUS, figures_for
from admitall.store.tables import persons
from admitall.store.tables_accountability import wait_segments
from tests.factories import DAZHI_1, JIANGAN, id_number, load_small_city, officer, person_row
from tests.integration.test_registry_figures import TEN, build
from tests.integration.test_watch_incremental import statements


def test_periods_that_start_together_but_end_apart_each_count_their_own_flows(ctx, clock):
    city = build(ctx, clock)
    short = Period(TEN, TEN + timedelta(minutes=20), TEN + timedelta(minutes=30))
    hour = Period(TEN, TEN + timedelta(hours=1), TEN + timedelta(hours=1, minutes=10))
    now = clock.now()
    with city.uow() as uow:
        together = figures_for(uow.conn, city.policy, [(DAZHI_1, short), (JIANGAN, hour)], now)
        alone_short = figures_for(uow.conn, city.policy, [(DAZHI_1, short)], now)
        alone_hour = figures_for(uow.conn, city.policy, [(JIANGAN, hour)], now)
    assert together[(DAZHI_1, TEN)] == alone_short[(DAZHI_1, TEN)]
    assert together[(JIANGAN, TEN)] == alone_hour[(JIANGAN, TEN)]
    assert together[(DAZHI_1, TEN)]["found"]["total"] == 2  # 10:05 and 10:15
    assert together[(JIANGAN, TEN)]["found"]["total"] == 4  # and 10:30 and 10:40 (the 09:10 was before TEN)


def test_a_periods_flows_are_summed_only_for_the_levels_that_report_for_it(ctx, clock):
    city = build(ctx, clock)
    first = Period(TEN, TEN + timedelta(hours=1), TEN + timedelta(hours=1, minutes=10))
    earlier = Period(TEN - timedelta(hours=1), TEN, TEN + timedelta(minutes=10))
    with statements(city) as seen, city.uow() as uow:
        figures_for(uow.conn, city.policy, [(DAZHI_1, first), (JIANGAN, earlier)], clock.now())
    counted = [s for s in seen if "event_flows" in s]
    assert len(counted) == 2  # one statement a period
    assert [s.count("FROM event_flows") for s in counted] == [1, 1]  # each period's flows summed at one level only
    # the late from the waiting index: no wait segment read while the confirmed classes share one target
    assert [s.count("wait_segments") for s in counted] == [0, 0]


def _segments_late(city, policy, now) -> int:
    """The late counted the long way: every waiting person's open wait segment against its class's cutoff."""
    w, p = wait_segments.c, persons.c
    late = or_(*(and_(w.priority_class == cls.value, w.wait_started_at < now - sla) for cls, sla in policy.sla.items()))
    query = (
        select(func.count())
        .select_from(wait_segments.join(persons, p.id == w.person_id))
        .where(w.ended_at.is_(None), p.placement == "waiting", late)
    )
    with city.uow() as uow:
        return int(uow.conn.execute(query).scalar_one())


@pytest.mark.parametrize(("confirmed", "at_risk", "late"), [(24, 24, 0), (24, 4, 1), (4, 24, 1), (4, 4, 2)])
def test_the_late_counted_from_the_waiting_index_are_those_of_their_open_wait_segments(
    ctx, clock, confirmed, at_risk, late
):
    """A confirmed patient neither severe nor critical is late by the target of their class, which depends on
    their age and risks: when the two targets differ, those who waited between them are looked up."""
    rows = [
        person_row(
            name=f"人{i}",
            id_number=id_number(born=born, seq=i),
            phone=f"1381234{i:04d}",
            unit_code=DAZHI_1,
            category=category,
            severity=severity,
            identified_at="2020-02-10 03:00",
        )
        for i, (category, severity, born) in enumerate(
            [
                ("confirmed", "mild", date(1940, 1, 1)),  # elderly: confirmed_risk
                ("confirmed", "moderate", date(1990, 1, 1)),  # confirmed
                ("suspected", None, date(1990, 1, 1)),
            ]
        )
    ]
    load_small_city(ctx)
    clock.set(TEN + timedelta(minutes=50))  # they have waited 7 h 50 min
    register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="t")
    sla = {**ctx.policy.sla, PriorityClass.CONFIRMED: timedelta(hours=confirmed)}
    policy = replace(ctx.policy, sla={**sla, PriorityClass.CONFIRMED_RISK: timedelta(hours=at_risk)})
    period = Period(TEN, TEN + timedelta(hours=1), TEN + timedelta(hours=1, minutes=10))
    now = clock.now()
    with ctx.uow() as uow:
        found = figures_for(uow.conn, policy, [(DAZHI_1, period), (JIANGAN, period)], now)
    assert found[(DAZHI_1, TEN)]["sla_breaches"] == late == _segments_late(ctx, policy, now)
    assert found[(JIANGAN, TEN)]["sla_breaches"] == late
    single = reporting.submit(ctx, officer(), ReportInput(DAZHI_1, TEN, {}, "值班员", True, as_drafted=True))
    assert single["registry"]["sla_breaches"] == _segments_late(ctx, ctx.policy, now) == 0


def test_the_statuses_classed_by_status_alone_are_those_of_the_policy(ctx):
    now = TEN
    for status in Status:
        if status is not Status.CONFIRMED:
            assert ctx.policy.classify_fields(status, None, frozenset(), None, now) == CLASS_BY_STATUS.get(status)
