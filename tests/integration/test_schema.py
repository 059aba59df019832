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
