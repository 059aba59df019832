"""Figures of many reports counted together are each report's own: two levels whose periods start together but
end apart each count their own period's flows, and a period's flows are counted only for the levels that
report for it."""

from __future__ import annotations

from datetime import timedelta

from admitall.domain.reporting import Period
from admitall.services.reporting_figures import figures_for
from tests.factories import DAZHI_1, JIANGAN
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
    assert [s.count("FROM wait_segments") for s in counted] == [2, 0]  # the late counted once, at both levels
