"""The twin's own loop at speed (issue 13): the kept waiting groups change at the cost of what changed and still
equal groups made from nothing; a batch of steps stores exactly what the same steps one by one store."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from admitall.allocation.model import Candidate
from admitall.domain.access import Role
from admitall.domain.people import Person, PersonDetails, Placement, Status, changed
from admitall.domain.policy import PriorityClass
from admitall.services import waiting_members
from admitall.services.admission import Confirmation, confirm
from admitall.services.context import Actor, cli_actor
from admitall.services.facilities import import_facilities
from admitall.services.person_steps import Step, apply_steps
from admitall.services.registration import register_batch
from admitall.services.verify import verify
from admitall.services.waiting_members import OLDEST_FIRST, Members
from tests.factories import DAZHI, id_number, load_small_city, person_row

DISPATCH = Actor("dispatcher", Role.DISPATCHER, None)
DESK = Actor("desk", Role.FACILITY_OFFICER, None)

T0 = datetime(2020, 2, 1, tzinfo=UTC)


def candidate(pid: int, minutes: int) -> Candidate:
    return Candidate(pid, PriorityClass.CONTACT, T0 + timedelta(minutes=minutes), "420102001", None, None)


def test_kept_members_equal_a_list_made_from_nothing_after_many_random_changes(monkeypatch):
    monkeypatch.setattr(waiting_members, "CHUNK", 8)  # small chunks: many splits, merges and empty chunks
    rng = random.Random(7)
    current = {pid: candidate(pid, rng.randrange(500)) for pid in range(1, 200)}
    kept = Members.of(current.values())
    next_id = 200
    for _ in range(60):
        gone = rng.sample(sorted(current), k=min(len(current), rng.randrange(0, 25)))
        keys = [OLDEST_FIRST(current.pop(pid)) for pid in gone]
        joining = []
        for pid in [*rng.sample(gone, k=len(gone) // 2), *range(next_id, next_id + rng.randrange(0, 20))]:
            current[pid] = c = candidate(pid, rng.randrange(600))  # back with a new place in the line, or new
            joining.append(c)
        next_id += 20
        before, before_list = kept, list(kept)
        kept = kept.changed(keys, joining)
        expected = sorted(current.values(), key=OLDEST_FIRST)
        assert list(kept) == expected and len(kept) == len(expected)
        assert list(before) == before_list  # what a plan was given never changes
        for start, stop in ((0, 5), (3, 40), (len(expected) - 3, len(expected) + 5), (10, 10)):
            assert kept[start:stop] == expected[start:stop]
        if expected:
            assert [kept[i] for i in (0, len(expected) // 2, -1)] == [
                expected[0],
                expected[len(expected) // 2],
                expected[-1],
            ]


def test_a_change_makes_again_only_the_chunks_someone_left_or_joined(monkeypatch):
    monkeypatch.setattr(waiting_members, "CHUNK", 10)
    everyone = [candidate(pid, pid) for pid in range(1, 101)]  # ten full chunks
    kept = Members.of(everyone)
    changed = kept.changed([OLDEST_FIRST(everyone[54])], [candidate(500, 1000)])
    shared = {id(c) for c in kept._chunks} & {id(c) for c in changed._chunks}
    assert len(shared) == 8  # the chunk the 55th left and the last one, which the newcomer joined, are new
    assert [c.person_id for c in changed] == [*range(1, 55), *range(56, 101), 500]


def test_a_person_changed_equals_the_dataclass_replace_and_refuses_an_unknown_field():
    p = Person(PersonDetails("张三", "420102001001"), Status.SUSPECTED, T0, Placement.WAITING, T0, id=3)
    after = changed(p, status=Status.CONFIRMED, version=2)
    assert after == replace(p, status=Status.CONFIRMED, version=2) and hash(after) == hash(
        replace(p, version=2, status=Status.CONFIRMED)
    )
    assert p.status is Status.SUSPECTED and p.version == 1  # the person it was made from is unchanged
    with pytest.raises(TypeError):
        changed(p, colour="red")


def _same_place(value):
    """The two sets of people go to twin facilities (I1, I2): their records are compared with the code left out."""
    return json.loads(json.dumps(value, default=str).replace('"I1"', '"I"').replace('"I2"', '"I"'))


def _history(ctx, ids):
    """Each person's events as (kind, data), their state, and whether their kept chain head is their last event."""
    listed = ",".join(str(i) for i in ids)
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT person_id, kind, data, hash FROM person_events WHERE person_id IN ({listed}) ORDER BY seq")
        ).all()
        heads = dict(conn.execute(text(f"SELECT id, event_head FROM persons WHERE id IN ({listed})")).all())
    with ctx.uow() as uow:
        people = uow.persons.get_many(ids)
    out = []
    for pid in ids:
        mine = [r for r in rows if r[0] == pid]
        loaded = [(kind, data if isinstance(data, dict) else json.loads(data)) for _, kind, data, _ in mine]
        events = [(kind, _same_place(data)) for kind, data in loaded[1:]]  # after the registration (names differ)
        p = people[pid]
        state = (
            p.status,
            p.severity,
            p.placement,
            p.waiting_since,
            p.version,
            _same_place([p.facility_code, p.bed_type]),
        )
        out.append((events, state, heads[pid] == mine[-1][3]))
    return out


