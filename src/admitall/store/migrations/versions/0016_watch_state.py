"""watch state: the indexes that let a round of the chain watch read what it needs, not every alert ever raised
(issue 13)

- alerts (kind, period_start): which of a round's alerts are raised already, one range read per kind and step
  (store.repositories.alert_batch), instead of a probe per alert or a scan of every alert of the kind;
- alerts (kind, raised_at) of the open alerts only (neither acknowledged nor resolved): what may escalate, found
  without walking the alerts answered long ago.

The scorecards kept between rounds need no table: they are a memo of content checked against the facts read
again each round (services.scorecard_rollup).

Revision ID: 0016_watch_state
Revises: 0015_bulk_projections
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_watch_state"
down_revision = "0015_bulk_projections"
branch_labels = None
depends_on = None

OPEN = "acknowledged_at IS NULL AND resolved_at IS NULL"


def upgrade() -> None:
    # plain CREATE INDEX (no batch mode): the tables keep their triggers
    op.create_index("ix_alerts_kind_period", "alerts", ["kind", "period_start"])
    op.create_index(
        "ix_alerts_open_kind_raised",
        "alerts",
        ["kind", "raised_at"],
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_open_kind_raised", table_name="alerts")
    op.drop_index("ix_alerts_kind_period", table_name="alerts")
