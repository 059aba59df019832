"""chain stamp indexes: each day's chain heads read the day's records, not every record (issue 13)

services.chain_heads folds each family of chained records (events, reports, alerts, directives, the audit log)
into a head at every local midnight, from the records stamped since the last head. Only the audit log had an
index on its stamp: for the others each midnight read the whole table — every event ever recorded (a million
on the twin's last days), so the cost of a day grew with the history. The audit log keeps its index of 0001.

Revision ID: 0033_chain_stamp_indexes
Revises: 0032_arrival_linkage_keys
Create Date: 2026-12-07 23:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0033_chain_stamp_indexes"
down_revision = "0032_arrival_linkage_keys"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_person_events_recorded", "person_events", "recorded_at"),
    ("ix_reports_received", "reports", "received_at"),
    ("ix_alerts_raised", "alerts", "raised_at"),
    ("ix_directives_issued", "directives", "issued_at"),
)


def upgrade() -> None:
    # plain CREATE INDEX (no batch mode): the tables keep their triggers
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
