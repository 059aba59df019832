"""The census and flow projections of a batch of new people: kept once per batch (on SQLite, instead of per row),
exactly what the per-row triggers keep for every other write, checked by `verify`, and nothing left behind when a
batch fails half-way. The same tests run on PostgreSQL, where the batch is loaded by COPY."""

import pytest
from sqlalchemy import text

from admitall.services.registration import batch as batch_module
from admitall.services.registration import register_batch
from admitall.services.verify import verify
from admitall.store import bulk
from tests.factories import DAZHI_1, DAZHI_2, YIYUAN_1, id_number, load_small_city, officer, person_row

CATEGORIES = ["confirmed", "suspected", "fever", "contact"]
UNITS = [DAZHI_1, DAZHI_2, YIYUAN_1]


def rows(n: int, first: int = 0) -> list[tuple[int, dict[str, str | None]]]:
    out = []
    for i in range(first, first + n):
        category = CATEGORIES[i % 4]
        out.append(
            (
                i + 2,
                person_row(
                    name=f"人{i}",
                    id_number=id_number(seq=i % 1000, region="420102" if i < 1000 else "420106"),
                    phone=f"138{i:08d}",
                    category=category,
                    severity=["mild", "moderate", "severe", "critical"][i % 3] if category == "confirmed" else None,
                    unit_code=UNITS[i % 3],
                ),
            )
        )
    return out


def scalar(ctx, sql: str) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def projection_problems(ctx) -> list[dict]:
    return [p for p in verify(ctx)["problems"] if p["table"] in ("unit_census", "event_flows", "bulk_projections")]


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    return ctx


@pytest.mark.parametrize("stage_at", [1, 10_000], ids=["staged", "direct"])
def test_a_batch_keeps_the_census_and_flows_exactly_with_one_change_per_group(city, monkeypatch, stage_at):
    monkeypatch.setattr(batch_module, "SAVE_CHUNK", 30)  # two chunks: still one census change per group
    monkeypatch.setattr(bulk, "STAGE_AT", stage_at)  # SQLite: through a temporary table, or row by row
    summary = register_batch(city, officer(unit="420102"), rows(60), source="t")
    assert (summary.accepted, summary.rows) == (60, 60)
    with city.uow() as uow:
        assert uow.census.differences() == {}
        assert uow.census.flow_differences() == {"unflowed": [], "stray": []}
    distinct = "SELECT DISTINCT unit_code, status, severity, placement FROM persons"
    groups = scalar(city, f"SELECT count(*) FROM ({distinct}) x")
    changes = scalar(city, "SELECT count(*) FROM unit_census_changes")
    # SQLite: once per batch; PostgreSQL: once per statement (per chunk), as its triggers always did
    assert changes == groups if city.engine.dialect.name == "sqlite" else groups <= changes < 60
    assert scalar(city, "SELECT count(*) FROM event_flows") == 60
    assert projection_problems(city) == []


def test_rows_moved_through_the_temporary_table_keep_their_values_and_types_exactly(city, monkeypatch):
    monkeypatch.setattr(bulk, "STAGE_AT", 1)
    row = person_row(address="007", phone="13800000001", birth_date="1985-03-07")
    register_batch(city, officer(unit="420102"), [(2, row)], source="t")
    with city.engine.connect() as conn:
        stored = conn.execute(text("SELECT address, phone, birth_date, identified_at, risks FROM persons")).one()
    assert tuple(stored) == ("007", "13800000001", stored.birth_date, stored.identified_at, "")
    assert str(stored.birth_date).startswith("1985-03-07") and str(stored.identified_at).startswith("2020-02-10")
    with city.uow() as uow:
        assert [p.details.address for p in uow.persons.get_many([1]).values()] == ["007"]


def test_merges_and_hand_written_changes_after_a_batch_are_still_kept_by_the_triggers(city):
    register_batch(city, officer(unit="420102"), rows(10), source="t")
    again = person_row(name="人0", id_number=id_number(seq=0), phone="13800000000", category="confirmed")
    again["severity"] = "severe"
    summary = register_batch(city, officer(unit="420102"), [(2, again)], source="t")
    assert summary.merged == 1
    with city.engine.begin() as conn:  # changes no service made
        conn.execute(text("UPDATE persons SET status = 'confirmed', severity = 'mild' WHERE status = 'contact'"))
        conn.execute(
            text(
                "INSERT INTO person_events (person_id, seq, kind, occurred_at, recorded_at, actor, source, data, "
                "prev_hash, hash) SELECT id, 99, 'reclassified', identified_at, identified_at, 'x', 'x', "
                "'{\"from\": \"fever\", \"to\": \"confirmed\"}', '', '' FROM persons WHERE status = 'fever'"
            )
        )
    with city.uow() as uow:
        assert uow.census.differences() == {}
        assert uow.census.flow_differences() == {"unflowed": [], "stray": []}


