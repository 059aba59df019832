"""reporting indexes: what a report's figures and the waiting list are counted from, found by index (issue 13; filled by the reporting work)

Revision ID: 0012_reporting_indexes
Revises: 0011_anchored_chains
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

revision = "0012_reporting_indexes"
down_revision = "0011_anchored_chains"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
