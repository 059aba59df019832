"""The registry's figures of many reports are summed per unit of the level asked for by the database: what comes
back grows with the units that report, not with the communities below them or the people waiting there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event

from admitall.services.reporting_figures import _by_level, figures_for, parameters
from tests.factories import CITY, DAZHI, DAZHI_1, JIANGAN, WUCHANG, YIYUAN
from tests.integration.test_registry_figures import TEN, build, period


def _rows(ctx, statement, params):
    with ctx.uow() as uow:
        return list(uow.conn.execute(statement, params))


def test_a_districts_figures_come_back_as_one_row_per_district_and_category(ctx, clock):
    city = build(ctx, clock)
    p, now = period(), clock.now()
    rows = _rows(city, _by_level((6,), (6,)), parameters(CITY, city.policy, now, p))
    assert {r.unit for r in rows} <= {JIANGAN[:6], WUCHANG[:6]}
    waiting = [r for r in rows if r.part == "w"]
    assert len(waiting) == len({(r.unit, r.a, r.b) for r in waiting})  # one row per district, category, severity
    assert sum(int(r.n) for r in waiting if r.unit == JIANGAN[:6]) == 6


def test_figures_asked_at_several_levels_are_each_units_own_and_read_in_one_statement(ctx, clock):
    city = build(ctx, clock)
    p, now = period(), clock.now()
    seen: list[str] = []

    def count(*args):
        seen.append(args[2])

    with city.uow() as uow:
        event.listen(city.engine, "before_cursor_execute", count)
        try:
            together = figures_for(uow.conn, city.policy, [(u, p) for u in (JIANGAN, DAZHI, DAZHI_1, YIYUAN)], now)
        finally:
            event.remove(city.engine, "before_cursor_execute", count)
        alone = {u: figures_for(uow.conn, city.policy, [(u, p)], now)[(u, p.start)] for u in (JIANGAN, DAZHI)}
    assert len(seen) == 1
    assert together[(JIANGAN, p.start)] == alone[JIANGAN]
    assert together[(DAZHI, p.start)] == alone[DAZHI]
    assert together[(DAZHI_1, p.start)]["waiting"]["total"] == 3


def test_the_rolled_figures_still_read_the_waiting_from_their_index_alone(sqlite_ctx, clock):
    city = build(sqlite_ctx, clock)
    statement = _by_level((6, 12), (6, 12))
    params = parameters(CITY, city.policy, TEN, period())
    with city.uow() as uow:
        compiled = statement.compile(uow.conn)
        values = compiled.construct_params(params)
        bound = [v.isoformat() if isinstance(v, datetime) else v for v in (values[n] for n in compiled.positiontup)]
        plan = " | ".join(
            str(r[-1]) for r in uow.conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), tuple(bound))
        )
    assert "COVERING INDEX ix_persons_waiting_unit" in plan, plan
    assert "ix_event_flows_occurred_unit" in plan, plan
