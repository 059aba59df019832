"""event flows: the events that move the backlog, with their unit, copied by a trigger on person_events; wait
segments indexed by when they started and ended, and who waits now; reports' first receipts countable from an
index

Revision ID: 0008_event_flows
Revises: 0007_unit_census
Create Date: 2026-11-28 21:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_event_flows"
down_revision = "0007_unit_census"
branch_labels = None
depends_on = None

KINDS = "('identified', 'reclassified', 'severity_changed', 'admitted')"
COLUMNS = "event_id, unit_code, occurred_at, kind, from_value, to_value"


def _select(events: str, postgres: bool) -> str:
    """The flow rows of `events` (a table or transition table aliased e), each with its person's unit."""
    if postgres:
        values = "e.data->>'from', COALESCE(e.data->>'status', e.data->>'to')"
    else:
        values = (
            "json_extract(e.data, '$.from'), COALESCE(json_extract(e.data, '$.status'), json_extract(e.data, '$.to'))"
        )
    return (
        f"SELECT e.id, p.unit_code, e.occurred_at, e.kind, {values} "
        f"FROM {events} e JOIN persons p ON p.id = e.person_id WHERE e.kind IN {KINDS}"
    )


def upgrade() -> None:
    op.create_table(
        "event_flows",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_value", sa.String(length=12), nullable=True),
        sa.Column("to_value", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_flows")),
    )
    with op.batch_alter_table("event_flows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_flows_occurred_unit",
            ["occurred_at", "unit_code", "kind", "from_value", "to_value"],
            unique=False,
        )
    with op.batch_alter_table("wait_segments", schema=None) as batch_op:
        batch_op.create_index("ix_wait_segments_started_unit", ["started_at", "unit_code"], unique=False)
        batch_op.drop_index("ix_wait_segments_ended")
        batch_op.create_index("ix_wait_segments_ended_unit", ["ended_at", "unit_code"], unique=False)
        batch_op.create_index(
            "ix_wait_segments_open",
            ["unit_code", "priority_class", "wait_started_at", "person_id"],
            unique=False,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_period_unit")
        batch_op.create_index(
            "ix_reports_period_receipt", ["period_start", "unit_code", "version", "on_time"], unique=False
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(f"INSERT INTO event_flows ({COLUMNS}) {_select('person_events', postgres)}")
    if postgres:
        op.execute(
            f"""CREATE FUNCTION person_events_flows() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO event_flows ({COLUMNS}) {_select("new_rows", True)};
                RETURN NULL;
            END $$"""
        )
        op.execute(
            """CREATE TRIGGER person_events_flows AFTER INSERT ON person_events REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION person_events_flows()"""
        )
    else:
        op.execute(
            f"""CREATE TRIGGER person_events_flows AFTER INSERT ON person_events
            WHEN NEW.kind IN {KINDS} BEGIN
                INSERT INTO event_flows ({COLUMNS})
                SELECT NEW.id, p.unit_code, NEW.occurred_at, NEW.kind, json_extract(NEW.data, '$.from'),
                       COALESCE(json_extract(NEW.data, '$.status'), json_extract(NEW.data, '$.to'))
                FROM persons p WHERE p.id = NEW.person_id;
            END"""
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER person_events_flows ON person_events")
        op.execute("DROP FUNCTION person_events_flows()")
    else:
        op.execute("DROP TRIGGER person_events_flows")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_period_receipt")
        batch_op.create_index("ix_reports_period_unit", ["period_start", "unit_code"], unique=False)
    with op.batch_alter_table("wait_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_wait_segments_open")
        batch_op.drop_index("ix_wait_segments_ended_unit")
        batch_op.create_index("ix_wait_segments_ended", ["ended_at"], unique=False)
        batch_op.drop_index("ix_wait_segments_started_unit")
    with op.batch_alter_table("event_flows", schema=None) as batch_op:
        batch_op.drop_index("ix_event_flows_occurred_unit")
    op.drop_table("event_flows")
