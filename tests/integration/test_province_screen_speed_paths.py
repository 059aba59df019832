"""The province screen's faster paths (issue 15) give the same figures as the plain statements they replace, on a
city with every priority class waiting, some admitted, some on their way and some waiting for a transfer: the
longest waits walked class by class against one sort of every open wait; the screen's trend and backlog against
their own definitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import case, select

from admitall.domain.access import Role
from admitall.domain.policy import PriorityClass
from admitall.services import admission
from admitall.services.backlog import LONGEST, NEEDING_A_BED, backlog
from admitall.services.command import command_screen
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.trends import segments_in
from admitall.store.tables_accountability import wait_segments
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    WUCHANG,
    WUCHANG_1,
    id_number,
    load_small_city,
    load_small_facilities,
    person_row,
)

TEN = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)
MIX = [
    {"category": "confirmed", "severity": "critical"},
    {"category": "confirmed", "severity": "severe"},
    {"category": "confirmed", "severity": "mild", "risks": "comorbidity"},
    {"category": "confirmed", "severity": "moderate"},
    {"category": "suspected"},
    {"category": "fever"},
    {"category": "contact"},
]


@pytest.fixture
def city(ctx, clock):
    """Thirty-five people over five hours in two districts, every class; a few placed by the dispatcher."""
    load_small_city(ctx)
    load_small_facilities(ctx)
    seq = 0
    for hour in range(5):
        clock.set(TEN + timedelta(hours=hour))
        rows = []
        for i, fields in enumerate(MIX):
            seq += 1
            unit = (DAZHI_1, WUCHANG_1)[(seq + i) % 2]
            row = person_row(name=f"病人{seq}", id_number=id_number(seq=seq), phone=f"139{seq:08d}", **fields)
            rows.append((i + 2, {**row, "unit_code": unit, "identified_at": (TEN + timedelta(hours=hour)).isoformat()}))
        register_batch(ctx, cli_actor(), rows, source="test")
        if hour == 2:
            admission.allocate(ctx, DISPATCHER, commit=True)  # some now on their way: not in the backlog
    clock.set(TEN + timedelta(hours=6))
    return ctx


def sorted_longest(ctx, root: str | None) -> list[int]:
    """What the longest waits were before: every open wait of those needing a bed, sorted by class rank and time."""
    w = wait_segments.c
    policy = ctx.policy
    rank = case(*((w.priority_class == c.value, policy.rank(c)) for c in policy.priority), else_=len(PriorityClass))
    with ctx.engine.connect() as conn:
        return list(
            conn.execute(
                select(w.person_id)
                .where(w.ended_at.is_(None), segments_in(root), NEEDING_A_BED)
                .order_by(rank, w.wait_started_at, w.person_id)
                .limit(LONGEST)
            ).scalars()
        )


@pytest.mark.parametrize("root", [CITY, DAZHI, DAZHI_1, WUCHANG, WUCHANG_1])
def test_the_longest_waits_walked_class_by_class_are_the_sorted_ones(city, root):
    found = backlog(city, Actor("c", Role.COMMANDER, CITY), root)["longest_waits"]
    expected = sorted_longest(city, root)
    assert [w["person_id"] for w in found] == expected
    assert len(expected) == LONGEST or root in (DAZHI_1, WUCHANG_1, DAZHI, WUCHANG)
    classes = [w["priority_class"] for w in found]
    assert classes == sorted(classes, key=lambda c: city.policy.rank(PriorityClass(c)))


def test_the_screens_backlog_and_trend_agree_with_their_own_definitions(city):
    commander = Actor("c", Role.COMMANDER, CITY)
    screen = command_screen(city, commander, CITY)
    alone = backlog(city, commander, CITY)
    assert screen["backlog"]["stock"] == alone["stock"]
    assert [w["person_id"] for w in screen["backlog"]["longest_waits"]] == sorted_longest(city, CITY)
    w = wait_segments.c
    with city.engine.connect() as conn:
        open_now = len(conn.execute(select(w.id).where(w.ended_at.is_(None), segments_in(CITY))).all())
    assert screen["trend"]["waiting"][-1] == open_now  # the hour now running: everyone waiting now
    assert sum(screen["trend"]["inflow"]) == 35
    assert screen["backlog"]["stock"]["waiting"] == sum(screen["categories"]["waiting"].values())
