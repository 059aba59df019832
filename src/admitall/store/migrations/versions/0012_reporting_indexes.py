"""reporting indexes: what a report's figures and the waiting list are counted from, found by index (issue 13; filled by the reporting work)

- persons (placement, unit_code, status, severity, waiting_since): the waiting of a unit's range, counted by
  category and severity with their longest wait from the index alone — never every person ever registered in
  the unit (services.reporting_figures);
- reports (unit_code, id, hash): a unit's chain head by one backward probe;
- event_flows (unit_code, occurred_at, kind, to_value), on PostgreSQL only: a community's flows of a period found
  by its own code when the period holds many events city-wide; the planner chooses between it and the time-first
  index by their statistics. SQLite keeps only the time-first one (it has no statistics to choose by, and the
  unit-first one would make a district's count walk its whole history);
- reports unique (unit_code, prev_hash): a unit's chain cannot fork. Two writers that read the same head both
  chain to it; the second's insert is refused and it reads the head again (services.reporting_batch), so no
  lock is taken on the unit.

Revision ID: 0012_reporting_indexes
Revises: 0011_anchored_chains
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_reporting_indexes"
down_revision = "0011_anchored_chains"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain CREATE INDEX (no batch mode): the tables keep their triggers
    op.create_index(
        "ix_persons_waiting_unit", "persons", ["placement", "unit_code", "status", "severity", "waiting_since"]
    )
    op.create_index("ix_reports_unit_chain", "reports", ["unit_code", "id", "hash"])
    op.create_index("ux_reports_unit_prev", "reports", ["unit_code", "prev_hash"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_event_flows_unit_occurred", "event_flows", ["unit_code", "occurred_at", "kind", "to_value"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_event_flows_unit_occurred", table_name="event_flows")
    op.drop_index("ux_reports_unit_prev", table_name="reports")
    op.drop_index("ix_reports_unit_chain", table_name="reports")
    op.drop_index("ix_persons_waiting_unit", table_name="persons")
