"""The midnight's reports of every level at once: each part of the registry's figures (the waiting, the late) is
counted once per unit and summed for every level from that one count, and the result is exactly what each unit's
report asked alone would get."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.dialects import sqlite

from admitall.domain.reporting import Period
from admitall.domain.units import UnitLevel, level_of
from admitall.services.reporting_figures import _by_level, figures_for
from tests.factories import DAZHI, DAZHI_1, JIANGAN, YIYUAN
from tests.integration.test_registry_figures import TEN, UNITS, build

# the local midnight after TEN, as the twin's batch sends it: a district's last hour, a street's last six hours
# and a community's whole day end there
MIDNIGHT = TEN.replace(hour=16)


HOURS = {UnitLevel.DISTRICT: 1, UnitLevel.STREET: 6, UnitLevel.COMMUNITY: 24}  # the twin's schedules


def _period_of(unit: str) -> Period:
    hours = HOURS[level_of(unit)]
    return Period(MIDNIGHT - timedelta(hours=hours), MIDNIGHT, MIDNIGHT + timedelta(hours=1))


def test_a_midnights_reports_of_every_level_get_what_each_would_get_alone(ctx, clock):
    city = build(ctx, clock)
    clock.set(MIDNIGHT + timedelta(minutes=5))
    now = clock.now()
    wanted = [(u, _period_of(u)) for u in UNITS]
    assert len({p.start for _, p in wanted}) == 3  # three levels, three periods ending at the same midnight
    with city.uow() as uow:
        together = figures_for(uow.conn, city.policy, wanted, now)
        alone = {(u, p.start): figures_for(uow.conn, city.policy, [(u, p)], now)[(u, p.start)] for u, p in wanted}
    assert together == alone
    by_unit = {u: together[(u, p.start)] for u, p in wanted}
    waiting = {u: f["waiting"]["total"] for u, f in by_unit.items()}
    assert waiting[JIANGAN] == waiting[DAZHI] + waiting[YIYUAN] == 6
    assert by_unit[DAZHI_1]["found"] == {"confirmed": 2, "contact": 1, "total": 3}  # the community's whole day
    assert by_unit[DAZHI]["found"] == {"total": 0}  # nobody registered in the street's last six hours
    assert any(f["sla_breaches"] for f in by_unit.values())  # someone is late by midnight: the late are counted


def test_several_levels_scan_the_waiting_once_for_each_part_not_once_for_each_level():
    text = str(_by_level((6, 9, 12), (12,), True).compile(dialect=sqlite.dialect()))
    alone = str(_by_level((6,), (6,), True).compile(dialect=sqlite.dialect()))
    assert text.count("FROM persons") == alone.count("FROM persons") == 3  # the waiting, the late, the unsure late
    assert text.startswith("WITH ")
