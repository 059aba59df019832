"""The watch's round costs what changed: the day's scorecards kept between rounds equal a computation from nothing
after any changes, only the units whose facts changed (and those above them) are added up again, and alerts are
raised by a number of statements that does not grow with the units concerned."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from admitall.domain.access import Role
from admitall.domain.errors import Conflict
from admitall.services import admission, officials, reporting, scorecards, watch
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.officials import NO_LEAD
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from admitall.services.verify_records import alerts_and_directives
from admitall.store.repositories.alert_batch import TO_ESCALATE, raise_alerts
from admitall.store.tables_accountability import lead_assignments
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    WUCHANG_1,
    YIYUAN,
    YIYUAN_1,
    id_number,
    load_small_city,
    load_small_facilities,
    person_row,
)

DAY = date(2020, 2, 11)
MIDNIGHT = datetime(2020, 2, 10, 16, 0, tzinfo=UTC)  # 00:00 on 11 February in Wuhan
COMMUNITIES = (DAZHI_1, DAZHI_2, YIYUAN_1, WUCHANG_1)
REPORTING = (DAZHI, DAZHI_1, DAZHI_2, YIYUAN, YIYUAN_1)
DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)


@pytest.fixture
def city(ctx, clock):
    clock.set(MIDNIGHT - timedelta(days=1))
    load_small_city(ctx)
    load_small_facilities(ctx)
    scorecards.ROLLUPS.clear()
    yield ctx
    scorecards.ROLLUPS.clear()


def register(ctx: Context, n: int, unit: str, rng: random.Random) -> int:
    category = rng.choice(["confirmed", "suspected", "fever", "contact"])
    fields: dict[str, Any] = {"category": category, "unit_code": unit}
    if category == "confirmed":
        fields["severity"] = rng.choice(["mild", "moderate", "severe", "critical"])
    row = person_row(
        name=f"病人{n}",
        id_number=id_number(seq=n % 1000),
        phone=f"139{n:08d}",
        identified_at=f"{ctx.clock.now().astimezone(UTC):%Y-%m-%d %H:%M}Z",
        **fields,
    )
    return register_batch(ctx, cli_actor(), [(2, row)], source="test").person_ids[2]


def admit_one(ctx: Context, pid: int) -> None:
    admission.allocate(ctx, DISPATCHER, commit=True)
    with ctx.uow() as uow:
        person = uow.persons.get(pid)
    if person is None or person.facility_code is None:
        return  # not placed this round (no bed of its kind free)
    admission.desk_step(ctx, DISPATCHER, pid, "depart")
    desk = Actor("desk", Role.FACILITY_OFFICER, None, facility_code=person.facility_code)
    admission.desk_step(ctx, desk, pid, "admit")


def send(ctx: Context, unit: str, period_start: datetime) -> None:
    reporting.submit(
        ctx,
        Actor(f"officer-{unit}", Role.UNIT_OFFICER, unit),
        ReportInput(unit_code=unit, period_start=period_start, reported={}, attested_by="值班员", attest=True),
    )


def from_nothing(ctx: Context) -> scorecards.Computed:
    start, end = scorecards.day_window(DAY, ctx)
    with ctx.uow() as uow:
        return scorecards.compute(ctx, uow, None, start, end)


def kept(ctx: Context) -> scorecards.Computed:
    start, end = scorecards.day_window(DAY, ctx)
    with ctx.uow() as uow:
        return scorecards.compute(ctx, uow, None, start, end, day=DAY)


def test_the_days_scorecards_kept_between_rounds_equal_a_computation_from_nothing_after_random_changes(city, clock):
    ctx, rng = city, random.Random(13)
    waiting: list[int] = []
    n = 0
    reused = 0
    clock.set(MIDNIGHT + timedelta(minutes=20))
    for _ in range(14):
        clock.set(clock.now() + timedelta(minutes=rng.randrange(20, 90)))
        for _ in range(rng.randrange(0, 3)):
            n += 1
            waiting.append(register(ctx, n, rng.choice(COMMUNITIES), rng))
        if waiting and rng.random() < 0.4:
            admit_one(ctx, waiting.pop(rng.randrange(len(waiting))))
        hour_start = MIDNIGHT + timedelta(hours=(clock.now() - MIDNIGHT) // timedelta(hours=1) - 1)
        for unit in rng.sample(REPORTING, rng.randrange(0, len(REPORTING) + 1)):
            if hour_start >= MIDNIGHT:
                with suppress(Conflict):  # already sent for that hour: as if the unit had not sent again
                    send(ctx, unit, hour_start)
        if rng.random() < 0.2:
            new = officials.add_official(ctx, cli_actor(), name=f"新任{n}", title="书记", home_unit=JIANGAN)
            officials.assign_lead(ctx, cli_actor(), rng.choice((DAZHI, DAZHI_1, YIYUAN_1)), new["id"])
        before = scorecards.ROLLUPS.get(ctx.engine.url.render_as_string(hide_password=True), DAY)
        incremental = kept(ctx)
        rollup = scorecards.ROLLUPS.get(ctx.engine.url.render_as_string(hide_password=True), DAY)
        assert rollup is not None
        if before is not None and len(rollup.changed) < len(rollup.names):
            reused += 1
        full = from_nothing(ctx)
        assert incremental.unit_cards == full.unit_cards
        assert incremental.official_cards == full.official_cards
    assert reused > 0  # the kept rollup was used, not recomputed whole every time


def test_a_round_adds_up_again_only_the_community_that_changed_and_the_units_above_it(city, clock):
    ctx = city
    for level in ("district", "street", "community"):  # reports once a day, as in the Wuhan scenario
        reporting.set_schedule(ctx, cli_actor(), level, period_minutes=1440, grace_minutes=10)
    clock.set(MIDNIGHT + timedelta(hours=3))
    register(ctx, 1, DAZHI_2, random.Random(1))
    clock.set(MIDNIGHT + timedelta(hours=4))
    kept(ctx)  # the first round adds up everything
    clock.set(MIDNIGHT + timedelta(hours=4, minutes=30))
    register(ctx, 2, YIYUAN_1, random.Random(2))
    clock.set(MIDNIGHT + timedelta(hours=5))
    result = kept(ctx)
    rollup = scorecards.ROLLUPS.get(ctx.engine.url.render_as_string(hide_password=True), DAY)
    assert rollup is not None
    # DAZHI_2's wait is still open, so its figures moved with the clock; YIYUAN_1 has a new person
    assert rollup.changed == {DAZHI_2, DAZHI, YIYUAN_1, YIYUAN, JIANGAN, CITY}
    assert result.unit_cards == from_nothing(ctx).unit_cards


def test_store_day_writes_what_a_computation_from_nothing_gives(city, clock):
    ctx = city
    clock.set(MIDNIGHT + timedelta(hours=2))
    register(ctx, 1, DAZHI_1, random.Random(3))
    clock.set(MIDNIGHT + timedelta(hours=3))
    scorecards.store_day(ctx, DAY)
    clock.set(MIDNIGHT + timedelta(hours=6))
    send(ctx, DAZHI_2, MIDNIGHT + timedelta(hours=5))
    scorecards.store_day(ctx, DAY)
    full = from_nothing(ctx)
    with ctx.uow() as uow:
        for code, card in full.unit_cards.items():
            row = uow.scorecards.one(DAY, "unit", code)
            assert row is not None and row["card"] == _json(card)


def _json(value: Any) -> Any:
    import orjson

    return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


@contextmanager
def statements(ctx: Context) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)


def _vacate(ctx: Context, units: list[str], at: datetime) -> None:
    with ctx.uow(write=True) as uow:
        uow.conn.execute(
            update(lead_assignments)
            .where(lead_assignments.c.unit_code.in_(units), lead_assignments.c.ends_at.is_(None))
            .values(ends_at=at)
        )
        uow.commit()


def _raise_no_lead(ctx: Context) -> tuple[int, int]:
    with statements(ctx) as seen, ctx.uow(write=True) as uow:
        raised = watch._raise_no_lead(uow, ctx.clock.now(), watch._tops(uow))
        uow.commit()
    return raised, len(seen)


def test_units_without_a_lead_are_raised_by_the_same_statements_for_one_unit_or_many_and_once(city, clock):
    ctx = city
    clock.set(MIDNIGHT)
    _vacate(ctx, [DAZHI_2], MIDNIGHT - timedelta(hours=1))
    one, cost_one = _raise_no_lead(ctx)
    _vacate(ctx, [DAZHI, DAZHI_1, YIYUAN, YIYUAN_1, WUCHANG_1], MIDNIGHT - timedelta(hours=1))
    many, cost_many = _raise_no_lead(ctx)
    again, _ = _raise_no_lead(ctx)
    assert (one, many, again) == (1, 5, 0)
    assert cost_one == cost_many
    with ctx.uow() as uow:
        found = [a for a in uow.reports.alerts_for(None) if a["kind"] == NO_LEAD]
    assert sorted(a["unit_code"] for a in found) == sorted([DAZHI, DAZHI_1, DAZHI_2, YIYUAN, YIYUAN_1, WUCHANG_1])
    assert {a["target_unit"] for a in found if a["unit_code"] == DAZHI_1} == {DAZHI}


def test_a_batch_meeting_an_alert_raised_meanwhile_by_another_runner_raises_the_others_once(city, clock):
    ctx = city
    clock.set(MIDNIGHT)
    rows = [
        {
            "kind": NO_LEAD,
            "unit_code": code,
            "period_start": MIDNIGHT - timedelta(hours=2),
            "target_unit": DAZHI,
            "step": 0,
            "consecutive": 1,
            "raised_at": MIDNIGHT,
            "detail": {"since": (MIDNIGHT - timedelta(hours=2)).isoformat()},
        }
        for code in (DAZHI_1, DAZHI_2)
    ]
    with ctx.uow(write=True) as uow:
        assert raise_alerts(uow.conn, uow.keys, rows[:1]) == 1  # the other runner
        uow.commit()
    with ctx.uow(write=True) as uow:
        # read before the other runner's alert: the batch meets it at the insert, and falls back to one at a time
        assert raise_alerts(uow.conn, uow.keys, rows, checked=True) == 1
        uow.commit()
    with ctx.uow() as uow:
        found = [a for a in uow.reports.alerts_for(None) if a["kind"] == NO_LEAD]
    assert sorted(a["unit_code"] for a in found) == [DAZHI_1, DAZHI_2]
    problems: list[dict[str, Any]] = []
    assert alerts_and_directives(ctx, problems)["alerts"] == 2
    assert problems == []  # each alert's HMAC and seal as the one-at-a-time path writes them


def test_an_unanswered_alert_escalates_to_the_top_and_is_not_read_again_once_there(city, clock):
    ctx = city
    clock.set(MIDNIGHT)
    rows = [
        {
            "kind": watch.OVERDUE,
            "unit_code": unit,
            "period_start": MIDNIGHT - timedelta(days=2),
            "target_unit": target,
            "step": step,
            "consecutive": 1,
            "raised_at": MIDNIGHT - timedelta(days=1),
            "detail": {},
            "subject_id": subject,
        }
        for unit, target, step, subject in ((DAZHI, JIANGAN, 0, 1), (JIANGAN, CITY, 0, 2))
    ]
    with ctx.uow(write=True) as uow:
        assert raise_alerts(uow.conn, uow.keys, rows) == 2
        top = watch._tops(uow)
        assert watch._escalate(ctx, uow, MIDNIGHT, top) == 1  # DAZHI's goes on to the city; JIANGAN's is there
        open_below_top = uow.conn.execute(
            TO_ESCALATE, {"kind": watch.OVERDUE, "before": MIDNIGHT + timedelta(days=1), "tops": top.roots()}
        ).all()
        uow.commit()
    assert top.roots() == [CITY]
    assert open_below_top == []  # DAZHI's went up to the city just now; JIANGAN's was there already
    with ctx.uow() as uow:
        raised = {
            (a["unit_code"], a["step"]): (a["target_unit"], a["escalated_to"], a["escalations"])
            for a in uow.reports.alerts_for(None)
        }
    # the same alert moved up (no copy per level): raised for JIANGAN, now with the city, one level up
    assert raised == {(DAZHI, 0): (JIANGAN, CITY, 1), (JIANGAN, 0): (CITY, None, None)}
