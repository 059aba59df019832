"""Arrivals are linked at the cost of the arrivals: the registry is searched by its indexed exact keys, only the
arrivals that share one are scored, and an import into a registry where nobody shares a key scores nothing —
however many people the registry holds."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from admitall.services import linkage_arrivals
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import persons
from admitall.store.tables_linkage import link_pairs
from tests.factories import DAZHI, DAZHI_1, WUCHANG_1, id_number, load_small_city, person_row
from tests.query_plans import plan, sqlite_only, statements_sent


@pytest.fixture
def city(ctx):
    load_small_city(ctx, leads=False)
    return ctx


def register(ctx, rows, source="list"):
    return register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source=source).person_ids


def people(first: int, n: int, unit: str):
    return [
        person_row(
            name=f"居民{first + i}号",
            id_number=id_number(seq=first + i),
            phone=f"137{first + i:08d}",
            unit_code=unit,
            category="contact",
        )
        for i in range(n)
    ]


def counting(ctx, monkeypatch):
    prepared: list[int] = []
    real = linkage_arrivals.prepare
    monkeypatch.setattr(linkage_arrivals, "prepare", lambda r: prepared.append(r.id) or real(r))
    statements: list[str] = []
    event.listen(ctx.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    return prepared, statements


def test_arrivals_sharing_no_key_with_the_registry_are_never_scored_whatever_its_size(city, monkeypatch):
    register(city, people(1, 300, DAZHI_1))
    prepared, statements = counting(city, monkeypatch)
    register(city, people(1000, 20, WUCHANG_1), source="clinic")
    small = len(statements)
    register(city, people(2000, 600, DAZHI_1), source="other")  # a bigger registry in the arrivals' community
    statements.clear()
    register(city, people(5000, 20, WUCHANG_1), source="late")
    assert prepared == []
    assert len(statements) == small  # the same statements: the registry's size is not in them


def test_the_same_name_in_the_same_community_is_found_and_queued(city):
    (first,) = register(
        city,
        [
            person_row(
                name="张伟",
                id_number=None,
                phone="13900000001",
                unit_code=DAZHI_1,
                birth_date="1960-03-02",
                category="contact",
            )
        ],
    ).values()
    (second,) = register(
        city,
        [
            person_row(
                name="张伟",
                id_number=None,
                phone="13900000002",
                unit_code=DAZHI_1,
                birth_date="1960-03-02",
                category="suspected",
            )
        ],
        source="clinic",
    ).values()
    with city.uow() as uow:
        pairs = [(r.person_a, r.person_b) for r in uow.conn.execute(select(link_pairs))]
    assert pairs == [(first, second)]


def _birth_twin(name: str, phone: str, source: str) -> dict[str, str | None]:
    return person_row(
        name=name, id_number=None, phone=phone, unit_code=DAZHI_1, birth_date="1958-11-30", category="contact"
    )


def test_the_same_birth_date_in_the_same_community_is_looked_up_even_under_another_spelling(city, monkeypatch):
    (first,) = register(city, [_birth_twin("李秀英", "13900000011", "list")]).values()
    prepared, _ = counting(city, monkeypatch)
    (second,) = register(city, [_birth_twin("李秀瑛", "13900000012", "clinic")], source="clinic").values()
    assert sorted(prepared) == sorted([first, second])  # found by (community, birth date), then scored


def test_the_community_lookups_seek_their_pairs_and_never_walk_the_community(city, monkeypatch):
    sqlite_only(city.engine)
    register(city, people(1, 400, DAZHI_1))
    with statements_sent(city.engine) as sent:
        register(city, people(700, 5, DAZHI_1), source="clinic")
    lookups = [(sql, params) for sql, params in sent if "WITH k (first, second)" in sql]
    assert len(lookups) == 2  # by name, by birth date
    for sql, params in lookups:
        steps = " ".join(plan(city.engine, sql, params))
        assert "ix_persons_name_unit" in steps or "ix_persons_birth_unit" in steps, steps


def test_the_linkage_keys_never_stand_in_for_the_unit_and_status_index(city):
    """A subtree's people of one status (a team's contacts, a street's stock) are walked in (unit, status): the
    linkage's indexes once led by the unit as well, and SQLite took the birth dates' for these lists."""
    sqlite_only(city.engine)
    compiled = select(persons).where(in_subtree(DAZHI), persons.c.status == "contact").compile(city.engine)
    steps = " ".join(plan(city.engine, str(compiled), tuple(compiled.params.values())))
    assert "ix_persons_unit_status" in steps, steps


def test_no_statement_of_a_registration_reads_the_whole_registry(city):
    """Every lookup a registration makes (matching, linkage, projections) seeks an index or a rowid range: the
    linkage once looked the arrivals' ID numbers up without their type, which read every person for each chunk."""
    sqlite_only(city.engine)
    register(city, people(1, 400, DAZHI_1))
    with statements_sent(city.engine) as sent:
        register(city, people(700, 5, DAZHI_1), source="clinic")
    reads = [(sql, params) for sql, params in sent if sql.lstrip().upper().startswith(("SELECT", "WITH", "INSERT"))]
    assert any("document_number" in sql for sql, _ in reads)
    for sql, params in reads:
        steps = plan(city.engine, sql, params)
        assert not [s for s in steps if s.startswith(("SCAN persons", "SCAN p ", "SCAN t"))], (sql, steps)
