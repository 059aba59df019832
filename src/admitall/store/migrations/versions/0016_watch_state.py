"""watch state: what the watch needs to cost what changed (issue 13; filled by the watch work)

Revision ID: 0016_watch_state
Revises: 0015_bulk_projections
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

revision = "0016_watch_state"
down_revision = "0015_bulk_projections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
