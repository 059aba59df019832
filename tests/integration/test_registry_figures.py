"""The registry's figures for reports, counted for many units at once (services.reporting_figures): the same as
each unit's own, one statement for a period whatever the number of units, and found by index."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from admitall.domain.access import Role
from admitall.domain.reporting import DEFAULT_SCHEDULES, period_containing
from admitall.domain.units import UnitLevel
from admitall.services import reporting
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting_figures import _ALL, _params, common_root, figures_for
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

TEN = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)  # 10:00 in Wuhan
UNITS = [JIANGAN, DAZHI, DAZHI_1, DAZHI_2, YIYUAN, YIYUAN_1, WUCHANG, WUCHANG_STREET, WUCHANG_1]
PEOPLE = [
    (DAZHI_1, "contact", None, "2020-02-10 10:05"),
    (DAZHI_1, "confirmed", "critical", "2020-02-10 08:00"),
    (DAZHI_1, "confirmed", "mild", "2020-02-10 10:15"),
    (DAZHI_2, "fever", None, "2020-02-10 10:30"),
    (DAZHI, "suspected", None, "2020-02-10 09:10"),  # registered at the street itself
    (YIYUAN_1, "contact", None, "2020-02-10 10:40"),
    (WUCHANG_1, "confirmed", "severe", "2020-02-09 20:00"),
]


def build(ctx, clock):
    load_small_city(ctx)
    rows = [
        person_row(
            name=f"人{i}",
            id_number=id_number(seq=i),
            phone=f"1381234{i:04d}",
            unit_code=unit,
            category=category,
            severity=severity,
            identified_at=at,
        )
        for i, (unit, category, severity, at) in enumerate(PEOPLE)
    ]
    clock.set(TEN + timedelta(minutes=50))
    register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="t")
    return ctx


@pytest.fixture
def city(ctx, clock):
    return build(ctx, clock)


@contextmanager
def statements(ctx):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)


def period(at: datetime = TEN):
    return period_containing(at, DEFAULT_SCHEDULES[UnitLevel.COMMUNITY], ZoneInfo("Asia/Shanghai"))


def test_every_units_figures_counted_at_once_are_each_units_own_and_roll_up_the_tree(city, clock):
    p, now = period(), clock.now()
    with city.uow() as uow:
        together = figures_for(uow.conn, city.policy, [(u, p) for u in UNITS], now)
        alone = {u: figures_for(uow.conn, city.policy, [(u, p)], now)[(u, p.start)] for u in UNITS}
    assert {u: together[(u, p.start)] for u in UNITS} == alone
    assert alone[DAZHI_1]["found"] == {"contact": 1, "confirmed": 1, "total": 2}
    assert alone[DAZHI]["found"] == {"contact": 1, "confirmed": 1, "fever": 1, "total": 3}
    assert alone[JIANGAN]["waiting"] == {"contact": 2, "confirmed": 2, "fever": 1, "suspected": 1, "total": 6}
    assert alone[DAZHI]["waiting_confirmed_by_severity"] == {"critical": 1, "mild": 1}
    assert alone[DAZHI]["sla_breaches"] == 1 and alone[WUCHANG]["sla_breaches"] == 1
    assert alone[WUCHANG]["oldest_wait_hours"] == 14.8 and alone[YIYUAN_1]["oldest_wait_hours"] == 0.2
    assert alone[DAZHI]["found"]["total"] == alone[DAZHI_1]["found"]["total"] + alone[DAZHI_2]["found"]["total"]


def test_a_citys_figures_for_a_period_take_one_statement_and_each_further_period_one_more(city, clock):
    now = clock.now()
    with city.uow() as uow, statements(city) as seen:
        figures_for(uow.conn, city.policy, [(u, period()) for u in UNITS], now)
        assert len(seen) == 1
        figures_for(uow.conn, city.policy, [(u, period(TEN - timedelta(hours=h))) for u in UNITS for h in (0, 1)], now)
        assert len(seen) == 3


def test_a_report_is_read_with_its_figures_in_one_statement_and_stored_with_its_audit_in_one_more(city, clock):
    """What the report needs to know read with its figures (and, on PostgreSQL, its id); the report and its audit
    entry stored together on PostgreSQL, apart on SQLite: with the pool's check of the connection, BEGIN and
    COMMIT, five round trips on PostgreSQL."""
    officer = Actor("officer", Role.UNIT_OFFICER, CITY)
    send = reporting.submit
    send(city, officer, reporting.ReportInput(DAZHI_2, TEN, {}, "值班员", True))  # the schedules, read once a while
    with statements(city) as seen:
        stored = send(city, officer, reporting.ReportInput(DAZHI_1, TEN, {}, "值班员", True, idempotency_key="s-1"))
    kept = [s for s in seen if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(kept) == (2 if city.engine.dialect.name == "postgresql" else 3), kept
    assert stored["registry"] == reporting.draft(city, officer, DAZHI_1, TEN)["figures"]
    assert stored["registry"]["found"]["total"] == 2


def test_the_waiting_of_a_community_are_counted_from_the_waiting_index_alone(sqlite_ctx, clock):
    """Not every person ever registered in the unit: only the waiting, from the index (SQLite's plan)."""
    city = build(sqlite_ctx, clock)
    params = {**_params(DAZHI_1, city.policy, TEN), "start": TEN, "end": TEN + timedelta(hours=1)}
    with city.uow() as uow:
        compiled = _ALL.compile(uow.conn)
        values = compiled.construct_params(params)
        bound = [v.isoformat() if isinstance(v, datetime) else v for v in (values[n] for n in compiled.positiontup)]
        plan = " | ".join(
            str(r[-1]) for r in uow.conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), tuple(bound))
        )
    assert "COVERING INDEX ix_persons_waiting_unit" in plan, plan
    assert "ix_event_flows_occurred_unit" in plan, plan


def test_the_common_root_of_units_is_the_deepest_unit_over_all_of_them():
    assert common_root([DAZHI_1, DAZHI_2]) == DAZHI
    assert common_root([DAZHI_1]) == DAZHI_1
    assert common_root([DAZHI_1, YIYUAN_1]) == JIANGAN
    assert common_root([DAZHI_1, WUCHANG_1]) == CITY
    assert common_root([DAZHI_1, "110101001001"]) is None


def test_the_figures_of_many_drafts_are_each_drafts_own_and_leave_out_units_that_cannot_report(city):
    street = Actor("officer", Role.UNIT_OFFICER, DAZHI)
    many = reporting.figures_many(city, street, [DAZHI, DAZHI_1, DAZHI_2, WUCHANG_1, "420102002999"], TEN)
    assert set(many) == {DAZHI, DAZHI_1, DAZHI_2}
    assert all(many[u] == reporting.draft(city, street, u, TEN)["figures"] for u in many)