def test_verify_names_a_missing_or_altered_flow_and_a_census_off_by_one(city):
    register_batch(city, officer(unit="420102"), rows(8), source="t")
    first, second = (scalar(city, f"SELECT min(event_id) + {k} FROM event_flows") for k in (0, 1))
    with city.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM event_flows WHERE event_id = {first}"))
        conn.execute(text(f"UPDATE event_flows SET to_value = 'dead' WHERE event_id = {second}"))
        first_change = "(SELECT min(id) FROM unit_census_changes)"
        conn.execute(text(f"UPDATE unit_census_changes SET n = n + 1 WHERE id = {first_change}"))
    named = {(p["table"], p["id"]) for p in projection_problems(city)}
    assert ("event_flows", first) in named and ("event_flows", second) in named
    assert any(table == "unit_census" for table, _ in named)


def test_the_batch_switch_is_never_seen_on_outside_the_batch_and_verify_names_it_if_left_on(ctx):
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("the switch exists on SQLite only: PostgreSQL's triggers run once per statement")
    load_small_city(ctx)
    register_batch(ctx, officer(unit="420102"), rows(5), source="t")
    assert scalar(ctx, "SELECT deferred FROM bulk_projections") == 0
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE bulk_projections SET deferred = 1"))
    assert ("bulk_projections", 1) in {(p["table"], p["id"]) for p in projection_problems(ctx)}


def test_a_batch_that_fails_half_way_leaves_no_people_no_projections_and_the_switch_off(city, monkeypatch):
    monkeypatch.setattr(batch_module, "SAVE_CHUNK", 5)
    before = {t: scalar(city, f"SELECT count(*) FROM {t}") for t in ("persons", "unit_census_changes", "event_flows")}

    class Interrupted(Exception):
        pass

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "saving" and done >= 10:  # two chunks written, the third never
            raise Interrupted

    with pytest.raises(Interrupted):
        register_batch(city, officer(unit="420102"), rows(30), source="t", progress=progress)
    after = {t: scalar(city, f"SELECT count(*) FROM {t}") for t in before}
    assert after == before
    if city.engine.dialect.name == "sqlite":
        assert scalar(city, "SELECT deferred FROM bulk_projections") == 0
    register_batch(city, officer(unit="420102"), rows(30), source="t")
    assert projection_problems(city) == []


def test_a_staged_insert_works_while_a_read_is_pending_and_twice_in_one_transaction(city):
    from admitall.store.tables_census import unit_census_changes

    rows = [{"unit_code": DAZHI_1, "status": "contact", "severity": "", "placement": "waiting", "n": 1}] * 250
    before = scalar(city, "SELECT count(*) FROM unit_census_changes")
    with city.engine.connect() as conn, conn.begin():
        pending = conn.execute(text("SELECT code FROM units"))  # a read not yet consumed
        pending.fetchone()
        bulk.bulk_insert(conn, unit_census_changes, rows)
        bulk.bulk_insert(conn, unit_census_changes, rows)
        pending.close()
    assert scalar(city, "SELECT count(*) FROM unit_census_changes") == before + 500


def test_a_batchs_projections_find_its_new_rows_by_their_ids_not_by_walking_the_table(city):
    if city.engine.dialect.name != "sqlite":
        pytest.skip("the projections once per batch are SQLite's (PostgreSQL's triggers run once per statement)")
    register_batch(city, officer(unit="420102"), rows(40), source="t")
    with city.engine.connect() as conn:
        for sql in (bulk._CENSUS, bulk._FLOWS):
            select_part = sql[sql.index("SELECT") :]
            plan = [str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + select_part, (10,))]
            first = plan[0]  # the table whose new rows are projected: a range of its ids, whatever its indexes
            assert "INTEGER PRIMARY KEY (rowid>?)" in first, plan
