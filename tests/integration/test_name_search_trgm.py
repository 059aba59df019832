"""Searching people by name at a province's size (issue 15 §5): the same people found on SQLite and PostgreSQL; on
PostgreSQL the search is served by the index of the names' one- and two-character pieces (migration 0022), also in a
database whose character type is `C` (where pg_trgm finds no trigram in a Chinese name); a very long result is
counted up to a cap and says "more than"."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text

from admitall.domain.access import Role
from admitall.services import people
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.store.name_search import name_matches
from admitall.store.paged import COUNT_CAP, page_fields
from admitall.store.tables import persons
from admitall.web.paging import pager_of
from tests.conftest import make_ctx
from tests.factories import CITY, DAZHI_1, PASSWORD, id_number, load_small_city, make_user, person_row
from tests.live_server import serving

OFFICER = Actor("officer", Role.UNIT_OFFICER, CITY)
NAMES = ("张伟", "张伟强", "李张伟", "欧阳娜娜", "王芳", "Zhang Wei", "zhangwei")


def register_names(ctx):
    load_small_city(ctx)
    rows = [
        (i + 2, person_row(name=n, id_number=id_number(seq=i + 1), phone=f"139{i + 1:08d}", unit_code=DAZHI_1))
        for i, n in enumerate(NAMES)
    ]
    register_batch(ctx, cli_actor(), rows, source="test")
    return ctx


@pytest.fixture
def named(ctx):
    return register_names(ctx)


def found(ctx, q: str) -> list[str]:
    return sorted(p["name"] for p in people.search_people(ctx, OFFICER, q=q)["people"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("张", ["张伟", "张伟强", "李张伟"]),  # one character
        ("张伟", ["张伟", "张伟强", "李张伟"]),  # two: a full name, and inside longer ones
        ("伟强", ["张伟强"]),
        ("张伟强", ["张伟强"]),  # three: trigrams
        ("欧阳娜", ["欧阳娜娜"]),
        ("ZHANG", ["Zhang Wei", "zhangwei"]),  # Latin letters whatever their case, on both databases
        ("伟张", []),
        ("%", []),  # a wildcard is a character like any other
    ],
)
def test_a_part_of_a_name_finds_the_same_people_on_both_databases(named, q, expected):
    assert found(named, q) == expected


ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@ON_POSTGRES
@pytest.mark.parametrize("q", ["张", "张伟", "张伟强", "欧阳娜娜", "ang We", "ZHANG"])
def test_on_postgresql_every_name_search_is_served_by_the_pieces_index(named, q):
    assert_served_by_the_pieces_index(named, q)


def assert_served_by_the_pieces_index(ctx, q: str) -> None:
    with ctx.engine.connect() as conn:
        query = select(persons.c.id).where(name_matches(conn, q))
        conn.execute(text("SET enable_seqscan = off"))  # a handful of rows: make the planner show what it can use
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(conn.execute(text(f"EXPLAIN {compiled}")).scalars())
        assert "ix_persons_name_short_grams" in plan and "trgm" not in plan, plan
        assert len(conn.execute(query).all()) >= 1


@pytest.mark.postgres
def test_a_database_whose_character_type_is_c_finds_chinese_names_through_the_index(postgres, clock):
    url = postgres.fresh_database(ctype="C")
    ctx = make_ctx(url, clock)
    try:
        with ctx.engine.connect() as conn:
            assert conn.execute(text("SHOW lc_ctype")).scalar_one() == "C"
        register_names(ctx)
        assert found(ctx, "张伟强") == ["张伟强"] and found(ctx, "伟张") == []
        assert found(ctx, "ZHANG") == ["Zhang Wei", "zhangwei"]
        for q in ("张伟", "张伟强", "欧阳娜娜"):
            assert_served_by_the_pieces_index(ctx, q)
    finally:
        ctx.engine.dispose()
        postgres.drop(url)


@ON_POSTGRES
def test_a_very_long_result_is_counted_up_to_the_cap_and_says_more_than(named):
    with named.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO persons (name, unit_code, status, risks, placement, identified_at, status_since, "
                "waiting_since, version, created_at, updated_at) SELECT '王' || g, :unit, 'contact', '', 'waiting', "
                "now(), now(), now(), 1, now(), now() FROM generate_series(1, :n) g"
            ),
            {"unit": DAZHI_1, "n": COUNT_CAP + 5},
        )
    result = people.search_people(named, OFFICER, q="王", limit=50, offset=100)
    assert (result["total"], result["total_more"]) == (COUNT_CAP, True)
    assert len(result["people"]) == 50
    narrow = people.search_people(named, OFFICER, q="王芳")
    assert (narrow["total"], narrow["total_more"]) == (1, False)
    fields = page_fields(3, 50, result["total"], result["total_more"])
    assert fields["total_more"] is True
    pager = pager_of("/people", [("q", "王")], fields["total"], 3, 50, more=True)
    assert (pager.first, pager.last, pager.next_url) == (101, 150, "/people?q=%E7%8E%8B&page=4")
    make_user(named, "officer", "unit_officer", CITY)
    with serving(named) as url, httpx.Client(base_url=url, timeout=30) as browser:
        token = browser.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        browser.post("/login", data={"username": "officer", "password": PASSWORD, "login_csrf": token})
        page = browser.get("/people", params={"q": "王"}).text
        assert "超过 10,000 人" in page and "超过 10,000 条" in page and "data-total-more" in page
        twin = browser.get("/people.json", params={"q": "王"}).json()
        assert (twin["total"], twin["total_more"]) == (COUNT_CAP, True)
        browser.get("/lang/en", params={"next": "/people"})
        english = browser.get("/people", params={"q": "王"}).text
        assert "Found: more than 10,000" in english and "of more than 10,000" in english
