"""The import's fast paths store what the plain paths store (issue 13): the same file imported in one batch —
people written in large chunks (SQLite: through a staging table; PostgreSQL: COPY), the census and flows kept once
per batch, the arrivals linked by the keys in hand — and into a twin database by a statement per row (SQLite), with
the arrivals' keys read back from the table as before, gives the same persons, events and chain heads,
sources, waits, census, flows and queued pairs. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from admitall.services import linkage_arrivals
from admitall.services.registration import batch as batch_module
from admitall.services.registration import register_batch
from admitall.store import bulk
from admitall.store.tables import persons
from admitall.store.uow import UnitOfWork
from tests.conftest import make_ctx
from tests.factories import DAZHI_1, DAZHI_2, WUCHANG_1, id_number, load_small_city, person_row

UNITS = [DAZHI_1, DAZHI_2, WUCHANG_1]
CATEGORIES = ["confirmed", "suspected", "fever", "contact"]
# each table as a person's history is told: an event by its person and place in the chain (a merge into someone
# new in the same file is written with their first event by one path and after it by the other: ids may differ)
COMPARED = {
    "persons": "SELECT * FROM persons ORDER BY id",
    "person_events": "SELECT person_id, seq, kind, occurred_at, recorded_at, actor, source, reason, data, prev_hash, "
    "hash FROM person_events ORDER BY person_id, seq",
    "person_sources": "SELECT * FROM person_sources ORDER BY person_id, source, source_ref",
    "wait_segments": "SELECT * FROM wait_segments ORDER BY id",
    "event_flows": "SELECT e.person_id, e.seq, f.unit_code, f.occurred_at, f.kind, f.from_value, f.to_value "
    "FROM event_flows f JOIN person_events e ON e.id = f.event_id ORDER BY 1, 2",
    "link_pairs": "SELECT * FROM link_pairs ORDER BY 1, 2, 3",
    "census": "SELECT unit_code, status, severity, placement, SUM(n) FROM unit_census_changes "
    "GROUP BY 1, 2, 3, 4 HAVING SUM(n) <> 0 ORDER BY 1, 2, 3, 4",
}


@pytest.fixture
def twin(request: pytest.FixtureRequest, database_url: str, tmp_path, clock) -> Iterator[Any]:
    """A second database of the same kind, empty and migrated, with the same key and clock."""
    from admitall.store.db import init_database, make_engine

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'twin.db'}"
        engine = make_engine(url)
        init_database(engine)
        engine.dispose()
    else:
        url = request.getfixturevalue("postgres").fresh_database()
    context = make_ctx(url, clock)
    yield context
    context.engine.dispose()


def registry() -> list[tuple[int, dict[str, str | None]]]:
    """People registered before the file: some share a name and community, or a phone, with its rows."""
    return [
        (i + 2, person_row(name=f"旧{i}", id_number=None, phone=f"139{i:08d}", unit_code=UNITS[i % 3]))
        for i in range(20)
    ] + [(30, person_row(name="人7", id_number=None, phone="13700000000", unit_code=UNITS[7 % 3]))]


def file_rows() -> list[tuple[int, dict[str, str | None]]]:
    """300 new people (some sharing keys with the registry), rows that merge into a new person of the same file
    (one changing its phone to a registered person's), and rows that are rejected."""
    out: list[tuple[int, dict[str, str | None]]] = []
    for i in range(300):
        category = CATEGORIES[i % 4]
        out.append(
            (
                i + 2,
                person_row(
                    name=f"人{i}",
                    id_number=id_number(seq=i % 1000),
                    phone=f"139{i:08d}" if i % 50 == 3 else f"138{i:08d}",
                    category=category,
                    severity=["mild", "moderate", "severe", "critical"][i % 4] if category == "confirmed" else None,
                    unit_code=UNITS[i % 3],
                    source_ref=f"R{i}",
                ),
            )
        )
    out.append((400, person_row(name="人5", id_number=id_number(seq=5), phone="13900000011", category="confirmed")))
    out.append((401, person_row(name="人9", id_number=id_number(seq=9), category="suspected", unit_code=UNITS[0])))
    out.append((402, person_row(name="", category="contact")))
    out.append((403, person_row(name="人x", unit_code="999999999999")))
    return out


def stored(ctx) -> dict[str, list[tuple[Any, ...]]]:
    with ctx.engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in COMPARED.items()}


def keys_read_back(ctx, uow: UnitOfWork, arrivals, found_by: str):
    """The linkage as it was before issue 13's second pass: the arrivals' keys read back from the table."""
    rows = uow.conn.execute(
        select(persons.c.id, *linkage_arrivals._KEYS.selected_columns[1:]).where(persons.c.id.in_(list(arrivals)))
    )
    return linkage_arrivals.link_arrivals(ctx, uow, {r[0]: linkage_arrivals.Keys(*r[1:]) for r in rows}, found_by)


def test_one_batch_stores_what_small_chunks_with_keys_read_back_store(ctx, twin, monkeypatch):
    for context in (ctx, twin):
        load_small_city(context, leads=False)
        register_batch(context, _cli(), registry(), source="list")
    fast = register_batch(ctx, _cli(), file_rows(), source="file", filename="f.csv")
    monkeypatch.setattr(bulk, "STAGE_AT", 10**9)  # SQLite: a statement per row, no staging table
    monkeypatch.setattr(batch_module, "link_arrivals", keys_read_back)
    plain = register_batch(twin, _cli(), file_rows(), source="file", filename="f.csv")
    assert (fast.accepted, fast.merged, fast.rejected) == (plain.accepted, plain.merged, plain.rejected) == (300, 2, 2)
    assert fast.person_ids == plain.person_ids
    one, other = stored(ctx), stored(twin)
    assert one["link_pairs"], "the file shares keys with the registry: pairs are queued"
    for name in one:
        assert one[name] == other[name], name


def test_the_keys_in_hand_are_the_keys_stored(ctx):
    """Keys.of(person) is what the row holds, for every person a batch stored, merged ones included."""
    load_small_city(ctx, leads=False)
    register_batch(ctx, _cli(), file_rows(), source="file")
    with ctx.uow() as uow:
        rows = {r[0]: linkage_arrivals.Keys(*r[1:]) for r in uow.conn.execute(linkage_arrivals._KEYS)}
        people = uow.persons.get_many(list(rows))
    assert len(rows) == 300
    assert {pid: linkage_arrivals.Keys.of(p) for pid, p in people.items()} == rows


def _cli():
    from admitall.services.context import cli_actor

    return cli_actor()
