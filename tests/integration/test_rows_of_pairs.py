"""Looking rows up by pairs of values (store.bulk.rows_of_pairs): the rows whose two columns hold one of the pairs,
found on both databases; on SQLite each pair is a seek in the two columns' index — a row-value `IN` list, what
`tuple_(...).in_(...)` renders, reads the whole table instead, and this test is there so that no lookup by pairs
goes back to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from admitall.store.bulk import rows_of_pairs
from admitall.store.tables_survey import survey_households
from tests.factories import DAZHI_1, DAZHI_2, load_small_city
from tests.query_plans import plan, sqlite_only, statements_sent


@pytest.fixture
def households(ctx):
    load_small_city(ctx)
    at = datetime(2020, 2, 17, tzinfo=UTC)
    rows = [
        {
            "community_code": unit,
            "address": f"{n}号",
            "label": f"{n}号",
            "added_by": "t",
            "added_at": at,
            "source": "import",
        }
        for unit in (DAZHI_1, DAZHI_2)
        for n in range(1, 301)
    ]
    with ctx.engine.begin() as conn:
        conn.execute(insert(survey_households), rows)
    return ctx


def test_the_rows_of_the_pairs_asked_and_only_those_are_found(households):
    wanted = [(DAZHI_1, "7号"), (DAZHI_2, "7号"), (DAZHI_2, "300号"), (DAZHI_1, "no such")]
    with households.engine.connect() as conn:
        found = rows_of_pairs(
            conn, survey_households, ("community_code", "address"), wanted, ("community_code", "address")
        )
    assert sorted(found) == sorted(wanted[:3])


def test_each_pair_is_sought_in_the_index_not_found_by_reading_the_table(households):
    sqlite_only(households.engine)
    with statements_sent(households.engine) as sent, households.engine.connect() as conn:
        rows_of_pairs(conn, survey_households, ("community_code", "address"), [(DAZHI_1, "7号")], ("id",))
    sql, params = sent[-1]
    steps = " ".join(plan(households.engine, sql, params))
    assert "SEARCH t USING" in steps and "SCAN t" not in steps, steps


def test_a_column_the_table_does_not_have_is_refused(households):
    with households.engine.connect() as conn, pytest.raises(KeyError):
        rows_of_pairs(conn, survey_households, ("community_code", "address; DROP TABLE x"), [("a", "b")], ("id",))
