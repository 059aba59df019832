"""The schema itself: migrations, and invariants the database enforces whatever the code does."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from admitall.services.registration import register_batch
from admitall.store.db import current_revision, init_database
from tests.factories import load_small_city, officer, person_row


def test_init_is_repeatable_and_ends_at_the_newest_revision(ctx):
    first = current_revision(ctx.engine)
    assert first and init_database(ctx.engine) == first


@pytest.mark.parametrize(
    "change",
    [
        "placement = 'left'",  # a suspected person neither waiting nor in a bed
        "waiting_since = NULL",  # waiting with no waiting-since time
        "placement = 'admitted', waiting_since = NULL",  # admitted but no bed
        "status = 'dead'",  # dead but still queued
        "status = 'unknown'",
    ],
)
def test_the_database_refuses_a_person_outside_the_placement_invariants(ctx, change):
    load_small_city(ctx)
    register_batch(ctx, officer(), [(2, person_row())], source="t")
    with pytest.raises(IntegrityError), ctx.engine.begin() as conn:
        conn.execute(text(f"UPDATE persons SET {change}"))


def test_foreign_keys_are_enforced(ctx):
    with pytest.raises(IntegrityError), ctx.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO units (code, name, level, parent_code, created_at) "
                "VALUES ('420102002001', 'x', 'community', '420102002000', CURRENT_TIMESTAMP)"
            )
        )


def test_every_migration_goes_down_and_up_again(ctx):
    from alembic import command

    from admitall.store.db import alembic_config

    head = current_revision(ctx.engine)
    config = alembic_config(ctx.engine)
    with ctx.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert current_revision(ctx.engine) == ""
    assert init_database(ctx.engine) == head


def test_the_census_follows_every_change_to_a_person_even_by_hand_and_folds_exactly(ctx):
    load_small_city(ctx)
    register_batch(ctx, officer(), [(2, person_row())], source="t")
    with ctx.engine.begin() as conn:  # a change no service made still counts
        conn.execute(text("UPDATE persons SET status = 'confirmed', severity = 'mild'"))
    with ctx.uow() as uow:
        assert uow.census.differences() == {}
        before = uow.census.counts(None)
    with ctx.uow(write=True) as uow:
        assert uow.census.fold() == 3  # +1 registered, -1 and +1 reclassified
        uow.commit()
    with ctx.uow() as uow:
        assert uow.census.counts(None) == before and uow.census.differences() == {}
        assert uow.conn.execute(text("SELECT count(*) FROM unit_census_changes")).scalar_one() == 0
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE unit_census SET n = n + 1"))
    from admitall.services.verify import verify

    problems = verify(ctx)["problems"]
    assert "the census counts 2 but the registry holds 1" in [p["problem"] for p in problems]


def test_every_event_that_moves_the_backlog_has_its_flow_with_the_unit_and_the_change(ctx):
    from admitall.services.people import change_person_severity
    from admitall.services.verify import verify

    load_small_city(ctx)
    pid = register_batch(ctx, officer(), [(2, person_row(category="confirmed", severity="mild"))], source="t")
    change_person_severity(ctx, officer(), pid.person_ids[2], "severe")
    with ctx.engine.begin() as conn:
        flows = conn.execute(text("SELECT kind, unit_code, from_value, to_value FROM event_flows ORDER BY event_id"))
        assert [tuple(r) for r in flows] == [
            ("identified", person_row()["unit_code"], None, "confirmed"),
            ("severity_changed", person_row()["unit_code"], "mild", "severe"),
        ]
    assert verify(ctx)["ok"]
    with ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM event_flows WHERE kind = 'identified'"))
    assert "2 events move the backlog but 1 of 1 flow rows match them" in [
        p["problem"] for p in verify(ctx)["problems"]
    ]


def test_every_revision_name_fits_the_version_table(ctx):
    """alembic_version.version_num is VARCHAR(32): PostgreSQL refuses a longer name, SQLite would keep it."""
    from alembic.script import ScriptDirectory

    from admitall.store.db import alembic_config

    names = [s.revision for s in ScriptDirectory.from_config(alembic_config(ctx.engine)).walk_revisions()]
    assert len(names) > 30
    assert [n for n in names if len(n) > 32] == []