def _steps(ids):
    a, b, c, d = ids
    return [
        Step(a, "depart"),
        Step(a, "depart"),  # refused: already on the way
        Step(a, "admit"),
        Step(a, "reclassify", to="confirmed", severity="mild"),  # the room no longer fits: a transfer need
        Step(b, "depart"),
        Step(b, "refuse", reason="病情与床位不符"),
        Step(c, "reclassify", to="excluded", reason="核酸阴性"),  # leaves, the reserved room given back
        Step(d, "depart"),
        Step(d, "admit"),
        Step(d, "reclassify", to="confirmed", severity="severe"),
        Step(d, "outcome", to="dead"),
    ]


def test_a_batch_of_steps_stores_what_the_same_steps_one_by_one_store(ctx, clock):
    load_small_city(ctx)
    for code in ("I1", "I2"):
        row = {"code": code, "name": f"{code} 隔离点", "type": "isolation_point", "unit_code": DAZHI}
        import_facilities(ctx, cli_actor(), [(2, {**row, "single_room": "10"})])
    rows = [(i + 2, person_row(name=f"人{i}", id_number=id_number(seq=i), phone=f"139{i:08d}")) for i in range(8)]
    summary = register_batch(ctx, cli_actor(), rows, source="t")
    ids = [summary.person_ids[i + 2] for i in range(8)]
    batch, single = ids[:4], ids[4:]
    clock.advance(timedelta(hours=1))
    confirm(ctx, DISPATCH, [Confirmation(p, "I1", "single_room") for p in batch])
    for p in single:
        confirm(ctx, DISPATCH, [Confirmation(p, "I2", "single_room")])
    clock.advance(timedelta(hours=1))
    refused = [(s.action, code) for s, code, _ in apply_steps(ctx, DESK, _steps(batch), source="t").refused]
    alone = []
    for step in _steps(single):
        alone += [(s.action, code) for s, code, _ in apply_steps(ctx, DESK, [step], source="t").refused]

    assert refused == alone and len(refused) == 1
    assert _history(ctx, batch) == _history(ctx, single)  # events, states, chain heads
    with ctx.uow() as uow:
        pools = {p.facility_code: (p.occupied, p.reserved) for p in uow.facilities.pools(["I1", "I2"])}
    assert pools["I1"] == pools["I2"] == (1, 0)  # the one admitted, now waiting for a transfer, holds a room
    assert verify(ctx)["ok"], verify(ctx)["problems"]  # chains, the census and the waits as the registry keeps them
