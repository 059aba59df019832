"""The head of each person's event chain kept on the person (persons.event_head): set by registration and by every
save, one at a time or in a batch, without reading the chain; backfilled by the upgrade for people already there;
and checked by `verify`, which names a head that is not the last event's hash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alembic import command
from sqlalchemy import event, text

from admitall.domain.access import Role
from admitall.services.admission import Confirmation, confirm, desk_step
from admitall.services.context import Actor, cli_actor
from admitall.services.people import change_person_severity, reclassify_person
from admitall.services.person_steps import Step, apply_steps
from admitall.services.registration import register_batch
from admitall.services.verify import verify
from admitall.store.db import alembic_config
from tests.factories import DAZHI, id_number, load_small_city, load_small_facilities, person_row

OFFICER = Actor("officer", Role.UNIT_OFFICER, DAZHI)


def registered(ctx, n: int) -> list[int]:
    rows = [(i + 2, person_row(name=f"人{i}", id_number=id_number(seq=i), phone=f"139{i:08d}")) for i in range(n)]
    summary = register_batch(ctx, cli_actor(), rows, source="t")
    return [summary.person_ids[i + 2] for i in range(n)]


def heads(ctx) -> dict[int, tuple[str, str]]:
    """Each person's kept head beside their last event's hash."""
    sql = """SELECT p.id, p.event_head, e.hash FROM persons p JOIN person_events e
             ON e.person_id = p.id AND e.seq = (SELECT MAX(seq) FROM person_events WHERE person_id = p.id)"""
    with ctx.engine.connect() as conn:
        return {pid: (kept, last) for pid, kept, last in conn.execute(text(sql))}


def test_registration_and_every_save_keep_the_head_without_reading_the_chain(ctx, clock):
    load_small_city(ctx)
    load_small_facilities(ctx)
    first, second, third = registered(ctx, 3)
    clock.advance(timedelta(hours=1))
    sent: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", keep)
    try:
        reclassify_person(ctx, OFFICER, first, "confirmed", severity="mild")  # one at a time
        change_person_severity(ctx, OFFICER, first, "moderate")
        confirm(ctx, Actor("d", Role.DISPATCHER, None), [Confirmation(second, "I1", "single_room")])  # a batch
        desk_step(ctx, Actor("desk", Role.FACILITY_OFFICER, None, facility_code="I1"), second, "depart")
        apply_steps(ctx, OFFICER, [Step(third, "reclassify", to="excluded")], source="t")
    finally:
        event.remove(ctx.engine, "before_cursor_execute", keep)
    assert not [s for s in sent if "FROM person_events" in s]
    kept = heads(ctx)
    assert len(kept) == 3 and all(head == last for head, last in kept.values())
    assert verify(ctx)["ok"], verify(ctx)["problems"]


def test_a_head_changed_behind_the_system_is_named(ctx, clock):
    load_small_city(ctx)
    _, second = registered(ctx, 2)
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE persons SET event_head = 'forged' WHERE id = :p"), {"p": second})
    found = verify(ctx)["problems"]
    assert [(p["table"], p["id"]) for p in found] == [("persons", second)]
    assert "chain head" in found[0]["problem"]


def test_a_last_event_removed_leaves_the_head_pointing_past_the_chain(ctx, clock):
    load_small_city(ctx)
    (pid,) = registered(ctx, 1)
    clock.advance(timedelta(hours=1))
    reclassify_person(ctx, OFFICER, pid, "excluded")
    with ctx.engine.begin() as conn:
        last = {"p": pid, "s": 2}
        conn.execute(
            text("DELETE FROM event_flows WHERE event_id IN (SELECT id FROM person_events WHERE person_id = :p)"),
            {"p": pid},
        )
        conn.execute(text("DELETE FROM person_events WHERE person_id = :p AND seq = :s"), last)
    problems = [p["problem"] for p in verify(ctx)["problems"] if p["table"] == "persons"]
    assert any("chain head" in p for p in problems)


def test_the_upgrade_keeps_the_heads_of_people_already_there(ctx, clock):
    load_small_city(ctx)
    ids = registered(ctx, 3)
    clock.advance(timedelta(hours=1))
    apply_steps(ctx, OFFICER, [Step(ids[0], "reclassify", to="confirmed", severity="mild")], source="t")
    config = alembic_config(ctx.engine)
    with ctx.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013_admission_rate")
    with ctx.engine.connect() as conn:
        columns = conn.execute(text("SELECT * FROM persons")).keys()
    assert "event_head" not in columns
    with ctx.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    kept = heads(ctx)
    assert sorted(kept) == sorted(ids) and all(head == last for head, last in kept.values())
    assert verify(ctx)["ok"], verify(ctx)["problems"]
