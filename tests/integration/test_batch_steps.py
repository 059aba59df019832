"""Batch person steps and confirmations (services.changes): decided in order in memory, stored with one statement
per table whatever the batch's size, with every rule, refusal, audit record and chain of the one-at-a-time path —
and, on PostgreSQL where others commit in between, someone else's change to a person or to the beds refuses just
the steps it touches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from admitall.domain.access import Role
from admitall.services.admission import Confirmation, confirm
from admitall.services.context import Actor, cli_actor
from admitall.services.facilities import import_facilities
from admitall.services.person_steps import Step, apply_steps
from admitall.services.registration import register_batch
from admitall.services.verify import verify
from tests.factories import DAZHI, DAZHI_1, id_number, load_small_city, person_row

DISPATCH = Actor("dispatcher", Role.DISPATCHER, None)
DESK = Actor("desk", Role.FACILITY_OFFICER, None)


def facility(ctx, code: str, rooms: int) -> None:
    row = {"code": code, "name": f"{code} 隔离点", "type": "isolation_point", "unit_code": DAZHI}
    assert import_facilities(ctx, cli_actor(), [(2, {**row, "single_room": str(rooms)})]).accepted == 1


def suspected(ctx, n: int, first: int = 0) -> list[int]:
    rows = [
        (i + 2, person_row(name=f"人{i}", id_number=id_number(seq=first + i), phone=f"139{first + i:08d}"))
        for i in range(n)
    ]
    summary = register_batch(ctx, cli_actor(), rows, source="t")
    return [summary.person_ids[i + 2] for i in range(n)]


def pool(ctx, code: str) -> tuple[int, int]:
    with ctx.uow() as uow:
        (p,) = uow.facilities.pools([code])
    return p.occupied, p.reserved


@contextmanager
def statements(ctx) -> Iterator[list[str]]:
    sent: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(ctx.engine, "before_cursor_execute", keep)


@pytest.fixture
def city(ctx, clock):
    load_small_city(ctx)
    facility(ctx, "I9", 100)
    clock.advance(timedelta(hours=1))
    return ctx


def test_a_batch_costs_the_same_statements_whatever_its_size(city, clock):
    counts = []
    for n, first in ((3, 0), (30, 100)):
        ids = suspected(city, n, first)
        clock.advance(timedelta(minutes=10))
        with statements(city) as confirming:
            assert len(confirm(city, DISPATCH, [Confirmation(p, "I9", "single_room") for p in ids])["confirmed"]) == n
        steps = [Step(p, a) for p in ids for a in ("depart", "admit")]
        steps += [Step(p, "reclassify", to="confirmed", severity="mild") for p in ids]
        with statements(city) as stepping:
            assert not apply_steps(city, DESK, steps, source="t").refused
        counts.append((len(confirming), len(stepping)))
    assert counts[0] == counts[1]
    assert counts[0][1] <= 14  # read people and pools, savepoint, people, events, waits, pools, audit
    assert verify(city)["ok"], verify(city)["problems"]


def test_no_chain_head_is_read_and_no_savepoint_is_taken_per_step(city):
    ids = suspected(city, 5)
    with statements(city) as sent:
        confirm(city, DISPATCH, [Confirmation(p, "I9", "single_room") for p in ids])
        apply_steps(city, DESK, [Step(p, "depart") for p in ids], source="t")
    assert not [s for s in sent if "FROM person_events" in s]
    assert len([s for s in sent if s.startswith("SAVEPOINT")]) == 2  # one per batch


def test_a_bed_too_many_is_refused_with_todays_reason_and_the_rest_stored(ctx, clock):
    load_small_city(ctx)
    facility(ctx, "I2", 2)
    ids = suspected(ctx, 3)
    clock.advance(timedelta(hours=1))
    result = confirm(ctx, DISPATCH, [Confirmation(p, "I2", "single_room") for p in ids], lang="en")
    assert [c["person"] for c in result["confirmed"]] == ids[:2]
    assert result["skipped"] == [
        {"person": ids[2], "code": "beds.unavailable", "reason": "I2 has no free single isolation room any more"}
    ]
    assert pool(ctx, "I2") == (0, 2)
    with ctx.engine.connect() as conn:
        audited = conn.execute(text("SELECT target_id FROM audit_log WHERE action = 'assign_bed'")).scalars().all()
    assert sorted(audited) == sorted(str(p) for p in ids[:2])  # one entry per person, as one at a time
    assert verify(ctx)["ok"], verify(ctx)["problems"]


def test_a_persons_steps_are_taken_in_order_and_a_refused_one_does_not_stop_the_next(city, clock):
    (pid,) = suspected(city, 1)
    confirm(city, DISPATCH, [Confirmation(pid, "I9", "single_room")])
    clock.advance(timedelta(hours=1))
    steps = [
        Step(pid, "depart"),
        Step(pid, "depart"),  # already on the way: refused
        Step(pid, "admit"),
        Step(pid, "admit"),  # already admitted: refused
        Step(pid, "reclassify", to="confirmed", severity="mild"),  # the room no longer fits: a transfer need
        Step(pid, "outcome", to="recovered"),
    ]
    summary = apply_steps(city, DESK, steps, source="t")
    assert [s.action for s, _, _ in summary.refused] == ["depart", "admit"], summary.refused
    after = summary.done[pid]
    assert after.status.value == "recovered" and after.facility_code is None
    assert pool(city, "I9") == (0, 0)
    with city.engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind FROM person_events WHERE person_id = :p ORDER BY seq"), {"p": pid})
        assert [k for (k,) in kinds][1:] == [
            "assigned",
            "departed",
            "admitted",
            "reclassified",
            "transfer_needed",
            "reclassified",
        ]
    assert verify(city)["ok"], verify(city)["problems"]  # the waits opened and closed within the batch, too


@contextmanager
def meanwhile(ctx, on: str, change) -> Iterator[None]:
    """Run `change` (another user's, committed on its own connection) just before the first statement that
    starts with `on` — between the batch's reading and its writing."""
    done = []

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if not done and statement.startswith(on):
            done.append(True)
            change()

    event.listen(ctx.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(ctx.engine, "before_cursor_execute", before)


def _postgres_only(ctx) -> None:
    if ctx.engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer in at a time: nobody can change a person between a batch's read and write")


def test_a_person_changed_by_someone_else_meanwhile_is_refused_and_the_rest_stored(city):
    _postgres_only(city)
    ids = suspected(city, 3)
    officer = Actor("officer", Role.UNIT_OFFICER, DAZHI)
    other = lambda: apply_steps(city, officer, [Step(ids[1], "reclassify", to="excluded")], source="other")  # noqa: E731
    with meanwhile(city, "UPDATE persons", other):
        summary = apply_steps(city, officer, [Step(p, "reclassify", to="confirmed") for p in ids], source="t")
    assert sorted(summary.done) == [ids[0], ids[2]]
    assert [(s.person_id, code) for s, code, _ in summary.refused] == [(ids[1], "person.changed_meanwhile")]
    with city.uow() as uow:
        assert uow.persons.get(ids[1]).status.value == "excluded"  # the other change stands
    assert verify(city)["ok"], verify(city)["problems"]


def test_beds_taken_by_someone_else_meanwhile_refuse_the_step_that_needed_them(ctx, clock):
    _postgres_only(ctx)
    load_small_city(ctx)
    facility(ctx, "I2", 2)
    ids = suspected(ctx, 3)
    clock.advance(timedelta(hours=1))
    other = lambda: confirm(ctx, Actor("d2", Role.DISPATCHER, None), [Confirmation(ids[2], "I2", "single_room")])  # noqa: E731
    with meanwhile(ctx, "UPDATE bed_pools", other):
        result = confirm(ctx, DISPATCH, [Confirmation(p, "I2", "single_room") for p in ids[:2]], lang="en")
    assert [c["person"] for c in result["confirmed"]] == [ids[0]]
    assert [(s["person"], s["code"]) for s in result["skipped"]] == [(ids[1], "beds.unavailable")]
    assert pool(ctx, "I2") == (0, 2)
    assert verify(ctx)["ok"], verify(ctx)["problems"]


def test_a_desk_batch_keeps_its_reach(city):
    (pid,) = suspected(city, 1)
    confirm(city, DISPATCH, [Confirmation(pid, "I9", "single_room")])
    elsewhere = Actor("desk-x", Role.FACILITY_OFFICER, DAZHI, facility_code="I1")
    summary = apply_steps(city, elsewhere, [Step(pid, "depart")], source="t")
    assert [code for _, code, _ in summary.refused] == ["person.not_found"]
    dispatcher = Actor("dispatcher", Role.DISPATCHER, DAZHI_1[:9] + "999")
    assert confirm(city, dispatcher, [Confirmation(pid, "I9", "single_room")])["skipped"][0]["code"] == (
        "person.not_found"
    )
