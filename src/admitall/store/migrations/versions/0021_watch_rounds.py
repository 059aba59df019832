"""watch rounds and purged details: each round of the chain watch recorded (start, end, outcome) so that readiness can
say how old the last one is; person events get the seal of their redacted form (issue 15 §3, §4)

- `watch_rounds`: one row per round (store.tables_ops), 'running' until it ends 'ok', 'skipped' or 'failed';
- `person_event_redactions`: when a released person's name, ID number, phone and address are purged
  (services.purge), the event's data is redacted and this table holds the keyed hash of the redacted event chained
  to its original hash. The original `hash` stays: the person's links and the day's heads still hold, and verify
  checks a redacted event against its seal (services.verify). A table of its own, not a column of person_events:
  person_events keeps its triggers and the earlier migrations that read it keep their shape.

Going down drops both; an event already redacted then no longer verifies (its raw values are gone for good).

Revision ID: 0021_watch_rounds
Revises: 0020_phone_numbers
Create Date: 2026-12-07 00:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admitall.store.tables import UTCDateTime

revision = "0021_watch_rounds"
down_revision = "0020_phone_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("runner", sa.String(length=80), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_rounds")),
    )
    op.create_index("ix_watch_rounds_started_at", "watch_rounds", ["started_at"])
    op.create_table(
        "person_event_redactions",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seal", sa.String(length=64), nullable=False),
        sa.Column("redacted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["person_events.id"], name=op.f("fk_person_event_redactions_event_id_person_events")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_person_event_redactions")),
    )


def downgrade() -> None:
    op.drop_table("person_event_redactions")
    op.drop_index("ix_watch_rounds_started_at", table_name="watch_rounds")
    op.drop_table("watch_rounds")
